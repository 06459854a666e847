import assert from "node:assert/strict";
import {
  decodeDatagram,
  encodeFrame,
  FrameDecoder,
  FrameError,
  MAX_BODY_SIZE,
} from "../../proto/frame.ts";
import { rawHeader } from "../support/net.ts";
import { randInt, withSeed } from "../support/random.ts";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

type Got = { msgid: number; body: number[] };

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): Got[] {
  const got: Got[] = [];
  for (const chunk of chunks) {
    decoder.push(chunk, (msgid, body) => got.push({ msgid, body: [...body] }));
  }
  return got;
}

Deno.test("frame - header is little-endian msgid then body length", () => {
  const frame = encodeFrame(0x01020304, new Uint8Array([9, 9, 9]));
  assert.deepEqual([...frame], [4, 3, 2, 1, 3, 0, 0, 0, 9, 9, 9]);
});

Deno.test("frame - encode refuses a body over the limit", () => {
  encodeFrame(1, new Uint8Array(MAX_BODY_SIZE));
  assert.throws(() => encodeFrame(1, new Uint8Array(MAX_BODY_SIZE + 1)), FrameError);
});

Deno.test("frame decoder - random splits and concatenations of random frames round-trip", () => {
  withSeed((random) => {
    for (let round = 0; round < 300; round++) {
      const frames = Array.from({ length: randInt(random, 1, 30) }, () => {
        const size = random() < 0.05
          ? randInt(random, 1000, MAX_BODY_SIZE)
          : randInt(random, 0, 40);
        const body = new Uint8Array(size);
        for (let i = 0; i < size; i += 97) body[i] = randInt(random, 0, 255);
        return { msgid: randInt(random, -5, 10), body };
      });
      const stream = concat(frames.map((f) => encodeFrame(f.msgid, f.body)));
      const chunks: Uint8Array[] = [];
      for (let pos = 0; pos < stream.length;) {
        const len = random() < 0.3 ? randInt(random, 1, 9) : randInt(random, 1, 70000);
        chunks.push(stream.slice(pos, pos + len));
        pos += len;
      }
      const decoder = new FrameDecoder();
      const got = collect(decoder, chunks);
      assert.equal(got.length, frames.length);
      for (let i = 0; i < frames.length; i++) {
        assert.equal(got[i].msgid, frames[i].msgid);
        assert.deepEqual(got[i].body, [...frames[i].body]);
      }
      assert.equal(decoder.buffered, 0);
    }
  });
});

Deno.test("frame decoder - byte-at-a-time feeding", () => {
  const stream = concat([encodeFrame(1, new Uint8Array([1, 2])), encodeFrame(2, new Uint8Array())]);
  const chunks = [...stream].map((b) => new Uint8Array([b]));
  assert.deepEqual(collect(new FrameDecoder(), chunks), [
    { msgid: 1, body: [1, 2] },
    { msgid: 2, body: [] },
  ]);
});

Deno.test("frame decoder - negative and over-limit msglen are errors, also when split", () => {
  for (const bad of [rawHeader(1, -1), rawHeader(1, MAX_BODY_SIZE + 1), rawHeader(1, 0x7FFFFFFF)]) {
    const decoder = new FrameDecoder();
    assert.throws(() => collect(decoder, [bad]), FrameError);
    // The decoder stays broken: the stream is out of sync.
    assert.throws(() => collect(decoder, [encodeFrame(1, new Uint8Array())]), FrameError);
    const split = new FrameDecoder();
    collect(split, [bad.subarray(0, 5)]);
    assert.throws(() => collect(split, [bad.subarray(5)]), /msglen/);
  }
});

Deno.test("frame decoder - frames before a bad header are delivered", () => {
  const good = encodeFrame(3, new Uint8Array([7]));
  const got: number[] = [];
  assert.throws(
    () => new FrameDecoder().push(concat([good, rawHeader(1, -7)]), (id) => got.push(id)),
    FrameError,
  );
  assert.deepEqual(got, [3]);
});

Deno.test("frame decoder - large stream decodes in linear time", () => {
  // 20,000 frames fed 3 bytes at a time: quadratic copying would take minutes.
  const frame = encodeFrame(1, new Uint8Array(10));
  const stream = concat(Array.from({ length: 20_000 }, () => frame));
  const decoder = new FrameDecoder();
  let count = 0;
  for (let pos = 0; pos < stream.length; pos += 3) {
    decoder.push(stream.subarray(pos, pos + 3), () => count++);
  }
  assert.equal(count, 20_000);
});

Deno.test("datagram - exactly one frame per datagram", () => {
  assert.deepEqual(decodeDatagram(encodeFrame(4, new Uint8Array([1]))).msgid, 4);
  assert.throws(() => decodeDatagram(new Uint8Array(3)), /shorter than a header/);
  assert.throws(
    () => decodeDatagram(concat([rawHeader(4, 2), new Uint8Array(1)])),
    /does not match/,
  );
  assert.throws(
    () => decodeDatagram(concat([rawHeader(4, 0), new Uint8Array(1)])),
    /does not match/,
  );
  assert.throws(() => decodeDatagram(rawHeader(4, -1)), /negative/);
});

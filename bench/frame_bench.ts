/**
 * Frame decoder benchmarks: 1,000 small frames fed as one chunk, in 1,000
 * frame-sized chunks, and split at awkward 7-byte boundaries; plus a naive
 * decoder that concatenates buffers on every read, as a baseline.
 *
 *     deno task bench
 */
import { encodeFrame, FrameDecoder, readHeader } from "../proto/frame.ts";

const frame = encodeFrame(4, new Uint8Array(12).fill(7));
const stream = new Uint8Array(frame.length * 1000);
for (let i = 0; i < 1000; i++) stream.set(frame, i * frame.length);
const frameChunks = Array.from({ length: 1000 }, (_, i) => stream.subarray(i * 20, i * 20 + 20));
const sevenByteChunks: Uint8Array[] = [];
for (let pos = 0; pos < stream.length; pos += 7) {
  sevenByteChunks.push(stream.subarray(pos, pos + 7));
}

let bodyBytes = 0;
const onFrame = (_msgid: number, body: Uint8Array) => {
  bodyBytes += body.length;
};

/** The copy-everything approach: append each read to one buffer, then parse. */
function naiveDecode(chunks: Uint8Array[]): void {
  let buffered: Uint8Array = new Uint8Array(0);
  for (const chunk of chunks) {
    const joined = new Uint8Array(buffered.length + chunk.length);
    joined.set(buffered);
    joined.set(chunk, buffered.length);
    buffered = joined;
    let pos = 0;
    while (buffered.length - pos >= 8) {
      const { msgid, msglen } = readHeader(buffered, pos);
      if (buffered.length - pos < 8 + msglen) break;
      onFrame(msgid, buffered.subarray(pos + 8, pos + 8 + msglen));
      pos += 8 + msglen;
    }
    buffered = buffered.slice(pos);
  }
}

Deno.bench({
  group: "1000 frames, one chunk",
  name: "FrameDecoder",
  baseline: true,
  fn: () => new FrameDecoder().push(stream, onFrame),
});
Deno.bench({
  group: "1000 frames, one chunk",
  name: "naive concat",
  fn: () => naiveDecode([stream]),
});
Deno.bench({
  group: "1000 frames, one per chunk",
  name: "FrameDecoder",
  baseline: true,
  fn: () => {
    const d = new FrameDecoder();
    for (const c of frameChunks) d.push(c, onFrame);
  },
});
Deno.bench({
  group: "1000 frames, one per chunk",
  name: "naive concat",
  fn: () => naiveDecode(frameChunks),
});
Deno.bench({
  group: "1000 frames, 7-byte chunks",
  name: "FrameDecoder",
  baseline: true,
  fn: () => {
    const d = new FrameDecoder();
    for (const c of sevenByteChunks) d.push(c, onFrame);
  },
});
Deno.bench({
  group: "1000 frames, 7-byte chunks",
  name: "naive concat",
  fn: () => naiveDecode(sevenByteChunks),
});

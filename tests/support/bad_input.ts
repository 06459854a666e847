/**
 * The bad-input corpus, run against a service's TCP port or UDP ports:
 * truncated headers; msglen -1, 65528 and INT_MAX; a valid header with a
 * garbage body; a valid body of the wrong message type; an unknown-msgid
 * flood; a frame byte by byte; 1,000 frames in one write; a valid frame
 * followed by a bad header; and a seeded random fuzz. Between the cases a
 * canary client must keep getting answers, and its connection must survive.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame, HEADER_SIZE } from "../../proto/frame.ts";
import { RawFrameConn, waitFor } from "./net.ts";
import { mulberry32, randInt, testSeed } from "./random.ts";

/** A frame header with any `msglen`, valid or not. */
export function rawHeader(msgid: number, msglen: number): Uint8Array {
  const h = new Uint8Array(HEADER_SIZE);
  const view = new DataView(h.buffer);
  view.setInt32(0, msgid, true);
  view.setInt32(4, msglen, true);
  return h;
}

/** The lengths every port must refuse: negative, one past the limit, and the largest int32. */
export const BAD_LENGTHS: readonly number[] = [-1, 65528, 0x7FFFFFFF];

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** What the corpus needs to know about one service. */
export interface CorpusTarget {
  /** The msgid the service handles on this port. */
  msgid: number;
  /** A valid request frame; `n` varies it (module id) so answers can be told apart. */
  valid(n: number): Uint8Array;
  /** A valid body of another message type. */
  wrongBody: Uint8Array;
  /** Msgids the service handles (the flood and the fuzz avoid them for "unknown"). */
  known: readonly number[];
}

/** A TCP service under the corpus. */
export interface TcpCorpusTarget extends CorpusTarget {
  /** The port. */
  port: number;
  /** Valid frames the service has handled so far (a counter of the service). */
  handled(): number;
  /** True when the service answers each valid frame (DNS); false when it only stores (reporter). */
  replies: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the corpus against a TCP port; a canary connection opened first must
 * be answered after every case and never be closed. Returns the seed used.
 */
export async function runTcpCorpus(t: TcpCorpusTarget, fuzzFrames = 3000): Promise<number> {
  const seed = testSeed();
  const random = mulberry32(seed);
  const canary = await RawFrameConn.connect(t.port);
  const opened: RawFrameConn[] = [];
  const connect = async () => {
    const c = await RawFrameConn.connect(t.port);
    opened.push(c);
    return c;
  };
  let canaryN = 0;
  const checkCanary = async (afterCase: string) => {
    const before = t.handled();
    const replies = canary.frames.length;
    await canary.write(t.valid(100_000 + ++canaryN));
    await waitFor(
      () => t.handled() > before && (!t.replies || canary.frames.length > replies),
      `canary answered after "${afterCase}" (LARS_SEED=${seed})`,
    );
    assert.equal(canary.closedByPeer, false, `canary closed after "${afterCase}"`);
  };
  /** Waits until `n` more valid frames were handled (and answered on `conn`). */
  const expectHandled = async (conn: RawFrameConn, before: number, n: number, what: string) => {
    await waitFor(
      () => t.handled() >= before + n && (!t.replies || conn.frames.length >= n),
      `${what}: ${n} valid frames handled (LARS_SEED=${seed})`,
    );
  };
  try {
    await checkCanary("start");

    for (let k = 1; k < HEADER_SIZE; k++) {
      const c = await connect();
      await c.write(rawHeader(t.msgid, 4).subarray(0, k));
      await c.close();
    }
    await checkCanary("truncated headers");

    for (const len of BAD_LENGTHS) {
      const c = await connect();
      await c.write(concat([rawHeader(t.msgid, len), randomBytes(random, 16)]));
      await c.waitClosed(); // the service closes it
    }
    await checkCanary("msglen -1, 65528, INT_MAX");

    for (let i = 0; i < 20; i++) {
      const c = await connect();
      await c.write(encodeFrame(t.msgid, randomBytes(random, randInt(random, 1, 200))));
      await c.close();
    }
    await checkCanary("valid header, garbage body");

    {
      const c = await connect();
      await c.write(encodeFrame(t.msgid, t.wrongBody));
      await c.close();
    }
    await checkCanary("valid body of the wrong message type");

    {
      const c = await connect();
      const flood: Uint8Array[] = [];
      for (let i = 0; i < 10_000; i++) {
        flood.push(encodeFrame(unknownMsgid(random, t), new Uint8Array(i % 7)));
      }
      const before = t.handled();
      await c.write(concat([...flood, t.valid(1)]));
      await expectHandled(c, before, 1, "after an unknown-msgid flood");
      assert.equal(c.closedByPeer, false, "unknown msgids are skipped, not fatal");
      await c.close();
    }
    await checkCanary("unknown-msgid flood");

    {
      const c = await connect();
      const frame = t.valid(2);
      const before = t.handled();
      for (let i = 0; i < frame.length; i++) {
        await c.write(frame.subarray(i, i + 1));
        await sleep(1);
      }
      await expectHandled(c, before, 1, "a frame byte by byte");
      await c.close();
    }
    await checkCanary("a frame byte by byte");

    {
      const c = await connect();
      const before = t.handled();
      await c.write(concat(Array.from({ length: 1000 }, (_, i) => t.valid(1000 + i))));
      await expectHandled(c, before, 1000, "1,000 frames in one write");
      await c.close();
    }
    await checkCanary("1,000 frames in one write");

    {
      const c = await connect();
      const before = t.handled();
      await c.write(concat([t.valid(3), rawHeader(t.msgid, -1)]));
      await expectHandled(c, before, 1, "a valid frame followed by a bad header");
      await c.waitClosed();
    }
    await checkCanary("a valid frame followed by a bad header");

    await fuzzTcp(t, random, fuzzFrames, connect);
    await checkCanary(`seeded fuzz of ${fuzzFrames} frames`);
    return seed;
  } catch (err) {
    throw new Error(`bad-input corpus failed with LARS_SEED=${seed}`, { cause: err });
  } finally {
    await canary.close();
    await Promise.all(opened.map((c) => c.close()));
  }
}

function unknownMsgid(random: () => number, t: CorpusTarget): number {
  for (;;) {
    const id = randInt(random, -0x80000000, 0x7FFFFFFF);
    if (!t.known.includes(id)) return id;
  }
}

/** One fuzz frame: mostly plausible, sometimes valid, sometimes broken. */
function fuzzFrame(random: () => number, t: CorpusTarget, n: number): Uint8Array {
  const r = random();
  if (r < 0.35) return t.valid(n);
  if (r < 0.55) {
    return encodeFrame(unknownMsgid(random, t), randomBytes(random, randInt(random, 0, 64)));
  }
  if (r < 0.8) return encodeFrame(t.msgid, randomBytes(random, randInt(random, 0, 128)));
  if (r < 0.9) {
    // A valid frame with a few bytes flipped.
    const f = t.valid(n).slice();
    for (let i = 0; i < 3; i++) f[randInt(random, 0, f.length - 1)] ^= 1 << randInt(random, 0, 7);
    return f;
  }
  if (r < 0.95) return encodeFrame(t.msgid, t.wrongBody);
  return rawHeader(randInt(random, -5, 10), randInt(random, -0x80000000, 0x7FFFFFFF));
}

async function fuzzTcp(
  t: TcpCorpusTarget,
  random: () => number,
  frames: number,
  connect: () => Promise<RawFrameConn>,
): Promise<void> {
  let sent = 0;
  while (sent < frames) {
    const batch = Math.min(frames - sent, randInt(random, 20, 120));
    const stream = concat(Array.from({ length: batch }, (_, i) => fuzzFrame(random, t, sent + i)));
    sent += batch;
    const c = await connect();
    // Random write sizes, so frames split anywhere.
    for (let off = 0; off < stream.length && !c.closedByPeer;) {
      const n = randInt(random, 1, 512);
      try {
        await c.write(stream.subarray(off, off + n));
      } catch {
        break; // the service closed it after bad input
      }
      off += n;
    }
    await c.close();
  }
}

/** A UDP service under the corpus (the agent's shard ports). */
export interface UdpCorpusTarget extends CorpusTarget {
  /** Sends one datagram to `port`; resolves once the kernel took it. */
  send(bytes: Uint8Array, port: number): Promise<void>;
  /** The ports. */
  ports: readonly number[];
  /** Asks every port once and resolves when all answered (the canary). */
  canary(): Promise<void>;
}

/**
 * Runs the corpus against UDP ports. A datagram holds exactly one frame, so
 * several frames in one datagram, a frame split over datagrams, or a frame
 * followed by a bad header are malformed datagrams: dropped and counted.
 * Returns the seed used.
 */
export async function runUdpCorpus(t: UdpCorpusTarget, fuzzDatagrams = 3000): Promise<number> {
  const seed = testSeed();
  const random = mulberry32(seed);
  let sent: Promise<void>[] = [];
  const send = (bytes: Uint8Array, port: number) => sent.push(t.send(bytes, port));
  const step = async (what: string, sendCase: (port: number) => void | Promise<void>) => {
    for (const port of t.ports) await sendCase(port);
    // The flood overflows the ports' receive buffers (the kernel drops the
    // rest, as UDP does). The canary goes out once every datagram was handed
    // to the kernel and the agent has emptied its queues, so it cannot be one
    // of the dropped ones.
    await Promise.all(sent);
    sent = [];
    await udpQueuesDrained(t.ports);
    try {
      await t.canary();
    } catch (err) {
      throw new Error(`canary unanswered after "${what}" (LARS_SEED=${seed})`, { cause: err });
    }
  };
  await step("start", () => {});
  await step("truncated headers", (port) => {
    for (let k = 1; k < HEADER_SIZE; k++) send(rawHeader(t.msgid, 4).subarray(0, k), port);
  });
  await step("msglen -1, 65528, INT_MAX", (port) => {
    for (const len of BAD_LENGTHS) {
      send(concat([rawHeader(t.msgid, len), randomBytes(random, 16)]), port);
    }
  });
  await step("valid header, garbage body", (port) => {
    for (let i = 0; i < 20; i++) {
      send(encodeFrame(t.msgid, randomBytes(random, randInt(random, 1, 200))), port);
    }
  });
  await step("valid body of the wrong message type", (port) => {
    send(encodeFrame(t.msgid, t.wrongBody), port);
  });
  await step("unknown-msgid flood", async (port) => {
    for (let i = 0; i < 2000; i++) {
      send(encodeFrame(unknownMsgid(random, t), new Uint8Array(i % 7)), port);
      if (i % 200 === 199) await sleep(1); // let the kernel buffer drain a little
    }
  });
  await step("a frame byte by byte", (port) => {
    const frame = t.valid(2);
    for (let i = 0; i < frame.length; i++) send(frame.subarray(i, i + 1), port);
  });
  await step("1,000 frames in one datagram", (port) => {
    send(concat(Array.from({ length: 1000 }, (_, i) => t.valid(1000 + i))), port);
  });
  await step("a valid frame followed by a bad header", (port) => {
    send(concat([t.valid(3), rawHeader(t.msgid, -1)]), port);
  });
  await step(`seeded fuzz of ${fuzzDatagrams} datagrams`, async (port) => {
    for (let i = 0; i < fuzzDatagrams / t.ports.length; i++) {
      send(fuzzFrame(random, t, i), port);
      if (i % 200 === 199) await sleep(1);
    }
  });
  return seed;
}

/**
 * Waits until the kernel's receive queues of the UDP `ports` (any local
 * address) are empty, read from Linux's `/proc/net/udp`; at most `timeoutMs`.
 * Without `/proc` it waits 20 ms.
 */
async function udpQueuesDrained(ports: readonly number[], timeoutMs = 10_000): Promise<void> {
  const hex = new Set(ports.map((p) => p.toString(16).toUpperCase().padStart(4, "0")));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let table: string;
    try {
      table = await Deno.readTextFile("/proc/net/udp");
    } catch {
      await sleep(20);
      return;
    }
    const queued = table.split("\n").slice(1).some((line) => {
      const [, local, , , queues] = line.trim().split(/\s+/);
      return local !== undefined && hex.has(local.split(":")[1]) &&
        parseInt(queues.split(":")[1], 16) > 0;
    });
    if (!queued || Date.now() > deadline) return;
    await sleep(5);
  }
}

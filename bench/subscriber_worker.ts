/**
 * Worker of `dns_change_stall.ts`: holds `count` connections to a DNS service
 * on its own thread, subscribes each to one module, and reads (and drops)
 * what arrives, so the DNS process's event loop is measured without the
 * readers' work. Started with `{ port, count, modid, cmdid }`; posts
 * `{ subscribed: true }` once every connection got its first answer. With a
 * `probeModid`, one more connection then asks for module `probeModid/1` every
 * millisecond on a fixed schedule, answered or not, and records each round
 * trip from the time the request was written. On `{ stop: true }` it closes
 * everything and posts `{ bytes, probes }`: probes are pairs of (send time in
 * ms since the epoch, round trip in ms) in a Float64Array.
 *
 * @module
 */
import { encodeFrame, FrameDecoder } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec } from "../proto/messages.ts";
import type { TcpConn } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";

const self = globalThis as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

const conns: TcpConn[] = [];
const readers: Promise<void>[] = [];
let bytes = 0;
let stopping = false;
const probes: number[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asks for `modid/1` every millisecond until stopped; answers come back in order. */
async function probe(port: number, modid: number): Promise<void> {
  const conn = await denoTransport.connectTcp({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  conns.push(conn);
  const request = encodeFrame(
    MessageId.GetRouteRequest,
    GetRouteRequestCodec.encode({ modid, cmdid: 1 }),
  );
  const due: number[] = [];
  readers.push((async () => {
    const buf = new Uint8Array(65536);
    const decoder = new FrameDecoder();
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return;
      const t = performance.now();
      decoder.push(buf.subarray(0, n), () => {
        const d = due.shift();
        if (d !== undefined) probes.push(performance.timeOrigin + d, t - d);
      });
    }
  })());
  const t0 = performance.now();
  for (let i = 0; !stopping; i++) {
    const at = t0 + i;
    const wait = at - performance.now();
    if (wait > 0) await sleep(wait);
    due.push(performance.now()); // timed from the write: this thread's timers may fire late
    await conn.writeAll(request).catch(() => {});
  }
}

self.onmessage = async (e) => {
  if (e.data.stop) {
    stopping = true;
    await sleep(100); // the last answers
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(readers);
    self.postMessage({ bytes, probes: new Float64Array(probes) });
    return;
  }
  const { port, count, modid, cmdid, probeModid } = e.data as Record<string, number>;
  const request = encodeFrame(
    MessageId.GetRouteRequest,
    GetRouteRequestCodec.encode({ modid, cmdid }),
  );
  let answered = 0;
  for (let i = 0; i < count; i++) {
    const conn = await denoTransport.connectTcp({ hostname: "127.0.0.1", port });
    conns.push(conn);
    readers.push((async () => {
      const buf = new Uint8Array(65536);
      let first = true;
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) return;
        bytes += n;
        if (first) {
          first = false;
          if (++answered === count) self.postMessage({ subscribed: true });
        }
      }
    })());
    await conn.writeAll(request);
  }
  if (probeModid) probe(port, probeModid);
};

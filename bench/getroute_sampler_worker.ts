/**
 * Worker of `dns_load.ts`: measures GetRoute round trips while the push phase
 * runs, on its own thread so the main isolate's work (reading pushes to 1,000
 * subscribers) does not show in the numbers. Started with
 * `{ port, modules, cmdsPerMod, exclude, count, intervalMs }`: `count`
 * connections each send a GetRouteRequest for a random seeded module (never
 * `exclude`, whose pushes would be mistaken for answers) every `intervalMs` ms
 * on a fixed schedule, answered or not, so a stalled service shows as many
 * slow answers rather than one. Each round trip is timed from when the
 * request was written (not from when it was due: this thread's timers fire up
 * to a millisecond late, which is not the service's time). Posts
 * `{ started: true }`, then on `{ stop: true }` posts `{ samples }`: pairs of
 * (send time in ms since the epoch, round trip in ms) in a Float64Array.
 *
 * @module
 */
import { encodeFrame, FrameDecoder } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec, GetRouteResponseCodec } from "../proto/messages.ts";
import type { TcpConn } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";

/** What the main isolate sends to start. */
interface Start {
  port: number;
  modules: number;
  cmdsPerMod: number;
  exclude: { modid: number; cmdid: number };
  count: number;
  intervalMs: number;
}

const self = globalThis as unknown as {
  onmessage: ((e: MessageEvent<Start | { stop: true }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

let stopping = false;
let drivers: Promise<void>[] = [];
const samples: number[] = [];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drives one connection until `stopping`, then waits (up to 5 s) for its answers. */
async function drive(conn: TcpConn, o: Start): Promise<void> {
  const pending: { sent: number; key: string }[] = [];
  const reader = (async () => {
    const buf = new Uint8Array(65536);
    const decoder = new FrameDecoder();
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return;
      const t = performance.now();
      decoder.push(buf.subarray(0, n), (msgid, body) => {
        if (msgid !== MessageId.GetRouteResponse || pending.length === 0) return;
        const r = GetRouteResponseCodec.decode(body);
        if (`${r.modid},${r.cmdid}` !== pending[0].key) return;
        const { sent } = pending.shift()!;
        samples.push(performance.timeOrigin + sent, t - sent);
      });
      if (stopping && pending.length === 0) return;
    }
  })();
  const t0 = performance.now();
  for (let i = 0; !stopping; i++) {
    const due = t0 + i * o.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const index = Math.floor(Math.random() * o.modules);
    let m = { modid: 1 + Math.floor(index / o.cmdsPerMod), cmdid: 1 + index % o.cmdsPerMod };
    if (m.modid === o.exclude.modid && m.cmdid === o.exclude.cmdid) m = { modid: 1, cmdid: 1 };
    pending.push({ sent: performance.now(), key: `${m.modid},${m.cmdid}` });
    await conn.writeAll(encodeFrame(MessageId.GetRouteRequest, GetRouteRequestCodec.encode(m)));
  }
  const deadline = performance.now() + 5000;
  while (pending.length > 0 && performance.now() < deadline) await sleep(10);
  try {
    conn.close();
  } catch {
    // already closed
  }
  await reader;
}

self.onmessage = async (e) => {
  if ("stop" in e.data) {
    stopping = true;
    await Promise.all(drivers);
    const flat = new Float64Array(samples);
    self.postMessage({ samples: flat }, [flat.buffer]);
    return;
  }
  const o = e.data;
  const conns: TcpConn[] = [];
  for (let i = 0; i < o.count; i++) {
    const conn = await denoTransport.connectTcp({ hostname: "127.0.0.1", port: o.port });
    conn.setNoDelay(true);
    conns.push(conn);
  }
  drivers = conns.map((conn) => drive(conn, o));
  self.postMessage({ started: true });
};

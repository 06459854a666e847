import assert from "node:assert/strict";
import { encodeFrame } from "../../proto/frame.ts";
import { GetRouteRequestCodec, GetRouteResponseCodec } from "../../proto/mod.ts";
import { parseCidrList } from "../../reactor/cidr.ts";
import { DropLog } from "../../reactor/drop_log.ts";
import type { Logger } from "../../reactor/log.ts";
import { RawFrameConn, rawHeader, routeServer, waitFor } from "../support/net.ts";

/** A logger that keeps its lines, for counting what a flood logs. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (m: string) => void lines.push(m);
  const seen = new Set<string>();
  return {
    lines,
    debug: () => {},
    info: keep,
    warn: keep,
    error: keep,
    warnThrottled(key, message) {
      if (seen.has(key)) return;
      seen.add(key);
      lines.push(message);
    },
  };
}

const request = (modid: number) => encodeFrame(1, GetRouteRequestCodec.encode({ modid, cmdid: 1 }));

Deno.test("tcp edges - per-address limit refuses the extra connection, counts it, frees on close", async () => {
  const server = routeServer({ maxConnPerIp: 2 });
  const clients: RawFrameConn[] = [];
  try {
    for (let i = 0; i < 2; i++) clients.push(await RawFrameConn.connect(server.addr.port));
    await waitFor(() => server.connections.size === 2, "2 connections");
    const extra = await RawFrameConn.connect(server.addr.port);
    clients.push(extra);
    await extra.waitClosed();
    assert.equal(server.counters.get("connectionsOverIpLimit"), 1);
    await clients[0].close();
    await waitFor(() => server.connections.size === 1, "slot freed");
    const again = await RawFrameConn.connect(server.addr.port);
    clients.push(again);
    await again.write(request(7));
    await waitFor(() => again.frames.length === 1, "answer on the freed slot");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
});

Deno.test("tcp edges - allow-list closes other peers at accept and counts them", async () => {
  const denied = routeServer({ allow: parseCidrList("127.0.0.2/32, 10.0.0.0/8") });
  const allowed = routeServer({ allow: parseCidrList("127.0.0.0/8") });
  const a = await RawFrameConn.connect(denied.addr.port);
  const b = await RawFrameConn.connect(allowed.addr.port);
  try {
    await a.waitClosed();
    assert.equal(denied.counters.get("connectionsDenied"), 1);
    assert.equal(denied.counters.get("connectionsAccepted"), 0);
    await b.write(request(3));
    await waitFor(() => b.frames.length === 1, "answer from the allowing server");
    assert.equal(allowed.counters.get("connectionsDenied"), 0);
  } finally {
    await a.close();
    await b.close();
    await denied.close();
    await allowed.close();
  }
});

Deno.test("tcp edges - an unfinished frame is closed at its deadline; idle connections stay", async () => {
  const server = routeServer({ frameTimeoutMs: 150 });
  const halfHeader = await RawFrameConn.connect(server.addr.port);
  const halfBody = await RawFrameConn.connect(server.addr.port);
  const idle = await RawFrameConn.connect(server.addr.port);
  const silent = await RawFrameConn.connect(server.addr.port);
  try {
    await idle.write(request(1));
    await waitFor(() => idle.frames.length === 1, "first answer");
    await halfHeader.write(rawHeader(1, 4).subarray(0, 5));
    const frame = request(2);
    await halfBody.write(frame.subarray(0, frame.length - 1));
    await halfHeader.waitClosed();
    await halfBody.waitClosed();
    assert.equal(server.counters.get("frameTimeouts"), 2);
    // Well past the deadline, the idle and the silent connection are still served.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(idle.closedByPeer, false);
    assert.equal(silent.closedByPeer, false);
    await idle.write(request(3));
    await silent.write(request(4));
    await waitFor(() => idle.frames.length === 2 && silent.frames.length === 1, "later answers");
    assert.equal(server.counters.get("frameTimeouts"), 2);
  } finally {
    await Promise.all([halfHeader, halfBody, idle, silent].map((c) => c.close()));
    await server.close();
  }
});

Deno.test("tcp edges - a valid frame then a bad header in one write: the valid one is answered", async () => {
  const server = routeServer();
  const badHeader = await RawFrameConn.connect(server.addr.port);
  const badBody = await RawFrameConn.connect(server.addr.port);
  try {
    await badHeader.write(new Uint8Array([...request(5), ...request(6), ...rawHeader(1, -1)]));
    await badBody.write(new Uint8Array([...request(8), ...rawHeader(1, 1), 0x08, ...request(9)]));
    await badHeader.waitClosed();
    await badBody.waitClosed();
    const modids = (c: RawFrameConn) =>
      c.frames.map((f) => GetRouteResponseCodec.decode(f.body).modid);
    assert.deepEqual(modids(badHeader), [5, 6]);
    assert.deepEqual(modids(badBody), [8]); // nothing after the bad body is handled
    assert.equal(server.counters.get("badFrames"), 2);
  } finally {
    await badHeader.close();
    await badBody.close();
    await server.close();
  }
});

Deno.test("tcp edges - an unknown-msgid flood logs one line, then one summary per interval", async () => {
  const log = captureLogger();
  const server = routeServer({ log });
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    const flood = new Uint8Array(20_000 * 9);
    for (let i = 0; i < 20_000; i++) {
      flood.set(encodeFrame(1000 + i, new Uint8Array([i & 255])), i * 9);
    }
    await client.write(flood);
    await client.write(request(1));
    await waitFor(() => client.frames.length === 1, "answer after the flood");
    assert.equal(server.counters.get("unknownMsgid"), 20_000);
    assert.equal(server.unknownMsgidLog.trackedPeers, 1);
    server.unknownMsgidLog.flush();
    const drops = log.lines.filter((l) => l.includes("unknown msgid"));
    assert.equal(drops.length, 2, drops.join("\n"));
    assert.match(
      drops[0],
      /^dropping frames with unknown msgids from 127\.0\.0\.1:\d+: msgid 1000/,
    );
    assert.match(drops[1], /^dropped 19999 frames with unknown msgids from 127\.0\.0\.1:\d+$/);
    server.unknownMsgidLog.flush(); // a quiet interval: the peer is forgotten
    assert.equal(server.unknownMsgidLog.trackedPeers, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("drop log - peers past maxPeers share one line; lines per interval are bounded", () => {
  const log = captureLogger();
  const drops = new DropLog({ log, what: "frames with unknown msgids", maxPeers: 8 });
  for (let round = 0; round < 3; round++) {
    for (let peer = 0; peer < 1000; peer++) {
      for (let i = 0; i < 5; i++) drops.add(`10.0.${peer >> 8}.${peer & 255}:1`, `msgid ${i}`);
    }
    assert.equal(drops.trackedPeers, 8);
    drops.flush();
  }
  drops.close();
  // Round 1: 8 first lines, 8 summaries, 1 for the rest; rounds 2 and 3: 8 + 1 each.
  assert.equal(log.lines.length, 8 + 8 + 1 + 2 * 9);
  assert.equal(
    log.lines.at(-1),
    "dropped 4960 frames with unknown msgids from peers past the 8 tracked",
  );
  assert.equal(drops.trackedPeers, 0);
});

Deno.test("tcp edges - at maxConn a new peer takes the place of the oldest silent connection", async () => {
  const server = routeServer({ maxConn: 3, frameTimeoutMs: 1000 });
  const active = await RawFrameConn.connect(server.addr.port);
  const silentOld = await RawFrameConn.connect(server.addr.port);
  const conns = [active, silentOld];
  try {
    await active.write(request(1));
    await waitFor(() => active.frames.length === 1, "active answered");
    await new Promise((r) => setTimeout(r, 1100)); // both past the frame deadline
    const silentYoung = await RawFrameConn.connect(server.addr.port);
    conns.push(silentYoung);
    await waitFor(() => server.connections.size === 3, "3 connections");
    const agent = await RawFrameConn.connect(server.addr.port);
    conns.push(agent);
    await silentOld.waitClosed();
    assert.equal(server.counters.get("silentEvicted"), 1);
    await agent.write(request(2));
    await waitFor(() => agent.frames.length === 1, "the new peer is served");
    // Now nobody is both silent and past the deadline: the next one is refused.
    const extra = await RawFrameConn.connect(server.addr.port);
    conns.push(extra);
    await extra.waitClosed();
    assert.equal(server.counters.get("connectionsRejected"), 1);
    assert.equal(active.closedByPeer, false);
    assert.equal(silentYoung.closedByPeer, false);
  } finally {
    await Promise.all(conns.map((c) => c.close()));
    await server.close();
  }
});

Deno.test("tcp edges - the read buffer grows for a burst and shrinks back once reads are small", async () => {
  const server = routeServer();
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    const burst = new Uint8Array(Array.from({ length: 4000 }, (_, i) => [...request(i)]).flat());
    await waitFor(() => server.connections.size === 1, "connected");
    const conn = [...server.connections][0];
    assert.equal(conn.readBufferSize, 4096);
    await client.write(burst);
    await waitFor(() => client.frames.length === 4000, "4,000 answers");
    await client.write(request(1));
    await waitFor(() => client.frames.length === 4001, "one more answer");
    assert.ok(conn.readBufferPeak > 4096, `the buffer never grew (${conn.readBufferPeak})`);
    assert.equal(conn.readBufferSize, 4096);
  } finally {
    await client.close();
    await server.close();
  }
});

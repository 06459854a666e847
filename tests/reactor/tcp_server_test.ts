import assert from "node:assert/strict";
import { GetRouteRequestCodec, GetRouteResponseCodec } from "../../proto/mod.ts";
import { type ServerConnection, TcpServer } from "../../reactor/tcp_server.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { RawFrameConn, rawHeader, routeServer, waitFor } from "../support/net.ts";

Deno.test("tcp server - routes by msgid and answers in order", async () => {
  const server = routeServer();
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    for (let i = 0; i < 100; i++) {
      await client.send(1, GetRouteRequestCodec.encode({ modid: i, cmdid: 7 }));
    }
    await waitFor(() => client.frames.length === 100, "100 replies");
    assert.deepEqual(
      client.frames.map((f) => GetRouteResponseCodec.decode(f.body).modid),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(server.counters.get("framesIn"), 100);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp server - many frames in one write and split frames", async () => {
  const server = routeServer();
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    const one = new Uint8Array([
      ...rawHeader(1, 4),
      ...GetRouteRequestCodec.encode({ modid: 1, cmdid: 2 }),
    ]);
    const many = new Uint8Array(one.length * 500);
    for (let i = 0; i < 500; i++) many.set(one, i * one.length);
    await client.write(many);
    await client.write(one.subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    await client.write(one.subarray(3));
    await waitFor(() => client.frames.length === 501, "501 replies");
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp server - malformed headers close only that connection and are counted", async () => {
  const server = routeServer();
  const good = await RawFrameConn.connect(server.addr.port);
  const negative = await RawFrameConn.connect(server.addr.port);
  const huge = await RawFrameConn.connect(server.addr.port);
  const badBody = await RawFrameConn.connect(server.addr.port);
  try {
    await negative.write(rawHeader(1, -1));
    await huge.write(rawHeader(1, 70000));
    await badBody.write(new Uint8Array([...rawHeader(1, 1), 0x08])); // truncated varint
    await negative.waitClosed();
    await huge.waitClosed();
    await badBody.waitClosed();
    assert.equal(server.counters.get("badFrames"), 3);
    await good.send(1, GetRouteRequestCodec.encode({ modid: 5, cmdid: 5 }));
    await waitFor(() => good.frames.length === 1, "reply on the good connection");
    assert.equal(good.closedByPeer, false);
  } finally {
    await Promise.all([good, negative, huge, badBody].map((c) => c.close()));
    await server.close();
  }
});

Deno.test("tcp server - unknown msgid is skipped, not fatal", async () => {
  const server = routeServer();
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    await client.send(99, new Uint8Array([1, 2, 3]));
    await client.send(1, GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }));
    await waitFor(() => client.frames.length === 1, "reply after unknown msgid");
    assert.equal(server.counters.get("unknownMsgid"), 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp server - maxConn closes extra connections at accept and counts them", async () => {
  const server = routeServer({ maxConn: 2 });
  const clients = [];
  try {
    for (let i = 0; i < 2; i++) clients.push(await RawFrameConn.connect(server.addr.port));
    await waitFor(() => server.connections.size === 2, "2 connections");
    const extra = await RawFrameConn.connect(server.addr.port);
    clients.push(extra);
    await extra.waitClosed();
    assert.equal(server.counters.get("connectionsRejected"), 1);
    // A slot freed by a closing client is usable again.
    await clients[0].close();
    await waitFor(() => server.connections.size === 1, "slot freed");
    const again = await RawFrameConn.connect(server.addr.port);
    clients.push(again);
    await again.send(1, GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }));
    await waitFor(() => again.frames.length === 1, "reply on reused slot");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  }
});

Deno.test("tcp server - start and close hooks fire once per connection, props per connection", async () => {
  const started: number[] = [];
  const closed: number[] = [];
  const server = routeServer({
    onConnect: (conn: ServerConnection) => {
      started.push(conn.id);
      conn.props.set("n", started.length);
    },
    onClose: (conn: ServerConnection) => closed.push(conn.props.get("n") as number),
  });
  try {
    const a = await RawFrameConn.connect(server.addr.port);
    const b = await RawFrameConn.connect(server.addr.port);
    await waitFor(() => started.length === 2, "two starts");
    await a.close();
    await b.close();
    await waitFor(() => closed.length === 2, "two closes");
    assert.equal(new Set(started).size, 2);
    assert.deepEqual(closed.sort(), [1, 2]);
  } finally {
    await server.close();
  }
  // Once the server is closed every hook has run: still one close per connection.
  assert.equal(closed.length, 2);
});

Deno.test("tcp server - a peer that never reads is closed once its queue is over the bound", async () => {
  const server = new TcpServer({
    transport: denoTransport,
    port: 0,
    maxQueuedBytes: 256 * 1024,
    name: "test",
  });
  let serverSide: ServerConnection | undefined;
  server.router.onRaw(1, (_body, { conn }) => {
    serverSide = conn;
    for (let i = 0; i < 20_000; i++) conn.send(2, new Uint8Array(1000));
  });
  server.listen();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    await conn.write(new Uint8Array([...rawHeader(1, 0)]));
    await waitFor(() => serverSide?.isClosed === true, "slow peer closed");
    assert.equal(server.counters.get("slowClosed"), 1);
  } finally {
    conn.close();
    await server.close();
  }
});

Deno.test("tcp server - graceful close writes what is queued", async () => {
  const server = routeServer();
  const client = await RawFrameConn.connect(server.addr.port);
  try {
    await waitFor(() => server.connections.size === 1, "connection");
    const [conn] = server.connections;
    for (let i = 0; i < 1000; i++) {
      conn.send(2, GetRouteResponseCodec.encode({ modid: i, cmdid: 0, host: [] }));
    }
    await server.close({ graceful: true });
    await client.waitClosed();
    assert.equal(client.frames.length, 1000);
  } finally {
    await client.close();
  }
});

Deno.test("tcp server - reusePort lets two servers share a port; both get connections", async () => {
  const first = routeServer({ reusePort: true });
  const port = first.addr.port;
  const second = routeServer({ port, reusePort: true });
  const clients: RawFrameConn[] = [];
  try {
    for (let i = 0; i < 24; i++) clients.push(await RawFrameConn.connect(port));
    await waitFor(
      () => first.connections.size + second.connections.size === 24,
      "24 connections accepted",
    );
    // The kernel hashes connections over the two listeners; all 24 on one is a 2^-23 chance.
    assert.ok(first.connections.size > 0 && second.connections.size > 0);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await first.close();
    await second.close();
  }
});

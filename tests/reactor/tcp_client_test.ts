import assert from "node:assert/strict";
import { GetRouteRequestCodec } from "../../proto/mod.ts";
import { TcpClient } from "../../reactor/tcp_client.ts";
import { TcpServer } from "../../reactor/tcp_server.ts";
import type { Transport } from "../../reactor/transport.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { nodeTransport } from "../../reactor/transport_node.ts";
import { HalfOpenTransport } from "../support/half_open_transport.ts";
import { waitFor } from "../support/net.ts";

function echoServer(port = 0): TcpServer {
  const server = new TcpServer({ transport: denoTransport, port, name: "test-server" });
  server.router.onRaw(1, (body, { conn }) => conn.send(2, body));
  server.listen();
  return server;
}

function newClient(port: number, extra: Partial<ConstructorParameters<typeof TcpClient>[0]> = {}) {
  const client = new TcpClient({
    transport: denoTransport,
    hostname: "127.0.0.1",
    port,
    name: "test-client",
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    ...extra,
  });
  const replies: number[] = [];
  client.router.on(2, GetRouteRequestCodec, (m) => {
    replies.push(m.modid);
  });
  return { client, replies };
}

Deno.test("tcp client - frames sent before connecting are delivered in order", async () => {
  const server = echoServer();
  const { client, replies } = newClient(server.addr.port);
  try {
    for (let i = 1; i <= 50; i++) {
      client.send(1, GetRouteRequestCodec.encode({ modid: i, cmdid: 1 }));
    }
    assert.equal(client.pendingFrames, 50);
    client.start();
    await waitFor(() => replies.length === 50, "50 replies");
    assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => i + 1));
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp client - reconnects after the server restarts and runs the hook each time", async () => {
  let server = echoServer();
  const port = server.addr.port;
  let connects = 0;
  let disconnects = 0;
  const { client, replies } = newClient(port, {
    onConnect: () => connects++,
    onDisconnect: () => disconnects++,
  });
  try {
    client.start();
    await client.whenConnected();
    client.send(1, GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }));
    await waitFor(() => replies.length === 1, "first reply");

    await server.close();
    await waitFor(() => !client.connected, "client noticed the server is gone");
    // Sent while the server is down: kept and delivered after the reconnect.
    client.send(1, GetRouteRequestCodec.encode({ modid: 2, cmdid: 1 }));
    await waitFor(() => client.counters.get("connectFailures") >= 1, "a failed reconnect");

    server = echoServer(port);
    await waitFor(() => replies.length === 2, "reply after restart");
    assert.deepEqual(replies, [1, 2]);
    assert.equal(connects, 2);
    assert.equal(disconnects, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp client - pending queue is bounded, oldest dropped and counted", async () => {
  const { client } = newClient(1, { maxPendingFrames: 10 });
  try {
    for (let i = 0; i < 25; i++) client.send(1, new Uint8Array([i]));
    assert.equal(client.pendingFrames, 10);
    assert.equal(client.counters.get("sendDrops"), 15);
  } finally {
    await client.close();
  }
});

Deno.test("tcp client - close stops reconnecting to a dead port", async () => {
  const { client } = newClient(1);
  client.start();
  await waitFor(() => client.counters.get("connectFailures") >= 2, "two failed attempts");
  await client.close();
  // No retry is left scheduled: the test's op sanitizer fails on a pending timer or connect.
  assert.equal(client.send(1, new Uint8Array()), false);
});

for (const inner of [denoTransport, nodeTransport]) {
  Deno.test(`tcp client - heartbeat replaces a half-open connection and reconnects (${inner.name})`, async () => {
    const server = echoServer();
    const transport = new HalfOpenTransport(inner);
    let connects = 0;
    let probes = 0;
    const { client, replies } = newClient(server.addr.port, {
      transport,
      onConnect: () => connects++,
      heartbeat: {
        idleMs: 100,
        timeoutMs: 100,
        probe: (c) => {
          probes++;
          return c.send(1, GetRouteRequestCodec.encode({ modid: 1000 + probes, cmdid: 1 }));
        },
      },
    });
    try {
      client.start();
      await waitFor(() => probes >= 2 && replies.length >= 2, "answered probes", 10_000);
      assert.equal(client.counters.get("deadPeers"), 0, "answered probes keep the connection");
      assert.equal(connects, 1);
      transport.stall();
      await waitFor(() => connects === 2, "reconnect over a second path", 10_000);
      assert.equal(client.counters.get("deadPeers"), 1);
      assert.equal(transport.connections.length, 2);
      const before = replies.length;
      client.send(1, GetRouteRequestCodec.encode({ modid: 7, cmdid: 1 }));
      await waitFor(() => replies.slice(before).includes(7), "reply over the new connection");
    } finally {
      await client.close();
      await server.close();
    }
  });
}

Deno.test("tcp client - heartbeat without anything to probe leaves the connection alone", async () => {
  const server = echoServer();
  let asked = 0;
  const { client } = newClient(server.addr.port, {
    heartbeat: { idleMs: 20, timeoutMs: 20, probe: () => (asked++, false) },
  });
  try {
    client.start();
    await waitFor(() => asked >= 5, "probe asked");
    assert.equal(client.counters.get("deadPeers"), 0);
    assert.equal(client.counters.get("connects"), 1);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp client - refreshIdleMs replaces an idle connection, without waiting for a send", async () => {
  const server = echoServer();
  const transport = new HalfOpenTransport(denoTransport);
  const { client, replies } = newClient(server.addr.port, { transport, refreshIdleMs: 100 });
  try {
    client.start();
    client.send(1, GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }));
    await waitFor(() => replies.includes(1), "first reply");
    // The peer goes silent without closing; an idle client finds out on its own.
    transport.stall();
    await waitFor(() => transport.connections.length >= 2, "replaced while idle");
    assert.ok(client.counters.get("idleRefreshes") >= 1);
    assert.equal(client.counters.get("deadPeers"), 0);
    client.send(1, GetRouteRequestCodec.encode({ modid: 2, cmdid: 1 }));
    client.send(1, GetRouteRequestCodec.encode({ modid: 3, cmdid: 1 }));
    await waitFor(() => replies.includes(2) && replies.includes(3), "replies over a fresh path");
    // A connection in use is not replaced.
    const paths = transport.connections.length;
    for (let m = 4; m < 12; m++) {
      client.send(1, GetRouteRequestCodec.encode({ modid: m, cmdid: 1 }));
      await waitFor(() => replies.includes(m), "reply");
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(transport.connections.length, paths);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("tcp client - keepAliveMs with short kernel timings makes the idle refresh unneeded", async () => {
  const server = echoServer();
  let asked: number[] = [];
  const transport: Transport = {
    ...denoTransport,
    connectTcp: async (addr) => {
      const conn = await denoTransport.connectTcp(addr);
      // As on Bun or Node, where keepalive probes are 1 s apart.
      conn.setKeepAlive = (ms: number) => (asked.push(ms), true);
      return conn;
    },
  };
  const { client, replies } = newClient(server.addr.port, {
    transport,
    refreshIdleMs: 30,
    keepAliveMs: 5000,
  });
  try {
    client.start();
    client.send(1, GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }));
    await waitFor(() => replies.includes(1), "first reply");
    await new Promise((r) => setTimeout(r, 150));
    client.send(1, GetRouteRequestCodec.encode({ modid: 2, cmdid: 1 }));
    await waitFor(() => replies.includes(2), "second reply");
    assert.deepEqual(asked, [5000]);
    assert.equal(client.counters.get("idleRefreshes"), 0);
    assert.equal(client.counters.get("connects"), 1);
  } finally {
    asked = [];
    await client.close();
    await server.close();
  }
});

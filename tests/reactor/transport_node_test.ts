import assert from "node:assert/strict";
import {
  createNodeTransport,
  NodeTcpListener,
  nodeTransport,
  NodeUdpSocket,
} from "../../reactor/transport_node.ts";
import { transportContract } from "./transport_contract.ts";

transportContract({
  name: "node",
  transport: nodeTransport,
  // node:net listens asynchronously; `bound` resolves once it does.
  bound: (socket) => {
    assert.ok(socket instanceof NodeTcpListener || socket instanceof NodeUdpSocket);
    return socket.bound;
  },
});

Deno.test("node transport - a full receive queue drops datagrams and counts them", async () => {
  const transport = createNodeTransport({ maxQueuedDatagrams: 3 });
  const receiver = transport.bindUdp({ hostname: "127.0.0.1", port: 0 });
  const sender = transport.bindUdp({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.ok(receiver instanceof NodeUdpSocket);
    for (let i = 0; i < 5; i++) await sender.send(new Uint8Array([i]), receiver.addr);
    // Nobody receives yet: the first 3 are queued, the last 2 dropped.
    const deadline = Date.now() + 5000;
    while (receiver.droppedDatagrams < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(receiver.droppedDatagrams, 2);
    const buf = new Uint8Array(4);
    const got: number[] = [];
    for (let i = 0; i < 3; i++) got.push((await receiver.receive(buf)).data[0]);
    assert.deepEqual(got, [0, 1, 2]);
  } finally {
    receiver.close();
    sender.close();
  }
});

Deno.test("node transport - a slow reader with a small read buffer still gets every byte in order", async () => {
  const transport = createNodeTransport({ readHighWaterMark: 1024 });
  const listener = transport.listenTcp({ hostname: "127.0.0.1", port: 0 });
  assert.ok(listener instanceof NodeTcpListener);
  const addr = await listener.bound;
  const accepted = listener.accept();
  const client = await transport.connectTcp(addr);
  const server = await accepted;
  try {
    const payload = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    const writing = client.writeAll(payload);
    const out = new Uint8Array(payload.length);
    const buf = new Uint8Array(100);
    let got = 0;
    for (let reads = 1; got < payload.length; reads++) {
      const n = await server.read(buf);
      assert.notEqual(n, null);
      out.set(buf.subarray(0, n!), got);
      got += n!;
      if (reads % 64 === 0) await new Promise((r) => setTimeout(r, 1)); // be slow
    }
    await writing;
    assert.deepEqual(out, payload);
  } finally {
    client.close();
    server.close();
    listener.close();
  }
});

Deno.test("node transport - invalid options are refused", () => {
  assert.throws(() => createNodeTransport({ maxQueuedDatagrams: 0 }), RangeError);
  assert.throws(() => createNodeTransport({ readHighWaterMark: 1.5 }), RangeError);
});

import assert from "node:assert/strict";
import { encodeFrame, GetHostRequestCodec, GetHostResponseCodec } from "../../proto/mod.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { UdpClient, UdpServer } from "../../reactor/udp_endpoint.ts";
import { waitFor } from "../support/net.ts";

function hostServer() {
  const server = new UdpServer({ transport: denoTransport, port: 0, name: "test-udp" });
  server.router.on(4, GetHostRequestCodec, (req, peer) => {
    peer.reply(5, GetHostResponseCodec.encode({ ...req, retcode: 0, host: { ip: 1, port: 80 } }));
  });
  server.start();
  return server;
}

Deno.test("udp - requests are answered to the sender's address", async () => {
  const server = hostServer();
  const client = new UdpClient({ transport: denoTransport });
  const seqs: number[] = [];
  client.router.on(5, GetHostResponseCodec, (res) => {
    seqs.push(res.seq);
  });
  client.start();
  try {
    for (let seq = 1; seq <= 100; seq++) {
      client.send(4, GetHostRequestCodec.encode({ seq, modid: 1, cmdid: 2 }), server.addr);
    }
    await waitFor(() => seqs.length === 100, "100 answers");
    assert.deepEqual(seqs.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("udp - garbage datagrams are dropped and counted; the server keeps serving", async () => {
  const server = hostServer();
  const raw = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port: server.addr.port };
  try {
    const garbage = [
      new Uint8Array([1, 2, 3]), // shorter than a header
      new Uint8Array([4, 0, 0, 0, 255, 255, 255, 255]), // negative msglen
      new Uint8Array([4, 0, 0, 0, 10, 0, 0, 0, 1]), // msglen larger than the datagram
      encodeFrame(4, new Uint8Array([0x08])), // truncated varint body
      encodeFrame(4, new Uint8Array([0x0a, 0x01, 0x00])), // wrong wire type
      new Uint8Array(0),
    ];
    for (const g of garbage) await raw.send(g, to);
    await raw.send(encodeFrame(77, new Uint8Array()), to); // unknown msgid
    await waitFor(() => server.counters.get("badFrames") === garbage.length, "bad datagrams");
    await waitFor(() => server.counters.get("unknownMsgid") === 1, "unknown msgid");
    await raw.send(encodeFrame(4, GetHostRequestCodec.encode({ seq: 9, modid: 1, cmdid: 1 })), to);
    const [reply] = await raw.receive(new Uint8Array(1024));
    assert.equal(GetHostResponseCodec.decode(reply.subarray(8)).seq, 9);
  } finally {
    raw.close();
    await server.close();
  }
});

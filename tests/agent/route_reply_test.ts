import assert from "node:assert/strict";
import { encodeRouteReply, MAX_DATAGRAM_FRAME } from "../../agent/route_reply.ts";
import { GetRouteResponseCodec, HEADER_SIZE, type HostInfo } from "../../proto/mod.ts";

function hostsAt(count: number, first = 0xC0A80000, port = 9000): HostInfo[] {
  return Array.from({ length: count }, (_, i) => ({ ip: (first + i) >>> 0, port }));
}

Deno.test("route reply - a route that fits is encoded whole, in its own order", () => {
  const hosts = hostsAt(3).reverse();
  const reply = encodeRouteReply(1, 2, hosts);
  assert.deepEqual([reply.served, reply.total], [3, 3]);
  assert.deepEqual(GetRouteResponseCodec.decode(reply.body).host, hosts);
});

Deno.test("route reply - 4,094 hosts at 192.168.x are cut to the first ones by address that fit", () => {
  const hosts = hostsAt(4094);
  const whole = GetRouteResponseCodec.encode({ modid: 1, cmdid: 2, host: hosts });
  assert.ok(whole.length + HEADER_SIZE > MAX_DATAGRAM_FRAME, "the whole route does not fit");
  // Shuffled input: the subset does not depend on the order DNS sent.
  const shuffled = [...hosts].sort((a, b) => ((a.ip * 7919) % 4099) - ((b.ip * 7919) % 4099));
  const reply = encodeRouteReply(1, 2, shuffled);
  assert.ok(reply.body.length + HEADER_SIZE <= MAX_DATAGRAM_FRAME);
  assert.equal(reply.total, 4094);
  assert.ok(reply.served < 4094 && reply.served > 4000, String(reply.served));
  const served = GetRouteResponseCodec.decode(reply.body).host;
  assert.deepEqual(served, hosts.slice(0, reply.served));
  // As many as fit: one more host would not.
  const oneMore = GetRouteResponseCodec.encode({
    modid: 1,
    cmdid: 2,
    host: hosts.slice(0, reply.served + 1),
  });
  assert.ok(oneMore.length + HEADER_SIZE > MAX_DATAGRAM_FRAME);
});

Deno.test("route reply - mixed host sizes still fill the datagram exactly to the limit", () => {
  // Small ips encode in fewer bytes than 192.168.x ones (negative int32, 10 bytes).
  const hosts = [...hostsAt(3000, 1, 80), ...hostsAt(3000, 0xC0A80000, 65535)];
  const reply = encodeRouteReply(-5, 7, hosts, 30_000);
  assert.ok(reply.body.length + HEADER_SIZE <= 30_000);
  const served = GetRouteResponseCodec.decode(reply.body).host;
  assert.deepEqual(served, hosts.slice(0, reply.served));
  const oneMore = GetRouteResponseCodec.encode({
    modid: -5,
    cmdid: 7,
    host: hosts.slice(0, reply.served + 1),
  });
  assert.ok(oneMore.length + HEADER_SIZE > 30_000);
});

/**
 * DNS service behaviour, run against each route store (SQLite and MySQL).
 *
 * @module
 */
import assert from "node:assert/strict";
import { DnsService } from "../../dns/dns_service.ts";
import { GetRouteRequestCodec, GetRouteResponseCodec, ipToInt } from "../../proto/mod.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { openRouteStore } from "../../store/url.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";

/** How to get a fresh, empty store URL; `unavailable` skips the suite with a reason. */
export interface DnsSuiteTarget {
  name: string;
  unavailable: string | null;
  freshUrl: () => Promise<string>;
}

/** A DNS service on a fresh store with a fast poll, plus a second store handle for edits. */
export async function startDns(url: string, pollIntervalMs = 20) {
  const store = await openRouteStore(url);
  const admin = await openRouteStore(url);
  const service = new DnsService({
    store,
    transport: denoTransport,
    port: 0,
    pollIntervalMs,
    reloadIntervalMs: 200,
    maxRetryMs: 200,
  });
  await service.start();
  return {
    service,
    admin,
    async close() {
      await service.stop();
      await store.close();
      await admin.close();
    },
  };
}

/** Decoded GetRouteResponse frames a raw connection received. */
export function routes(conn: RawFrameConn) {
  return conn.frames.filter((f) => f.msgid === 2).map((f) => GetRouteResponseCodec.decode(f.body));
}

/** Sends a GetRouteRequest on a raw connection. */
export function ask(conn: RawFrameConn, modid: number, cmdid: number): Promise<void> {
  return conn.send(1, GetRouteRequestCodec.encode({ modid, cmdid }));
}

const IP1 = ipToInt("10.0.0.1");
const IP2 = ipToInt("192.168.200.2");

/** Registers the suite. */
export function registerDnsSuite(target: DnsSuiteTarget): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `dns ${target.name} - ${name}`, ignore: target.unavailable !== null, fn });

  test("answers known and unknown modules", async () => {
    const url = await target.freshUrl();
    const seed = await openRouteStore(url);
    await seed.addHost(1, 1, IP1, 9000);
    await seed.addHost(1, 1, IP2, 9001);
    await seed.close();
    const dns = await startDns(url);
    const conn = await RawFrameConn.connect(dns.service.addr.port);
    try {
      await ask(conn, 1, 1);
      await ask(conn, 7, 7);
      await waitFor(() => routes(conn).length === 2, "two answers");
      const [known, unknown] = routes(conn);
      assert.deepEqual(
        known.host.map((h) => [h.ip, h.port]).sort(),
        [[IP1, 9000], [IP2, 9001]].sort(),
      );
      assert.deepEqual(unknown, { modid: 7, cmdid: 7, host: [] });
    } finally {
      await conn.close();
      await dns.close();
    }
  });

  test("pushes changes to subscribers only, and an empty list when all hosts go", async () => {
    const dns = await startDns(await target.freshUrl());
    const subscriber = await RawFrameConn.connect(dns.service.addr.port);
    const other = await RawFrameConn.connect(dns.service.addr.port);
    try {
      await ask(subscriber, 5, 6);
      await ask(other, 8, 8);
      await waitFor(() => routes(subscriber).length === 1 && routes(other).length === 1, "answers");

      await dns.admin.addHost(5, 6, IP1, 80);
      await waitFor(() => routes(subscriber).length === 2, "push of the added host");
      assert.deepEqual(routes(subscriber)[1].host, [{ ip: IP1, port: 80 }]);

      await dns.admin.removeHost(5, 6, IP1, 80);
      await waitFor(() => routes(subscriber).length === 3, "push of the empty route");
      assert.deepEqual(routes(subscriber)[2], { modid: 5, cmdid: 6, host: [] });

      // The other connection never asked for 5/6: nothing pushed to it. A push would have
      // been written to it before the answer to a request it sends now.
      await ask(other, 8, 9);
      await waitFor(() => routes(other).length === 2, "answer to the second request");
      assert.deepEqual(routes(other).map((r) => [r.modid, r.cmdid]), [[8, 8], [8, 9]]);
      assert.ok(dns.service.counters.get("pushes") >= 2);
    } finally {
      await subscriber.close();
      await other.close();
      await dns.close();
    }
  });

  test("a closed connection loses its subscriptions", async () => {
    const dns = await startDns(await target.freshUrl());
    const conn = await RawFrameConn.connect(dns.service.addr.port);
    await ask(conn, 1, 2);
    await ask(conn, 1, 3);
    await waitFor(() => routes(conn).length === 2, "answers");
    assert.equal(dns.service.subscriptionCount, 2);
    await conn.close();
    try {
      await waitFor(() => dns.service.subscriptionCount === 0, "subscriptions dropped");
      await dns.admin.addHost(1, 2, IP1, 80);
      await waitFor(() => dns.service.table.hosts(1, 2).length === 1, "table reload");
      assert.equal(dns.service.counters.get("pushes"), 0);
    } finally {
      await dns.close();
    }
  });

  test("malformed frames close only that connection", async () => {
    const dns = await startDns(await target.freshUrl());
    const good = await RawFrameConn.connect(dns.service.addr.port);
    const bad = await RawFrameConn.connect(dns.service.addr.port);
    try {
      await bad.write(new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0, 0])); // msglen 65535 > limit
      await bad.waitClosed();
      await ask(good, 1, 1);
      await waitFor(() => routes(good).length === 1, "good connection answered");
      assert.equal(dns.service.server.counters.get("badFrames"), 1);
    } finally {
      await good.close();
      await bad.close();
      await dns.close();
    }
  });

  test("many subscribers of one module all get the push", async () => {
    const dns = await startDns(await target.freshUrl());
    const conns = await Promise.all(
      Array.from({ length: 50 }, () => RawFrameConn.connect(dns.service.addr.port)),
    );
    try {
      await Promise.all(conns.map((c) => ask(c, 3, 3)));
      await waitFor(() => conns.every((c) => routes(c).length === 1), "50 answers");
      await dns.admin.addHost(3, 3, IP2, 443);
      await waitFor(() => conns.every((c) => routes(c).length === 2), "50 pushes");
    } finally {
      await Promise.all(conns.map((c) => c.close()));
      await dns.close();
    }
  });
}

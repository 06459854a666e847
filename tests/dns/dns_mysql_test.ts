import assert from "node:assert/strict";
import { DnsService } from "../../dns/dns_service.ts";
import { ipToInt } from "../../proto/mod.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { createRouteStore, openRouteStore } from "../../store/url.ts";
import { getTestMysql, testMysqlUnavailableReason } from "../support/mariadb.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { registerDnsFleetSuite } from "./dns_fleet_suite.ts";
import { ask, registerDnsSuite, routes, startDns } from "./dns_suite.ts";

// Started outside any test so the server process is invisible to the sanitizers.
const server = await getTestMysql();
const unavailable = server ? null : testMysqlUnavailableReason() ?? "no MySQL server";
let n = 0;
const freshUrl = () => server!.createDatabase(`lars_dns_${Deno.pid}_${++n}`);

registerDnsSuite({ name: "mysql", unavailable, freshUrl });
registerDnsFleetSuite({ name: "mysql", unavailable, freshUrl });

Deno.test({
  name:
    "dns mysql - database restarted while serving: answers from its table, then picks up changes",
  ignore: unavailable !== null || !server?.managed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const url = await freshUrl();
    const dns = await startDns(url);
    const conn = await RawFrameConn.connect(dns.service.addr.port);
    try {
      await dns.admin.addHost(2, 2, ipToInt("10.1.1.1"), 81);
      await ask(conn, 2, 2);
      await waitFor(() => routes(conn).at(-1)?.host.length === 1, "route with one host");

      await server!.stop({ signal: "SIGKILL" });
      await waitFor(() => dns.service.counters.get("dbErrors") > 0, "poll notices the outage");
      // Still answering from the last good table.
      await ask(conn, 2, 2);
      const before = routes(conn).length;
      await waitFor(() => routes(conn).length === before + 1, "answer during the outage");
      assert.deepEqual(routes(conn).at(-1)!.host, [{ ip: ipToInt("10.1.1.1"), port: 81 }]);

      await server!.start();
      const edit = await openRouteStore(url);
      await edit.addHost(2, 2, ipToInt("10.1.1.2"), 82);
      await edit.close();
      await waitFor(
        () => routes(conn).at(-1)!.host.length === 2,
        "push after the DB returned",
        15_000,
      );
    } finally {
      await conn.close();
      await dns.close();
    }
  },
});

Deno.test({
  name: "dns mysql - database down at start: retries with backoff, then serves",
  ignore: unavailable !== null || !server?.managed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const url = await freshUrl();
    const seed = await openRouteStore(url);
    await seed.addHost(4, 4, ipToInt("10.2.2.2"), 90);
    await seed.close();
    await server!.stop({ signal: "SIGKILL" });
    const store = await openRouteStore(url).catch(() => null);
    assert.equal(store, null, "opening must fail while the server is down");
    // What dns/main.ts does: a store that has not touched the database yet.
    const lazy = createRouteStore(url, { connectTimeoutMs: 500 });
    const service = new DnsService({
      store: lazy,
      transport: denoTransport,
      port: 0,
      pollIntervalMs: 20,
      maxRetryMs: 200,
    });
    const started = service.start();
    try {
      await waitFor(() => service.counters.get("dbErrors") >= 2, "failed attempts");
      await server!.start();
      const addr = await started;
      assert.ok(addr);
      assert.equal(service.table.hosts(4, 4).length, 1);
    } finally {
      await service.stop();
      await lazy.close();
    }
  },
});

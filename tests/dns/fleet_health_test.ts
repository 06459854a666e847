/**
 * The fleet verdict: unit rules of FleetVerdicts, and the DNS service sending
 * it with routes (pushed when it changes), on SQLite and MariaDB.
 */
import assert from "node:assert/strict";
import { DnsService } from "../../dns/dns_service.ts";
import { FleetVerdicts } from "../../dns/fleet_health.ts";
import { ipToInt } from "../../proto/mod.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { openReportStore, openRouteStore } from "../../store/url.ts";
import type { StatusRow } from "../../store/types.ts";
import { getTestMysql } from "../support/mariadb.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { repoTempDir } from "../support/process.ts";
import { ask, routes } from "./dns_suite.ts";

const server = await getTestMysql();
const A = { ip: ipToInt("10.0.0.1"), port: 8001 };
const B = { ip: ipToInt("10.0.0.2"), port: 8002 };

Deno.test("fleet verdicts - share and minimum of overloaded callers; changed modules", () => {
  const fleet = new FleetVerdicts({ overloadShare: 0.5, minCallers: 2 });
  const row = (overloaded: number, callers: number, port = 1) => ({
    modid: 1,
    cmdid: 2,
    ip: 10,
    port,
    callers,
    overloaded,
  });
  assert.deepEqual(fleet.apply([row(1, 1), row(1, 3, 2)]), [], "one caller is not the fleet");
  assert.deepEqual(fleet.apply([row(2, 4), row(2, 5, 2)]), [{ modid: 1, cmdid: 2 }]);
  assert.equal(fleet.isOverloaded(1, 2, 10, 1), true, "2 of 4: half");
  assert.equal(fleet.isOverloaded(1, 2, 10, 2), false, "2 of 5: under half");
  assert.deepEqual(fleet.apply([row(2, 4)]), [], "nothing changed");
  assert.deepEqual(fleet.apply([]), [{ modid: 1, cmdid: 2 }], "aged out");
  assert.equal(fleet.size, 0);
  assert.equal(fleet.since(1000), 970);
});

/** `overloaded` of `callers` agents reported `host` of module 3/3 just now. */
function reportsFor(host: typeof A, callers: number, overloaded: number): StatusRow[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: callers }, (_, i) => ({
    modid: 3,
    cmdid: 3,
    ...host,
    caller: ipToInt("10.9.0.1") + i,
    succ: 10,
    err: i < overloaded ? 20 : 0,
    ts: now,
    overload: i < overloaded,
  }));
}

async function fleetThroughDns(url: string): Promise<void> {
  const admin = await openRouteStore(url);
  const reports = await openReportStore(url);
  const store = await openRouteStore(url);
  const dns = new DnsService({
    store,
    transport: denoTransport,
    port: 0,
    pollIntervalMs: 20,
    fleet: { intervalMs: 50, windowSeconds: 30 },
  });
  await dns.start();
  const conn = await RawFrameConn.connect(dns.addr.port);
  try {
    await admin.addHost(3, 3, A.ip, A.port);
    await admin.addHost(3, 3, B.ip, B.port);
    await ask(conn, 3, 3);
    await waitFor(() => routes(conn).at(-1)?.host.length === 2, "the route");
    assert.equal(routes(conn).at(-1)!.host.some((h) => h.fleetOverload), false);
    // Ten agents report; six see A overloaded, none B: the verdict is pushed.
    await reports.upsertStatus([...reportsFor(A, 10, 6), ...reportsFor(B, 10, 0)]);
    await waitFor(() => routes(conn).at(-1)!.host.some((h) => h.fleetOverload), "push", 5000);
    const marked = routes(conn).at(-1)!.host.filter((h) => h.fleetOverload);
    assert.deepEqual(marked, [{ ...A, fleetOverload: true }]);
    // The fleet sees A healthy again: pushed without the mark.
    await reports.upsertStatus(reportsFor(A, 10, 0).map((r) => ({ ...r, ts: r.ts + 1 })));
    await waitFor(() => !routes(conn).at(-1)!.host.some((h) => h.fleetOverload), "cleared", 5000);
  } finally {
    await conn.close();
    await dns.stop();
    await store.close();
    await reports.close();
    await admin.close();
  }
}

Deno.test("dns sqlite - the fleet verdict travels with the route and is pushed when it changes", async () => {
  const dir = await repoTempDir("fleet_");
  try {
    await fleetThroughDns(`sqlite:${dir.path}/lars.db`);
  } finally {
    await dir.remove();
  }
});

Deno.test({
  name: "dns mysql - the fleet verdict travels with the route and is pushed when it changes",
  ignore: server === null,
  async fn() {
    await fleetThroughDns(await server!.createDatabase(`lars_fleet_${Deno.pid}`));
  },
});

Deno.test("dns sqlite - without the reporter's table, routes go without the verdict", async () => {
  const dir = await repoTempDir("fleet_");
  const url = `sqlite:${dir.path}/lars.db`;
  const admin = await openRouteStore(url);
  const store = await openRouteStore(url);
  const lines: string[] = [];
  const debug: string[] = [];
  const log = {
    debug: (line: string) => debug.push(line),
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
    error: (line: string) => lines.push(line),
  };
  const dns = new DnsService({
    store,
    transport: denoTransport,
    port: 0,
    pollIntervalMs: 20,
    fleet: { intervalMs: 20 },
    log: log as never,
  });
  await dns.start();
  const conn = await RawFrameConn.connect(dns.addr.port);
  try {
    await admin.addHost(3, 3, A.ip, A.port);
    await ask(conn, 3, 3);
    await waitFor(() => routes(conn).at(-1)?.host.length === 1, "the route");
    await new Promise((r) => setTimeout(r, 200));
    // No reporter has created ServerCallStatus yet: one debug line, nothing at info or above.
    assert.deepEqual(lines.filter((l) => /fleet health/.test(l)), [], lines.join("\n"));
    assert.equal(
      debug.filter((l) => /fleet health unavailable.*no such table: ServerCallStatus/.test(l))
        .length,
      1,
      debug.join("\n"),
    );
  } finally {
    await conn.close();
    await dns.stop();
    await store.close();
    await admin.close();
    await dir.remove();
  }
});

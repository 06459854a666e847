/**
 * DNS fleet behaviour, run against each route store (SQLite and MySQL):
 * several DNS instances on one store each push every change to their own
 * subscribers; a failed or repeated start loses nothing; a module too big for
 * a frame and invalid rows never disturb the others; changes written the
 * original's way (`version = now in seconds`) all arrive.
 *
 * The whole-table reload (the safety net) is set far out in these tests, so
 * every push they see comes from change tracking.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DnsService, type DnsServiceOptions } from "../../dns/dns_service.ts";
import { WorkerTableLoader } from "../../dns/table_loader.ts";
import { GetRouteResponseCodec, type HostInfo, ipToInt, MAX_FRAME_SIZE } from "../../proto/mod.ts";
import type { Logger } from "../../reactor/log.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import type { RouteStore } from "../../store/types.ts";
import { openRouteStore } from "../../store/url.ts";
import { LegacyWriter } from "../support/legacy_writer.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { ask } from "./dns_suite.ts";
import type { DnsSuiteTarget } from "./dns_suite.ts";

/** A logger that keeps its lines (and prints nothing). */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return {
    lines,
    debug: () => {},
    info: add("INFO"),
    warn: add("WARN"),
    error: add("ERROR"),
    warnThrottled: (_key, m) => lines.push(`WARN ${m}`),
  };
}

/** A DNS instance of the fleet, with its own store handle. */
export interface Replica {
  service: DnsService;
  store: RouteStore;
  log: ReturnType<typeof memoryLog>;
  close(): Promise<void>;
}

/**
 * Starts one DNS instance on `url`; rejects (after cleaning up) when it cannot
 * bind. With `worker: true`, whole-table reloads read in a worker, as
 * `deno task dns` does.
 */
export async function startReplica(
  url: string,
  options: Partial<DnsServiceOptions> & { worker?: boolean } = {},
): Promise<Replica> {
  const { worker, ...serviceOptions } = options;
  const store = await openRouteStore(url);
  const tableLoader = worker ? new WorkerTableLoader(url) : undefined;
  const log = memoryLog();
  const service = new DnsService({
    store,
    transport: denoTransport,
    port: 0,
    pollIntervalMs: 20,
    reloadIntervalMs: 3_600_000,
    maxRetryMs: 200,
    log,
    tableLoader,
    ...serviceOptions,
  });
  const close = async () => {
    await service.stop();
    await tableLoader?.close();
    await store.close();
  };
  try {
    await service.start();
  } catch (err) {
    await close();
    throw err;
  }
  return { service, store, log, close };
}

/** An agent's view: the hosts of the last answer for a module, as sorted `ip:port` text. */
export function lastHosts(conn: RawFrameConn, modid: number, cmdid: number): string | null {
  for (let i = conn.frames.length - 1; i >= 0; i--) {
    const f = conn.frames[i];
    if (f.msgid !== 2) continue;
    const r = GetRouteResponseCodec.decode(f.body);
    if (r.modid === modid && r.cmdid === cmdid) return hostText(r.host);
  }
  return null;
}

/** Host list as sorted `ip:port` text. */
export function hostText(hosts: readonly HostInfo[]): string {
  return hosts.map((h) => `${h.ip >>> 0}:${h.port}`).sort().join(",");
}

/** Connects `count` agents to `replica` and subscribes each to `modules`. */
async function agentsOn(
  replica: Replica,
  count: number,
  modules: readonly [number, number][],
): Promise<RawFrameConn[]> {
  const agents = await Promise.all(
    Array.from({ length: count }, () => RawFrameConn.connect(replica.service.addr.port)),
  );
  for (const agent of agents) for (const [m, c] of modules) await ask(agent, m, c);
  await waitFor(
    () => agents.every((a) => modules.every(([m, c]) => lastHosts(a, m, c) !== null)),
    "first answers",
  );
  return agents;
}

/** Waits until every agent's last answer for the module equals what the store holds. */
async function allSee(agents: RawFrameConn[], admin: RouteStore, modid: number, cmdid: number) {
  const want = hostText(await admin.listRoutes({ modid, cmdid }));
  await waitFor(
    () => agents.every((a) => lastHosts(a, modid, cmdid) === want),
    `every agent sees ${modid}/${cmdid} = [${want}]`,
  );
}

const ip = (n: number) => ipToInt("10.50.0.0") + n;

/** Registers the suite. */
export function registerDnsFleetSuite(target: DnsSuiteTarget): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({
      name: `dns fleet ${target.name} - ${name}`,
      ignore: target.unavailable !== null,
      fn,
    });

  for (const replicas of [2, 3]) {
    test(`${replicas} replicas: every change reaches every agent`, async () => {
      const url = await target.freshUrl();
      const admin = await openRouteStore(url);
      const fleet: Replica[] = [];
      const agents: RawFrameConn[] = [];
      try {
        // The last replica reads whole tables in a worker, as `deno task dns` does.
        for (let i = 0; i < replicas; i++) {
          fleet.push(await startReplica(url, { worker: i === replicas - 1 }));
        }
        const modules: [number, number][] = [[5, 1], [5, 2]];
        for (const r of fleet) agents.push(...await agentsOn(r, 2, modules));
        let changes = 0;
        // One change at a time, each awaited on every agent...
        for (let k = 0; k < 8; k++) {
          const [m, c] = modules[k % 2];
          if (k % 4 === 3) await admin.removeHost(m, c, ip(k - 2), 80);
          else await admin.addHost(m, c, ip(k), 80);
          changes++;
          await allSee(agents, admin, m, c);
        }
        // ...then a burst without waiting.
        for (let k = 10; k < 16; k++) {
          await admin.addHost(...modules[k % 2], ip(k), 80);
          changes++;
        }
        for (const [m, c] of modules) await allSee(agents, admin, m, c);
        // No instance deleted a change row the others might still need.
        assert.equal((await admin.changesSince(0)).length, changes);
        for (const r of fleet) {
          assert.equal(r.service.counters.get("dbErrors"), 0);
          assert.equal(r.service.counters.get("gaps"), 0, "no change was found by a full reload");
          assert.ok(r.service.counters.get("moduleReloads") > 0);
        }
      } finally {
        await Promise.all(agents.map((a) => a.close()));
        for (const r of fleet) await r.close();
        await admin.close();
      }
    });
  }

  test("a failed duplicate start and a restart lose no push", async () => {
    const url = await target.freshUrl();
    const admin = await openRouteStore(url);
    // A polls slowly, so a change is still unread while the duplicate starts.
    const a = await startReplica(url, { pollIntervalMs: 250 });
    let b = await startReplica(url);
    const agents: RawFrameConn[] = [];
    try {
      const onA = await agentsOn(a, 2, [[6, 6]]);
      let onB = await agentsOn(b, 2, [[6, 6]]);
      agents.push(...onA, ...onB);
      await admin.addHost(6, 6, ip(1), 80);
      await assert.rejects(
        startReplica(url, { port: a.service.addr.port, cleanupIntervalMs: 0 }),
        Deno.errors.AddrInUse,
      );
      assert.equal((await admin.changesSince(0)).length, 1, "the failed start deleted nothing");
      await allSee([...onA, ...onB], admin, 6, 6);
      for (let k = 2; k <= 6; k++) {
        await admin.addHost(6, 6, ip(k), 80);
        await allSee([...onA, ...onB], admin, 6, 6);
      }
      // Restart B; its agents reconnect to the new instance.
      await Promise.all(onB.map((c) => c.close()));
      await b.close();
      b = await startReplica(url, { cleanupIntervalMs: 0 });
      onB = await agentsOn(b, 2, [[6, 6]]);
      agents.push(...onB);
      for (let k = 7; k <= 9; k++) {
        await admin.addHost(6, 6, ip(k), 80);
        await allSee([...onA, ...onB], admin, 6, 6);
      }
      assert.equal((await admin.changesSince(0)).length, 9);
    } finally {
      await Promise.all(agents.map((c) => c.close()));
      await a.close();
      await b.close();
      await admin.close();
    }
  });

  test("change rows are deleted after the retention window, never at start", async () => {
    const url = await target.freshUrl();
    const admin = await openRouteStore(url);
    const legacy = await LegacyWriter.open(url);
    const now = Math.floor(Date.now() / 1000);
    let r: Replica | null = null;
    try {
      await legacy.insertChanges([
        { modid: 1, cmdid: 1, version: now - 7200 },
        { modid: 1, cmdid: 2, version: now - 30 },
      ]);
      r = await startReplica(url, { cleanupIntervalMs: 100, changeRetentionS: 3600 });
      assert.equal((await admin.changesSince(0)).length, 2, "nothing deleted at start");
      await waitFor(() => r!.service.counters.get("changesDeleted") === 1, "clean-up");
      assert.deepEqual((await admin.changesSince(0)).map((c) => c.version), [now - 30]);
    } finally {
      await r?.close();
      await legacy.close();
      await admin.close();
    }
  });

  test("an oversized module is served in part and never blocks the others", async () => {
    const url = await target.freshUrl();
    const admin = await openRouteStore(url);
    const big = Array.from({ length: 5000 }, (_, i) => ({
      modid: 7,
      cmdid: 7,
      ip: ipToInt("192.168.0.0") + i,
      port: 9000,
    }));
    // Route writes through the store refuse to grow a module this far: another writer (the
    // original's web admin, hand-written SQL) made it.
    const legacy = await LegacyWriter.open(url);
    await legacy.insertRows([...big, { modid: 1, cmdid: 1, ip: ip(1), port: 80 }, {
      modid: 2,
      cmdid: 2,
      ip: ip(2),
      port: 80,
    }]);
    // Whole reloads every 100 ms: the warning must still appear once.
    const r = await startReplica(url, { reloadIntervalMs: 100, worker: true });
    const agents: RawFrameConn[] = [];
    try {
      agents.push(...await agentsOn(r, 2, [[7, 7], [1, 1], [2, 2]]));
      const served = agents.map((a) => lastHosts(a, 7, 7)!.split(",").length);
      assert.ok(served[0] > 3000 && served[0] < 5000, `served ${served[0]}`);
      assert.equal(served[1], served[0], "the same subset for everyone");
      for (const f of agents[0].frames) assert.ok(f.body.length + 8 <= MAX_FRAME_SIZE);
      // One change touching all three modules, then changes of the small ones.
      await legacy.insertRows([
        { modid: 7, cmdid: 7, ip: ipToInt("10.7.0.1"), port: 1 },
        { modid: 1, cmdid: 1, ip: ip(11), port: 80 },
        { modid: 2, cmdid: 2, ip: ip(12), port: 80 },
      ], (await admin.version()) + 1);
      await allSee(agents, admin, 1, 1);
      await allSee(agents, admin, 2, 2);
      // 10.7.0.1 sorts first, so it is in the served subset.
      await waitFor(
        () => agents.every((a) => lastHosts(a, 7, 7)!.startsWith(`${ipToInt("10.7.0.1")}:1,`)),
        "oversized module pushed with its new host",
      );
      await admin.addHost(1, 1, ip(21), 80);
      await allSee(agents, admin, 1, 1);
      await new Promise((resolve) => setTimeout(resolve, 300)); // several whole reloads
      await admin.addHost(2, 2, ip(22), 80);
      await allSee(agents, admin, 2, 2);
      const warnings = r.log.lines.filter((l) => /module 7\/7 has/.test(l));
      assert.equal(warnings.length, 2, warnings.join("\n")); // 5000 hosts, then 5001
      assert.match(warnings[0], /module 7\/7 has 5000 hosts: .* serving the first \d+/);
      assert.equal(r.service.counters.get("oversizedModules"), 2);
      assert.equal(r.service.counters.get("dbErrors"), 0);
      assert.ok(r.service.counters.get("reloads") >= 3);
      assert.ok(!r.log.lines.some((l) => /ERROR|\n\s+at /.test(l)), r.log.lines.join("\n"));
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await r.close();
      await legacy.close();
      await admin.close();
    }
  });

  test("a bulk import past bulkModules is one whole reload, and every module arrives", async () => {
    const url = await target.freshUrl();
    const admin = await openRouteStore(url);
    const r = await startReplica(url, { bulkModules: 3, worker: true });
    const modules: [number, number][] = Array.from({ length: 6 }, (_, i) => [20, i + 1]);
    const agents: RawFrameConn[] = [];
    try {
      agents.push(...await agentsOn(r, 2, modules));
      const reloads = r.service.counters.get("reloads");
      await admin.importRoutes(
        modules.map(([modid, cmdid], i) => ({ modid, cmdid, ip: ip(i), port: 80 })),
        { replace: false },
      );
      for (const [m, c] of modules) await allSee(agents, admin, m, c);
      assert.equal(r.service.counters.get("reloads"), reloads + 1);
      assert.equal(r.service.counters.get("moduleReloads"), 0);
      // A small change afterwards goes module by module again.
      await admin.addHost(20, 1, ip(99), 80);
      await allSee(agents, admin, 20, 1);
      assert.equal(r.service.counters.get("moduleReloads"), 1);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await r.close();
      await admin.close();
    }
  });

  test("invalid rows are skipped, counted and logged once each", async () => {
    const url = await target.freshUrl();
    const legacy = await LegacyWriter.open(url);
    const r = await startReplica(url, { reloadIntervalMs: 100, worker: true });
    const agents: RawFrameConn[] = [];
    try {
      agents.push(...await agentsOn(r, 1, [[3, 3]]));
      const good = { modid: 3, cmdid: 3, ip: ip(1), port: 80 };
      const bad = [
        { ...good, port: 0 },
        { ...good, port: 65536 },
        { ...good, port: 70000 },
        { ...good, port: 4294967295 },
        { ...good, ip: 0 },
        { ...good, ip: 0xFFFFFFFF },
        { ...good, modid: 3_000_000_000 },
      ];
      await legacy.insertRows([good, ...bad]);
      await waitFor(() => lastHosts(agents[0], 3, 3) === hostText([good]), "only the good host");
      await new Promise((resolve) => setTimeout(resolve, 300)); // several whole reloads
      assert.equal(r.service.counters.get("invalidRows"), bad.length);
      const lines = r.log.lines.filter((l) => l.includes("skipping RouteData row"));
      assert.equal(lines.length, bad.length, lines.join("\n"));
      assert.ok(
        lines.some((l) => /port 4294967295: port 4294967295 is outside 1\.\.65535/.test(l)),
      );
      assert.ok(lines.some((l) => /ip 255\.255\.255\.255 is not a host address/.test(l)));
      assert.ok(lines.some((l) => /modid 3000000000 is outside/.test(l)));
      assert.equal(r.service.table.hostCount, 1);
      // The change row naming modid 3000000000 is not a database error.
      assert.equal(r.service.counters.get("dbErrors"), 0);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await r.close();
      await legacy.close();
    }
  });

  test("the original's writers: several changes in one second all arrive", async () => {
    const url = await target.freshUrl();
    const legacy = await LegacyWriter.open(url);
    const admin = await openRouteStore(url);
    const r = await startReplica(url);
    const agents: RawFrameConn[] = [];
    try {
      agents.push(...await agentsOn(r, 2, [[4, 1], [4, 2], [4, 3]]));
      // RouteVersion = now after each; the second and third leave it unchanged.
      const version = Math.floor(Date.now() / 1000) + 5;
      for (let c = 1; c <= 3; c++) {
        await legacy.insertRows([{ modid: 4, cmdid: c, ip: ip(c), port: 80 }], version);
        await new Promise((resolve) => setTimeout(resolve, 60)); // a poll or two between
      }
      for (let c = 1; c <= 3; c++) await allSee(agents, admin, 4, c);
      assert.equal(r.service.counters.get("gaps"), 0);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await r.close();
      await admin.close();
      await legacy.close();
    }
  });
}

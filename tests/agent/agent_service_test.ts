/**
 * The agent's main isolate run in the test process (real shard Workers, real
 * UDP and TCP, a real DNS service on SQLite), where the test reaches its
 * transport, counters and shards: half-open DNS connections, shard failures,
 * pulls on reconnect.
 */
import assert from "node:assert/strict";
import { AgentService } from "../../agent/agent_service.ts";
import type { AgentSettings } from "../../agent/config.ts";
import { DEFAULT_LOAD_BALANCE_OPTIONS } from "../../agent/load_balance_options.ts";
import { DnsService } from "../../dns/dns_service.ts";
import { ipToInt, RetCode, shardOf } from "../../proto/mod.ts";
import type { Logger } from "../../reactor/log.ts";
import type { Transport } from "../../reactor/transport.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import type { RouteStore } from "../../store/types.ts";
import { openRouteStore } from "../../store/url.ts";
import { AgentProbe, freeUdpPortTriple } from "../support/agent_probe.ts";
import { HalfOpenTransport } from "../support/half_open_transport.ts";
import { waitFor } from "../support/net.ts";
import { repoTempDir } from "../support/process.ts";
import { ReportSink } from "./agent_system.ts";

const A = { ip: ipToInt("10.0.0.1"), port: 8001 };
const B = { ip: ipToInt("10.0.0.2"), port: 8002 };
const key = (h: { ip: number; port: number } | undefined) => `${h?.ip}:${h?.port}`;

/** Polls an async check until it holds (10 s at most). */
async function waitForAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A logger that keeps its lines. */
function memoryLogger(lines: string[]): Logger {
  const push = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return {
    debug: push("DEBUG"),
    info: push("INFO"),
    warn: push("WARN"),
    error: push("ERROR"),
    warnThrottled: (_k, m) => lines.push(`WARN ${m}`),
  };
}

/** DNS and report sink in this process, and an AgentService with its own transport. */
class Harness {
  dns!: DnsService;
  dnsStore!: RouteStore;
  admin!: RouteStore;
  sink!: ReportSink;
  agent!: AgentService;
  probe!: AgentProbe;
  dnsPort = 0;
  lines: string[] = [];
  dir!: { path: string; remove(): Promise<void> };
  storeUrl = "";

  static async start(
    options: { transport?: Transport; peerTimeoutSeconds?: number; maxModules?: number } = {},
  ): Promise<Harness> {
    const h = new Harness();
    h.dir = await repoTempDir("agent_service_");
    h.storeUrl = `sqlite:${h.dir.path}/lars.db`;
    h.admin = await openRouteStore(h.storeUrl);
    await h.startDns();
    h.sink = new ReportSink();
    const port = freeUdpPortTriple();
    const settings: AgentSettings = {
      hostname: "127.0.0.1",
      port,
      dns: { hostname: "127.0.0.1", port: h.dnsPort },
      reporter: { hostname: "127.0.0.1", port: h.sink.port },
      loadBalance: { ...DEFAULT_LOAD_BALANCE_OPTIONS },
      reportIntervalSeconds: 0.2,
      cacheDir: "",
      emptyRouteHoldSeconds: 300,
      peerTimeoutSeconds: options.peerTimeoutSeconds ?? 10,
      maxModules: options.maxModules ?? 200_000,
    };
    h.agent = new AgentService({
      settings,
      transport: options.transport ?? denoTransport,
      caller: ipToInt("10.20.30.40"),
      log: memoryLogger(h.lines),
    });
    await h.agent.start();
    h.probe = new AgentProbe(port);
    return h;
  }

  async startDns(): Promise<void> {
    this.dnsStore = await openRouteStore(this.storeUrl);
    this.dns = new DnsService({
      store: this.dnsStore,
      transport: denoTransport,
      port: this.dnsPort,
      pollIntervalMs: 50,
      reloadIntervalMs: 1000,
    });
    this.dnsPort = (await this.dns.start())!.port;
  }

  async stopDns(): Promise<void> {
    await this.dns.stop();
    await this.dnsStore.close();
  }

  /** getHost until it answers `want` (unanswered requests are retried). */
  async getHostUntil(modid: number, cmdid: number, want: number) {
    const deadline = Date.now() + 10_000;
    while (true) {
      const r = await this.probe.getHost(modid, cmdid, 500).catch(() => null);
      if (r?.retcode === want) return r;
      if (Date.now() > deadline) throw new Error(`getHost ${modid}/${cmdid}: ${r?.retcode}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async close(): Promise<void> {
    await this.probe.close();
    await this.agent.stop();
    await this.sink.server.close();
    await this.stopDns().catch(() => {});
    await this.admin.close();
    await this.dir.remove();
  }
}

Deno.test("agent service - a shard worker that dies is restarted with its routes", async () => {
  const h = await Harness.start();
  try {
    await h.admin.addHost(21, 1, A.ip, A.port);
    await h.admin.addHost(21, 1, B.ip, B.port);
    await h.getHostUntil(21, 1, RetCode.SUCC);
    const index = shardOf(21, 1);
    const before = await h.probe.getRoute(21, 1);
    h.agent.failShard(index, "test");
    await waitFor(() => h.agent.counters.get("shardRestarts") === 1, "shard restarted", 10_000);
    await waitFor(() => h.lines.some((l) => /shard \d restarted/.test(l)), "restart logged");
    // The restored route answers at once: no NOEXIST, no pull needed.
    const pullsBefore = h.agent.counters.get("pulls");
    const first = await h.probe.getHost(21, 1, 5000);
    assert.equal(first.retcode, RetCode.SUCC);
    assert.deepEqual((await h.probe.getRoute(21, 1)).map(key).sort(), before.map(key).sort());
    assert.equal(h.agent.counters.get("pulls"), pullsBefore);
    assert.ok(
      h.lines.some((l) =>
        new RegExp(`ERROR shard ${index} failed: .*failed on request: test`).test(l)
      ),
      h.lines.join("\n"),
    );
    assert.ok(h.lines.some((l) => new RegExp(`shard ${index} restarted .* 1 routes`).test(l)));
    // Twice more: each failure gets its own restart.
    h.agent.failShard(index, "again");
    await waitFor(() => h.agent.counters.get("shardRestarts") === 2, "second restart", 10_000);
    await h.getHostUntil(21, 1, RetCode.SUCC);
  } finally {
    await h.close();
  }
});

Deno.test("agent service - half-open DNS and reporter connections are replaced; pushes and reports flow", async () => {
  const transport = new HalfOpenTransport(denoTransport);
  const h = await Harness.start({ transport, peerTimeoutSeconds: 0.4 });
  try {
    await h.admin.addHost(22, 1, A.ip, A.port);
    await h.getHostUntil(22, 1, RetCode.SUCC);
    const dnsConnections = () =>
      transport.connections.filter((c) => c.remoteAddr.port === h.dnsPort);
    assert.equal(dnsConnections().length, 1);
    transport.stall();
    await waitFor(() => h.agent.dns.counters.get("deadPeers") >= 1, "dead DNS noticed", 10_000);
    await waitFor(() => dnsConnections().length >= 2 && h.agent.dns.connected, "new path", 10_000);
    // The new connection re-pulled the module, so DNS pushes its changes to this agent again.
    await h.admin.addHost(22, 1, B.ip, B.port);
    await waitFor(
      () => h.agent.known.get(22, 1)?.hosts.length === 2,
      "push over the new connection",
      10_000,
    );
    const deadline = Date.now() + 10_000;
    while ((await h.probe.getRoute(22, 1)).length !== 2) {
      if (Date.now() > deadline) throw new Error("the shard did not get the pushed route");
      await new Promise((r) => setTimeout(r, 20));
    }
    // The report connection was stalled too, and nothing was sent on it: it is replaced
    // while idle (Deno's TcpConn takes no keepalive timings), so the next report flows.
    const reporterPaths = () =>
      transport.connections.filter((c) => c.remoteAddr.port === h.sink.port).length;
    await waitFor(() => reporterPaths() >= 2, "idle report connection replaced", 10_000);
    assert.ok(h.agent.reporter.counters.get("idleRefreshes") >= 1);
    const received = h.sink.received.length;
    const picked = await h.probe.getHost(22, 1);
    h.probe.report(22, 1, picked.host!, 0);
    await waitFor(
      () => h.sink.received.slice(received).some((r) => r.modid === 22),
      "report over a fresh connection",
      10_000,
    );
  } finally {
    await h.close();
  }
});

Deno.test("agent service - a DNS reconnect pulls each known module once", async () => {
  const h = await Harness.start();
  try {
    for (const m of [31, 32]) await h.admin.addHost(m, 1, A.ip, A.port);
    for (const m of [31, 32]) await h.getHostUntil(m, 1, RetCode.SUCC);
    await h.stopDns();
    await waitFor(() => !h.agent.dns.connected, "agent saw DNS go");
    // A module first asked for while DNS is down: known, but no pull is queued for it.
    await h.admin.addHost(33, 1, A.ip, A.port);
    assert.equal((await h.probe.getHost(33, 1)).retcode, RetCode.NOEXIST);
    await waitFor(() => h.agent.known.size === 3, "module 33 known");
    await h.startDns();
    await h.getHostUntil(33, 1, RetCode.SUCC);
    await waitFor(() => h.lines.some((l) => /DNS connected; pulled 3 known/.test(l)), "re-pull");
    assert.equal(h.dns.counters.get("requests"), 3, "one GetRouteRequest per known module");
  } finally {
    await h.close();
  }
});

Deno.test("agent service - max_modules bounds the modules a local flood creates; unknown ones are forgotten", async () => {
  const max = 40;
  const h = await Harness.start({ maxModules: max });
  try {
    await h.admin.addHost(50, 1, A.ip, A.port);
    await h.getHostUntil(50, 1, RetCode.SUCC);
    // DNS down: every new module stays pulling, the worst case for memory.
    await h.stopDns();
    await waitFor(() => !h.agent.dns.connected, "agent saw DNS go");
    // 300 get_host and 100 get_route for modules nobody has: each answered, none served.
    for (let m = 1000; m < 1400; m += 20) {
      const batch = [];
      for (let i = m; i < m + 20; i++) {
        batch.push(
          i < 1300
            ? h.probe.getHost(i, 1).then((r) => r.retcode === RetCode.NOEXIST)
            : h.probe.getRoute(i, 1).then((hosts) => hosts.length === 0),
        );
      }
      assert.ok((await Promise.all(batch)).every(Boolean), "answered without a host");
    }
    const shards = async () => (await h.agent.inspectShards({ hosts: false })).map((s) => s!.stats);
    await waitForAsync(async () => {
      const stats = await shards();
      return stats.every((s) => s.modules <= max) && h.agent.counters.get("modulesRefused") > 0;
    }, "refusals counted");
    assert.ok(h.agent.known.size <= max, `known ${h.agent.known.size} <= ${max}`);
    // Modules the main isolate refused were dropped by their shards: together at most max.
    await waitForAsync(
      async () => (await shards()).reduce((n, s) => n + s.modules, 0) <= max,
      "shards",
    );
    const refused = (await shards()).reduce((n, s) => n + s.modulesRefused, 0) +
      h.agent.counters.get("modulesRefused");
    assert.ok(refused >= 400 - max, `refused ${refused}`);
    const refusalLines = h.lines.filter((l) => /max_modules/.test(l));
    assert.ok(refusalLines.length > 0 && refusalLines.length < 400, `${refusalLines.length} lines`);
    // DNS back: the reconnect pulls the known modules; the ones that do not exist are forgotten.
    await h.startDns();
    await waitFor(() => h.agent.known.size === 1, "only the real module stays known", 10_000);
    await waitForAsync(
      async () => (await shards()).reduce((n, s) => n + s.modules, 0) === 1,
      "shards",
    );
    // Room again: a real module goes unknown -> pull -> RET_NOEXIST -> RET_SUCC, as the original.
    await h.admin.addHost(51, 1, B.ip, B.port);
    assert.equal((await h.probe.getHost(51, 1)).retcode, RetCode.NOEXIST);
    const r = await h.getHostUntil(51, 1, RetCode.SUCC);
    assert.equal(key(r.host), key(B));
    assert.equal((await h.probe.getHost(50, 1)).retcode, RetCode.SUCC);
  } finally {
    await h.close();
  }
});

Deno.test("agent service - a restarted shard has its routes before it answers: no RET_NOEXIST under load", async () => {
  const h = await Harness.start();
  try {
    await h.admin.addHost(23, 1, A.ip, A.port);
    await h.getHostUntil(23, 1, RetCode.SUCC);
    const answers: Record<string, number> = {};
    let running = true;
    const loops = Array.from({ length: 8 }, async () => {
      while (running) {
        const r = await h.probe.getHost(23, 1, 300).catch(() => null);
        const k = r ? String(r.retcode) : "none";
        answers[k] = (answers[k] ?? 0) + 1;
      }
    });
    for (let i = 1; i <= 8; i++) {
      h.agent.failShard(shardOf(23, 1), "drill");
      await waitFor(() => h.agent.counters.get("shardRestarts") === i, "restart", 10_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    running = false;
    await Promise.all(loops);
    // Requests during a restart go unanswered; once the new shard answers, it has the route
    // (before, a request between "ready" and the routes' arrival answered RET_NOEXIST).
    assert.equal(answers[String(RetCode.NOEXIST)] ?? 0, 0, JSON.stringify(answers));
    assert.ok(answers[String(RetCode.SUCC)] > 0);
  } finally {
    await h.close();
  }
});

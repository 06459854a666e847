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
    options: { transport?: Transport; peerTimeoutSeconds?: number } = {},
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
    // The report connection was stalled too: the next report goes over a fresh one.
    const reporterPaths = () =>
      transport.connections.filter((c) => c.remoteAddr.port === h.sink.port).length;
    assert.equal(reporterPaths(), 1);
    const received = h.sink.received.length;
    const picked = await h.probe.getHost(22, 1);
    h.probe.report(22, 1, picked.host!, 0);
    await waitFor(
      () => h.sink.received.slice(received).some((r) => r.modid === 22),
      "report over a fresh connection",
      10_000,
    );
    assert.equal(reporterPaths(), 2);
    assert.equal(h.agent.reporter.counters.get("idleRefreshes"), 1);
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

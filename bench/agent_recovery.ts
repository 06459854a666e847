/**
 * Agent recovery benchmark: how long the agent takes to serve again after a
 * shard worker dies, and to notice a DNS connection that went half-open (the
 * DNS host died or the network dropped without a FIN) and get pushes again.
 * DNS (SQLite) and the agent's main isolate run in this process, the shards
 * in their real Workers; each sample uses a fresh agent, so restart backoff
 * never applies.
 *
 *     deno run -A --unstable-net bench/agent_recovery.ts [--restarts 5] [--half-open 3]
 *       [--peer-timeout 10]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { AgentService } from "../agent/agent_service.ts";
import { DEFAULT_MAX_MODULES } from "../agent/config.ts";
import { DEFAULT_LOAD_BALANCE_OPTIONS } from "../agent/load_balance_options.ts";
import { DnsService } from "../dns/dns_service.ts";
import { ipToInt, RetCode, shardOf } from "../proto/mod.ts";
import type { Transport } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { openRouteStore } from "../store/url.ts";
import { ReportSink } from "../tests/agent/agent_system.ts";
import { AgentProbe, freeUdpPortTriple } from "../tests/support/agent_probe.ts";
import { HalfOpenTransport } from "../tests/support/half_open_transport.ts";
import { repoTempDir } from "../tests/support/process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    restarts: { type: "string", default: "5" },
    "half-open": { type: "string", default: "3" },
    "peer-timeout": { type: "string", default: "10" },
  },
});
const restarts = Number(values.restarts);
const halfOpen = Number(values["half-open"]);
const peerTimeoutSeconds = Number(values["peer-timeout"]);

const dir = await repoTempDir("agent_recovery_");
const storeUrl = `sqlite:${dir.path}/lars.db`;
const admin = await openRouteStore(storeUrl);
const dnsStore = await openRouteStore(storeUrl);
const dns = new DnsService({
  store: dnsStore,
  transport: denoTransport,
  port: 0,
  pollIntervalMs: 100,
  reloadIntervalMs: 10_000,
});
const dnsPort = (await dns.start())!.port;
const sink = new ReportSink();
let modid = 100;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A fresh agent with one module served; the caller stops it. */
async function freshAgent(transport: Transport) {
  const port = freeUdpPortTriple();
  const agent = new AgentService({
    settings: {
      hostname: "127.0.0.1",
      port,
      dns: { hostname: "127.0.0.1", port: dnsPort },
      reporter: { hostname: "127.0.0.1", port: sink.port },
      loadBalance: { ...DEFAULT_LOAD_BALANCE_OPTIONS },
      reportIntervalSeconds: 1,
      cacheDir: "",
      emptyRouteHoldSeconds: 300,
      peerTimeoutSeconds,
      maxModules: DEFAULT_MAX_MODULES,
    },
    transport,
    caller: ipToInt("10.20.30.40"),
  });
  await agent.start();
  const probe = new AgentProbe(port);
  const m = modid++;
  await admin.addHost(m, 1, ipToInt("10.0.0.1"), 8001);
  await until(
    async () => (await probe.getHost(m, 1).catch(() => null))?.retcode === RetCode.SUCC,
    "route",
  );
  return { agent, probe, m };
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const avg = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `min ${sorted[0].toFixed(0)} / avg ${avg.toFixed(0)} / max ${
    sorted[sorted.length - 1].toFixed(0)
  } ms (${ms.length} samples)`;
}

const lines: string[] = [];
try {
  const restartMs: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const { agent, probe, m } = await freshAgent(denoTransport);
    const t0 = performance.now();
    agent.failShard(shardOf(m, 1));
    await until(
      async () =>
        agent.counters.get("shardRestarts") === 1 &&
        (await probe.getHost(m, 1, 100).catch(() => null))?.retcode === RetCode.SUCC,
      "restarted shard answers",
    );
    restartMs.push(performance.now() - t0);
    await probe.close();
    await agent.stop();
  }
  if (restarts > 0) {
    lines.push(`shard failure -> get_host answered by the restarted shard: ${stats(restartMs)}`);
  }

  const noticeMs: number[] = [];
  const pushMs: number[] = [];
  for (let i = 0; i < halfOpen; i++) {
    const transport = new HalfOpenTransport(denoTransport);
    const { agent, probe, m } = await freshAgent(transport);
    // Stall at a random phase of the heartbeat.
    await new Promise((r) => setTimeout(r, Math.random() * peerTimeoutSeconds * 500));
    const t0 = performance.now();
    transport.stall();
    await until(() => agent.dns.counters.get("deadPeers") === 1, "dead DNS noticed");
    noticeMs.push(performance.now() - t0);
    await until(() => agent.dns.connected, "reconnected");
    await admin.addHost(m, 1, ipToInt("10.0.0.2"), 8002);
    await until(() => agent.known.get(m, 1)?.hosts.length === 2, "push after reconnect");
    pushMs.push(performance.now() - t0);
    await probe.close();
    await agent.stop();
  }
  if (halfOpen > 0) {
    lines.push(
      `half-open DNS (peer_timeout ${peerTimeoutSeconds} s) -> noticed: ${stats(noticeMs)}`,
    );
    lines.push(`half-open DNS -> a push arrives over the new connection: ${stats(pushMs)}`);
  }
} finally {
  await sink.server.close();
  await dns.stop();
  await dnsStore.close();
  await admin.close();
  await dir.remove();
}
console.log("\n=== agent recovery summary ===");
for (const line of lines) console.log(line);

/**
 * Real agents (`deno task agent` subprocesses) spread over two DNS replicas on
 * one store: every route change reaches every agent's API `get_route`.
 *
 * @module
 */
import { ipToInt } from "../../proto/mod.ts";
import { openRouteStore } from "../../store/url.ts";
import { ReportSink } from "../agent/agent_system.ts";
import { AgentProbe, freeUdpPortTriple } from "../support/agent_probe.ts";
import { getTestMysql } from "../support/mariadb.ts";
import { waitFor } from "../support/net.ts";
import { repoTempDir, ServiceProcess, writeRepoFile } from "../support/process.ts";
import { hostText, type Replica, startReplica } from "./dns_fleet_suite.ts";

const server = await getTestMysql();

/** Starts an agent whose DNS is `dnsPort`; resolves once its UDP ports are bound. */
async function startAgent(dir: string, name: string, dnsPort: number, reportPort: number) {
  const port = freeUdpPortTriple();
  const config = `${dir}/${name}.conf`;
  await writeRepoFile(
    config,
    [
      `[reporter]\nip = 127.0.0.1\nport = ${reportPort}`,
      `[dnsserver]\nip = 127.0.0.1\nport = ${dnsPort}`,
      `[agent]\nip = 127.0.0.1\nport = ${port}\ncache_dir = ${dir}/${name}_cache\n` +
      `caller = 10.20.30.40`,
    ].join("\n\n") + "\n",
  );
  const process = new ServiceProcess("agent", ["--config", config]);
  await process.waitForLog(/INFO agent: UDP 127\.0\.0\.1:/);
  return { process, probe: new AgentProbe(port) };
}

/** Waits until the agent's `get_route` answers `want`. */
async function agentSees(probe: AgentProbe, modid: number, cmdid: number, want: string) {
  let last = "";
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    last = hostText(await probe.getRoute(modid, cmdid, 500).catch(() => []));
    if (last === want) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`agent on port ${probe.basePort}: get_route ${modid}/${cmdid} = [${last}]`);
}

async function agentsOverReplicas(url: string): Promise<void> {
  const dir = await repoTempDir("dns_fleet_");
  const admin = await openRouteStore(url);
  const sink = new ReportSink();
  const replicas: Replica[] = [];
  const agents: Awaited<ReturnType<typeof startAgent>>[] = [];
  try {
    await admin.addHost(8, 8, ipToInt("10.8.0.1"), 80);
    for (let i = 0; i < 2; i++) replicas.push(await startReplica(url));
    for (let i = 0; i < 2; i++) {
      agents.push(
        await startAgent(dir.path, `agent${i}`, replicas[i].service.addr.port, sink.port),
      );
    }
    for (let k = 2; k <= 5; k++) {
      if (k === 4) await admin.removeHost(8, 8, ipToInt("10.8.0.1"), 80);
      else await admin.addHost(8, 8, ipToInt(`10.8.0.${k}`), 80);
      const want = hostText(await admin.listRoutes({ modid: 8, cmdid: 8 }));
      for (const agent of agents) await agentSees(agent.probe, 8, 8, want);
    }
    await waitFor(() => replicas.every((r) => r.service.counters.get("pushes") > 0), "pushes");
  } finally {
    for (const agent of agents) {
      await agent.probe.close();
      await agent.process.stop("SIGTERM");
    }
    for (const r of replicas) await r.close();
    await sink.server.close();
    await admin.close();
    await dir.remove();
  }
}

Deno.test("dns fleet sqlite - real agents on two replicas all follow every change", async () => {
  const dir = await repoTempDir("dns_fleet_db_");
  try {
    await agentsOverReplicas(`sqlite:${dir.path}/lars.db`);
  } finally {
    await dir.remove();
  }
});

Deno.test({
  name: "dns fleet mysql - real agents on two replicas all follow every change",
  ignore: server === null,
  async fn() {
    await agentsOverReplicas(await server!.createDatabase(`lars_dns_fleet_agents_${Deno.pid}`));
  },
});

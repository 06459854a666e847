/**
 * Agent load benchmark (issue "LoadBalance agent", benchmarks): starts a full
 * local stack (DNS, reporter, agent as `deno task` subprocesses on a fresh
 * SQLite store), seeds modules, then runs the real `lars qps` tool with 1, 2
 * and 10 clients (get_host + report per loop), and reads the agent's RSS
 * before and after it has loaded every module.
 *
 *     deno run -A --unstable-net bench/agent_load.ts [--modules 10000] [--seconds 10] [--clients 1,2,10]
 *
 * Traffic stays on 127.0.0.1; everything stops by itself.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LarsClient } from "../client/deno.ts";
import { RetCode } from "../proto/ids.ts";
import { intToIp } from "../proto/ip.ts";
import { freeUdpPortTriple } from "../tests/support/agent_probe.ts";
import { freeTcpPort } from "../tests/support/ports.ts";
import { repoTempDir, runTask, ServiceProcess, writeRepoFile } from "../tests/support/process.ts";
import { DatabaseSync } from "node:sqlite";

const { values } = parseArgs({
  options: {
    modules: { type: "string", default: "10000" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "1,2,10" },
  },
});
const modules = Number(values.modules);
const seconds = Number(values.seconds);
const clientCounts = values.clients!.split(",").map(Number);

/** The child's own pid: `deno task` runs the service as a child of a shell-less task runner. */
function servicePid(parent: number): number {
  const children = Deno.readTextFileSync(`/proc/${parent}/task/${parent}/children`).trim();
  return children ? Number(children.split(/\s+/)[0]) : parent;
}

function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

const dir = await repoTempDir("agent_bench_");
const dnsPort = freeTcpPort();
const reporterPort = freeTcpPort();
const agentPort = freeUdpPortTriple();
const store = `sqlite:${dir.path}/lars.db`;
const conf = (name: string, text: string) => writeRepoFile(`${dir.path}/${name}`, text);
await conf("dns.conf", `[reactor]\nip = 127.0.0.1\nport = ${dnsPort}\n[store]\nurl = ${store}\n`);
await conf(
  "reporter.conf",
  `[reactor]\nip = 127.0.0.1\nport = ${reporterPort}\n[store]\nurl = ${store}\n`,
);
await conf(
  "agent.conf",
  `[reporter]\nip = 127.0.0.1\nport = ${reporterPort}\n[dnsserver]\nip = 127.0.0.1\nport = ${dnsPort}\n` +
    `[agent]\nip = 127.0.0.1\nport = ${agentPort}\ncache_dir = ${dir.path}/cache\n`,
);

// Seed: module 1/1 with 10 hosts (the qps target), plus `modules` modules of 3 hosts each.
const init = await runTask("lars", ["db", "init", "--store", store]);
if (init.code !== 0) throw new Error(init.stderr);
const db = new DatabaseSync(`${dir.path}/lars.db`);
db.exec("BEGIN");
const insert = db.prepare(
  "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
);
for (let h = 0; h < 10; h++) insert.run(1, 1, 0x0A000001 + h, 9000 + h);
for (let m = 0; m < modules; m++) {
  for (let h = 0; h < 3; h++) insert.run(100 + m, 1, 0x0B000000 + m * 4 + h, 8000 + h);
}
db.exec("UPDATE RouteVersion SET version = version + 1 WHERE id = 1");
db.exec("COMMIT");
db.close();

const dns = new ServiceProcess("dns", ["--config", `${dir.path}/dns.conf`], { LARS_LOG: "info" });
const reporter = new ServiceProcess("reporter", ["--config", `${dir.path}/reporter.conf`], {
  LARS_LOG: "info",
});
const agent = new ServiceProcess("agent", ["--config", `${dir.path}/agent.conf`], {
  LARS_LOG: "info",
});
const lines: string[] = [];
try {
  await dns.waitForLog(/listening on/);
  await reporter.waitForLog(/listening on/);
  await agent.waitForLog(/INFO agent: UDP/);
  const agentPid = servicePid(agent.child.pid);
  const rssIdle = rssMiB(agentPid);

  // Load every module into the agent (as applications would by calling them).
  const client = new LarsClient({ port: agentPort, timeoutMs: 2000 });
  const loadStart = performance.now();
  for (let m = 0; m < modules; m += 100) {
    const batch = [];
    for (let i = m; i < Math.min(modules, m + 100); i++) batch.push(client.regInit(100 + i, 1));
    const results = await Promise.all(batch);
    const missing = results.filter((r) => r !== RetCode.SUCC).length;
    if (missing) console.log(`warning: ${missing} modules not loaded in batch at ${m}`);
  }
  const loadMs = Math.round(performance.now() - loadStart);
  await client.close();
  await new Promise((r) => setTimeout(r, 1000));
  const rssLoaded = rssMiB(agentPid);
  lines.push(
    `agent RSS: ${rssIdle} MiB idle, ${rssLoaded} MiB with ${modules + 1} modules ` +
      `(all pulled through the API in ${loadMs} ms)`,
  );

  for (const n of clientCounts) {
    const qps = await runTask("lars", [
      "qps",
      "--clients",
      String(n),
      "--seconds",
      String(seconds),
      "--config",
      `${dir.path}/agent.conf`,
    ]);
    const summary = qps.stdout.match(/^summary.*$/m)?.[0] ?? `failed: ${qps.stderr}`;
    lines.push(summary);
    console.log(summary);
  }
  lines.push(`agent RSS after the QPS runs: ${rssMiB(agentPid)} MiB`);
  lines.push(`first host of 1/1: ${intToIp(0x0A000001)}; store ${store}`);
} finally {
  for (const p of [agent, reporter, dns]) await p.stop("SIGTERM");
  await dir.remove();
}
console.log("\n=== agent benchmark summary ===");
for (const line of lines) console.log(line);

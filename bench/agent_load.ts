/**
 * Agent load benchmark (issue "LoadBalance agent", benchmarks): starts a full
 * local stack (DNS, reporter, agent as `deno task` subprocesses on a fresh
 * SQLite store), seeds modules, then runs the real `lars qps` tool with 1, 2
 * and 10 clients (get_host + report per loop), and reads the agent's RSS
 * before and after it has loaded every module, and after the load.
 *
 * Each client count runs in two placements, alternating (`--rounds` times):
 * unpinned, and everything (DNS, reporter, agent, the qps tool) on CPU 0
 * (`taskset`). It also counts the agent's context switches per loop, over
 * all its threads (`/proc/PID/task/* /status`), and which threads made them, and (when GNU
 * `/usr/bin/time` is installed) the context switches of the qps tool's processes per loop.
 *
 *     deno run -A --unstable-net bench/agent_load.ts [--modules 10000] [--seconds 10] \
 *       [--clients 1,2,10] [--rounds 1] [--placements unpinned,pinned]
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
import { readRss, servicePid } from "./proc.ts";

const { values } = parseArgs({
  options: {
    modules: { type: "string", default: "10000" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "1,2,10" },
    rounds: { type: "string", default: "1" },
    placements: { type: "string", default: "unpinned,pinned" },
  },
});
const rounds = Number(values.rounds);
const placements = values.placements!.split(",") as ("unpinned" | "pinned")[];
const modules = Number(values.modules);
const seconds = Number(values.seconds);
const clientCounts = values.clients!.split(",").map(Number);

/** Voluntary + involuntary context switches of every thread of `pid`, by thread name. */
function switchesByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    let status;
    try {
      status = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/status`);
    } catch {
      continue; // the thread ended
    }
    const name = status.match(/^Name:\s+(.*)$/m)?.[1] ?? "?";
    const v = Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0);
    const n = Number(status.match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? 0);
    out.set(`${name}#${task.name}`, v + n);
  }
  return out;
}

/** Pins every thread of the processes to `cpus` (`taskset -a -cp`). */
async function pin(pids: number[], cpus: string): Promise<void> {
  for (const pid of pids) {
    const out = await new Deno.Command("taskset", { args: ["-a", "-cp", cpus, String(pid)] })
      .output();
    if (out.code !== 0) throw new Error(`taskset ${pid}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const hasGnuTime = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile;
  } catch {
    return false;
  }
})();

/** `; client switches per loop ...` from GNU time's `%w %c` (voluntary, involuntary) in `file`. */
function clientSwitches(file: string, loops: number): string {
  const [voluntary, involuntary] = Deno.readTextFileSync(file).trim().split(/\s+/).map(Number);
  if (!Number.isFinite(voluntary) || !Number.isFinite(involuntary)) return "";
  return `; client switches per loop ${((voluntary + involuntary) / loops).toFixed(2)} ` +
    `(voluntary ${(voluntary / loops).toFixed(2)}, involuntary ${
      (involuntary / loops).toFixed(2)
    })`;
}

function rssMiB(pid: number): number {
  return Math.round(readRss(pid).rss / 104857.6) / 10;
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

  const qpsOf = new Map<string, number[]>();
  const servicePids = [agentPid, servicePid(dns.child.pid), servicePid(reporter.child.pid)];
  const allCpus = Array.from({ length: navigator.hardwareConcurrency }, (_, i) => i).join(",");
  for (let round = 1; round <= rounds; round++) {
    for (const n of clientCounts) {
      for (const placement of placements) {
        await pin(servicePids, placement === "pinned" ? "0" : allCpus);
        const qpsArgs = ["task", "-q", "lars", "qps", "--clients", String(n), "--seconds"];
        qpsArgs.push(String(seconds), "--config", `${dir.path}/agent.conf`);
        // GNU time, when installed, adds up the context switches of the qps tool's processes.
        const rusage = `${dir.path}/qps_rusage`;
        const timed = hasGnuTime ? ["/usr/bin/time", "-f", "%w %c", "-o", rusage] : [];
        const cmd = placement === "pinned"
          ? [...timed, "taskset", "-c", "0", Deno.execPath(), ...qpsArgs]
          : [...timed, Deno.execPath(), ...qpsArgs];
        const load = Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
        const before = switchesByThread(agentPid);
        const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdin: "null" }).output();
        const after = switchesByThread(agentPid);
        const stdout = new TextDecoder().decode(out.stdout);
        const summary = stdout.match(/^summary.*$/m)?.[0] ??
          `failed: ${new TextDecoder().decode(out.stderr)}`;
        const qps = Number(summary.match(/: (\d+) QPS/)?.[1] ?? 0);
        const loops = Math.max(1, qps * seconds);
        const busy: string[] = [];
        let total = 0;
        for (const [thread, count] of after) {
          const delta = count - (before.get(thread) ?? 0);
          total += delta;
          if (delta / loops >= 0.01) {
            busy.push(`${thread.split("#")[0]} ${(delta / loops).toFixed(2)}`);
          }
        }
        const client = hasGnuTime ? clientSwitches(rusage, loops) : "";
        const line = `${placement.padEnd(8)} load ${load.padStart(5)} ${summary}; agent switches ` +
          `per loop ${(total / loops).toFixed(2)} (${busy.join(", ")})${client}`;
        lines.push(line);
        console.log(line);
        const key = `${n} ${placement}`;
        qpsOf.set(key, [...(qpsOf.get(key) ?? []), qps]);
      }
    }
  }
  await pin(servicePids, allCpus);
  const mean = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  for (const n of clientCounts) {
    const unpinned = mean(qpsOf.get(`${n} unpinned`));
    const pinned = mean(qpsOf.get(`${n} pinned`));
    if (unpinned && pinned) {
      lines.push(
        `${n} client(s): unpinned / pinned QPS = ${Math.round(unpinned)} / ${Math.round(pinned)}` +
          ` = ${(unpinned / pinned).toFixed(2)}`,
      );
    }
  }
  lines.push(`agent RSS after the QPS runs: ${rssMiB(agentPid)} MiB`);
  lines.push(`first host of 1/1: ${intToIp(0x0A000001)}; store ${store}`);
} finally {
  for (const p of [agent, reporter, dns]) await p.stop("SIGTERM");
  await dir.remove();
}
console.log("\n=== agent benchmark summary ===");
for (const line of lines) console.log(line);

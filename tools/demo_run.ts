/**
 * The demo (`deno task demo`, `lars demo`): runs a whole local Lars system.
 * Creates the SQLite store named in the configs (by default `data/lars.db`),
 * adds sample routes when the store is empty, starts DNS, reporter, agent and
 * web admin as separate processes, each with the permissions its config needs (the
 * command `deno task dns|reporter|agent` runs) and its admin endpoint on
 * (copies of the configs with `[admin] port = 0`, unless a config sets
 * `[admin] port`), runs a short simulator against them, keeps calling every
 * module in the background (so the web admin's status pages fill), prints
 * where everything listens and what to try next, and stops everything on
 * Ctrl-C (or after `--seconds`).
 *
 * Ctrl-C in a terminal signals the whole process group: each service starts
 * its clean stop on that SIGINT, and takes the demo's SIGTERM that follows
 * within the grace period as the same request.
 *
 * Runtime-neutral (`node:` APIs): `tools/demo.ts` runs it on Deno, the
 * `lars` binary on Bun.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { LarsClient } from "../cli/lars_client_any.ts";
import { RetCode } from "../proto/ids.ts";
import { runDemoTraffic } from "./demo_traffic.ts";
import { formatSimulation, simulate } from "../cli/simulator.ts";
import { agentTarget } from "../cli/agent_target.ts";
import { ipToInt } from "../proto/ip.ts";
import { Config } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { openReportStore, openRouteStore, redactUrl } from "../store/url.ts";

const USAGE = `usage: deno task demo [--conf-dir DIR] [--seconds S] [--traffic N]

Runs DNS, reporter, agent and web admin locally with sample routes, then balances some
traffic. The web admin's password is $LARS_WEB_PASSWORD, or a random one printed at start.
  --conf-dir DIR   where lars_dns.conf, lars_reporter.conf, lars_lb_agent.conf, lars_web.conf
                   are (default conf)
  --seconds S      stop by itself after S seconds (default: run until Ctrl-C)
  --traffic N      calls per second to each module while running, so the web admin's
                   status pages fill (default 20; 0 turns it off)`;

/** Sample modules: modid/cmdid and their hosts. */
const SAMPLE_ROUTES: [number, number, string, number][] = [
  [1, 1, "10.0.0.1", 9001],
  [1, 1, "10.0.0.2", 9002],
  [1, 1, "10.0.0.3", 9003],
  [1, 2, "10.0.1.1", 9101],
  [1, 2, "10.0.1.2", 9102],
  [2, 1, "10.0.2.1", 9201],
];

const SERVICES = [
  { task: "dns", file: "lars_dns.conf", ready: /INFO dns: listening on ([\d.]+:\d+)/ },
  {
    task: "reporter",
    file: "lars_reporter.conf",
    ready: /INFO reporter: listening on ([\d.]+:\d+)/,
  },
  { task: "agent", file: "lars_lb_agent.conf", ready: /INFO agent: UDP ([\d.]+:[\d,]+)/ },
  { task: "web", file: "lars_web.conf", ready: /INFO web: listening on (http:\/\/[\d.]+:\d+\/)/ },
] as const;

/**
 * The command line that runs service `name` with config file `conf`, in an
 * environment with `env` added.
 */
export type ServiceArgv = (
  name: string,
  conf: string,
  env: Record<string, string>,
) => Promise<string[]>;

interface Running {
  task: string;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<boolean>;
  where: Promise<string>;
  /** The admin endpoint's URL, once the service has logged it. */
  admin: string;
}

/**
 * The config to run `file` with: as is when it sets `[admin] port`, else a
 * copy in `adminDir` with `[admin] port = 0` (a free port), so every demo
 * service shows its admin endpoint.
 */
async function withAdmin(confDir: string, file: string, adminDir: string): Promise<string> {
  const path = `${confDir}/${file}`;
  if ((await Config.load(path)).has("admin", "port")) return path;
  await mkdir(adminDir, { recursive: true });
  const copy = `${adminDir}/${file}`;
  await writeFile(copy, `${await readFile(path, "utf8")}\n[admin]\nport = 0\n`);
  return copy;
}

/** The web admin's demo password: `$LARS_WEB_PASSWORD`, else a random one for this run. */
function demoPassword(): string {
  const given = process.env.LARS_WEB_PASSWORD;
  if (given) return given;
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/]/g, "x");
}

/** The web admin's user name from its config. */
async function webUser(confDir: string): Promise<string> {
  return (await Config.load(`${confDir}/lars_web.conf`)).string("web", "user");
}

/** Starts service `task` with `conf`; its log lines are shown with a prefix. */
async function startService(
  serviceArgv: ServiceArgv,
  task: string,
  conf: string,
  ready: RegExp,
  env: Record<string, string>,
): Promise<Running> {
  const argv = await serviceArgv(task, conf, env);
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let resolveWhere!: (where: string) => void;
  let rejectWhere!: (err: Error) => void;
  const where = new Promise<string>((resolve, reject) => {
    resolveWhere = resolve;
    rejectWhere = reject;
  });
  let admin = "";
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      console.log(`[${task}] ${line}`);
      const m = line.match(ready);
      if (m) resolveWhere(m[1]);
      const url = line.match(/admin endpoint on (http:\/\/[\d.]+:\d+)/);
      if (url) admin = url[1];
    });
  }
  const exited = new Promise<boolean>((resolve) => {
    child.on("error", (err) => {
      rejectWhere(err);
      resolve(false);
    });
    child.on("close", (code) => {
      rejectWhere(new Error(`${task} exited`));
      resolve(code === 0);
    });
  });
  return {
    task,
    where,
    exited,
    get admin() {
      return admin;
    },
    kill: (signal) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      // process.kill, not child.kill: Deno's child_process reports a child it was asked to
      // kill as ended by the signal, even when it handled the signal and exited 0.
      try {
        process.kill(child.pid, signal);
      } catch {
        // already gone
      }
    },
  };
}

async function seed(confDir: string): Promise<string> {
  const url = storeUrlFromConfig(await Config.load(`${confDir}/lars_dns.conf`));
  const store = await openRouteStore(url);
  try {
    if ((await store.listRoutes()).length === 0) {
      for (const [modid, cmdid, ip, port] of SAMPLE_ROUTES) {
        await store.addHost(modid, cmdid, ipToInt(ip), port, "demo");
      }
      console.log(`demo: added ${SAMPLE_ROUTES.length} sample hosts to ${redactUrl(url)}`);
    } else {
      console.log(`demo: using the routes already in ${redactUrl(url)}`);
    }
  } finally {
    await store.close();
  }
  return url;
}

/** Rows the reporter stored, once the agent's next statistics commit has landed. */
async function storedStatusRows(url: string): Promise<number> {
  const store = await openReportStore(url);
  try {
    for (let i = 0; i < 30; i++) {
      const rows = await store.listStatus();
      if (rows.length > 0) return rows.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Runs the demo with `args`; `serviceArgv` says how to start a service,
 * `tool` how the user runs the `lars` tool, `adminDir` where copies of
 * configs without `[admin] port` are written with one.
 * Resolves to the exit status: 0 when every service stopped cleanly.
 */
export async function runDemo(
  args: string[],
  serviceArgv: ServiceArgv,
  tool = "deno task lars",
  adminDir = "data/demo",
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "conf-dir": { type: "string", default: "conf" },
      seconds: { type: "string" },
      traffic: { type: "string", default: "20" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const confDir = values["conf-dir"]!;
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) {
    console.error(`demo: --seconds must be a positive number\n${USAGE}`);
    return 2;
  }
  const traffic = Number(values.traffic);
  if (!Number.isInteger(traffic) || traffic < 0) {
    console.error(`demo: --traffic must be an integer >= 0\n${USAGE}`);
    return 2;
  }
  const url = await seed(confDir);
  const running: Running[] = [];
  const stopAll = async () => {
    for (const r of running.toReversed()) r.kill("SIGTERM");
    const clean = await Promise.all(running.map((r) => r.exited));
    return clean.every(Boolean) ? 0 : 1;
  };
  const where: string[] = [];
  const password = demoPassword();
  try {
    // One after another, so each finds the one it talks to already listening.
    for (const service of SERVICES) {
      const conf = await withAdmin(confDir, service.file, adminDir);
      const r = await startService(serviceArgv, service.task, conf, service.ready, {
        LARS_WEB_PASSWORD: password,
      });
      running.push(r);
      where.push(await r.where);
    }
  } catch (err) {
    console.error(`demo: a service did not start: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }

  const target = await agentTarget(`${confDir}/lars_lb_agent.conf`);
  // reg_init: the agent's first call for a module starts its pull from DNS.
  // On a busy machine the first pull may take longer than reg_init's three tries.
  const client = new LarsClient(target);
  for (let i = 0; i < 20 && (await client.regInit(1, 1)) !== RetCode.SUCC; i++);
  await client.close();
  const result = await simulate(target, 1, 1, 2, 500);
  console.log("\ndemo: simulator on module 1/1, 500 calls, 20% reported as failures:");
  for (const line of formatSimulation(result)) console.log(`  ${line}`);
  console.log(
    `demo: ${await storedStatusRows(url)} rows in ServerCallStatus (statistics via the reporter)`,
  );
  console.log(`
demo: Lars is running
  DNS service      tcp ${where[0]}
  report service   tcp ${where[1]}
  agent            udp ${where[2]}
  web admin        ${where[3]}  (user ${await webUser(confDir)}, password ${password})
  store            ${redactUrl(url)}
  admin endpoints  ${running.map((r) => `${r.task} ${r.admin}`).join("  ")}
                   (/metrics /healthz /readyz; the agent's /hosts shows every host's state)

Open the web admin and add a host to module 2/1: the agent serves it within a second, and
${
    traffic > 0
      ? `the demo's ${traffic} calls/s per module`
      : "calls (run the simulator below)"
  } show on the
module's status page.

Try, in another terminal:
  ${tool} gethost 1 1
  ${tool} getroute 1 2
  ${tool} route add 2 1 10.0.2.2 9202    # watch DNS push it to the agent
  ${tool} simulator 1 1 --err-rate 5 --count 2000
  ${tool} simulator 2 1 --count 5000
  ${tool} qps --clients 2 --seconds 5
  ${tool} status --admin ${running[2].admin.replace("http://", "")}   # hosts, live
  curl ${running[2].admin}/hosts

Ctrl-C stops everything.`);

  const stopTraffic = new AbortController();
  const trafficDone = traffic === 0 ? Promise.resolve(0) : runDemoTraffic({
    target,
    storeUrl: url,
    callsPerModule: traffic,
    signal: stopTraffic.signal,
  }).catch((err) => {
    console.error(`demo: background traffic stopped: ${(err as Error).message}`);
    return 0;
  });
  let stopped: (code: number) => void;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stopTraffic.abort();
    trafficDone.then(stopAll).then(stopped);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (seconds !== undefined) setTimeout(onSignal, seconds * 1000);
  const code = await done;
  console.log(code === 0 ? "demo: stopped cleanly" : "demo: a service did not stop cleanly");
  return code;
}

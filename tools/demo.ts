/**
 * `deno task demo`: runs a whole local Lars system. Creates the SQLite store
 * named in the configs (by default `data/lars.db`), adds sample routes when
 * the store is empty, starts DNS, reporter, agent and web admin as separate
 * permission-scoped processes (`deno task dns|reporter|agent|web`) with
 * their admin endpoints on (copies of the configs with
 * `[admin] port = 0` in `data/demo/`, unless a config sets `[admin] port`),
 * runs a short simulator against them, prints where everything listens and
 * what to try next, keeps calling every module in the background (so the web
 * admin's status pages fill), and stops everything on Ctrl-C (or after
 * `--seconds`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LarsClient } from "../client/deno.ts";
import { formatSimulation, simulate } from "../cli/simulator.ts";
import { agentTarget } from "../cli/agent_target.ts";
import { runDemoTraffic } from "./demo_traffic.ts";
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

/** The web admin's demo password: `$LARS_WEB_PASSWORD`, else a random one for this run. */
function demoPassword(): string {
  const given = Deno.env.get("LARS_WEB_PASSWORD");
  if (given) return given;
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replace(/[+/]/g, "x");
}

interface Running {
  task: string;
  child: Deno.ChildProcess;
  where: Promise<string>;
  /** The admin endpoint's URL, once the service has logged it. */
  admin: string;
}

/** The config to run `file` with: as is when it sets `[admin] port`, else a copy that does. */
async function withAdmin(confDir: string, file: string): Promise<string> {
  const path = `${confDir}/${file}`;
  if ((await Config.load(path)).has("admin", "port")) return path;
  await Deno.mkdir("data/demo", { recursive: true });
  const copy = `data/demo/${file}`;
  await Deno.writeTextFile(copy, `${await Deno.readTextFile(path)}\n[admin]\nport = 0\n`);
  return copy;
}

/** Starts `deno task <task> --config <conf>`; its log lines are shown with a prefix. */
function startService(
  task: string,
  conf: string,
  ready: RegExp,
  env: Record<string, string>,
): Running {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", task, "--config", conf],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let resolveWhere!: (where: string) => void;
  let rejectWhere!: (err: Error) => void;
  const where = new Promise<string>((resolve, reject) => {
    resolveWhere = resolve;
    rejectWhere = reject;
  });
  const running: Running = { task, child, where, admin: "" };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        console.log(`[${task}] ${line}`);
        const m = line.match(ready);
        if (m) resolveWhere(m[1]);
        const admin = line.match(/admin endpoint on (http:\/\/[\d.]+:\d+)/);
        if (admin) running.admin = admin[1];
      }
    }
  };
  Promise.all([pump(child.stdout), pump(child.stderr)]).then(() =>
    rejectWhere(new Error(`${task} exited`))
  );
  return running;
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

/** The web admin's user name from its config. */
async function webUser(confDir: string): Promise<string> {
  return (await Config.load(`${confDir}/lars_web.conf`)).string("web", "user");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
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
    for (const r of running.toReversed()) {
      try {
        r.child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const statuses = await Promise.all(running.map((r) => r.child.status));
    return statuses.every((s) => s.success) ? 0 : 1;
  };
  const where: string[] = [];
  const password = demoPassword();
  try {
    // One after another, so each finds the one it talks to already listening.
    for (const service of SERVICES) {
      const conf = await withAdmin(confDir, service.file);
      const r = startService(service.task, conf, service.ready, {
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
  const client = new LarsClient(target);
  await client.regInit(1, 1);
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
  deno task lars gethost 1 1
  deno task lars getroute 1 2
  deno task lars route add 2 1 10.0.2.2 9202    # watch DNS push it to the agent
  deno task lars simulator 1 1 --err-rate 5 --count 2000
  deno task lars simulator 2 1 --count 5000
  deno task lars qps --clients 2 --seconds 5
  deno task lars status --admin ${running[2].admin.replace("http://", "")}   # hosts, live
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
  const onSignal = () => {
    stopTraffic.abort();
    trafficDone.then(stopAll).then(stopped);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  if (seconds !== undefined) setTimeout(onSignal, seconds * 1000);
  const code = await done;
  console.log(code === 0 ? "demo: stopped cleanly" : "demo: a service did not stop cleanly");
  return code;
}

Deno.exit(await main());

/**
 * How long one route change occupies the DNS service's event loop (not a
 * `Deno.bench` file). Runs the DNS service in this process on a SQLite table
 * of N modules x H hosts, with C subscribers of one module held by a Worker
 * (`subscriber_worker.ts`) so their reading is not counted. Polls are driven
 * by hand (`DnsService.poll()`): for each of K changes it commits the change,
 * runs one poll and reports
 *
 * - the poll's wall time (reload and push), and
 * - the round trips of GetRoute requests that the worker sends for another
 *   module every millisecond, answered or not, counted from the time each was
 *   due: those due from the commit until 50 ms after the poll (their worst and
 *   p99), against all requests of the run.
 *
 *     deno run -A --unstable-net bench/dns_change_stall.ts [--modules 10000]
 *       [--hosts-per-module 10] [--subscribers 1000] [--changes 10]
 *
 * The same file runs against an older DnsService (it uses only its
 * constructor, `start`, `poll` and `stop`), for before/after comparisons.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { DnsService } from "../dns/dns_service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { openRouteStore } from "../store/url.ts";

const USAGE = `usage: deno run -A --unstable-net bench/dns_change_stall.ts [options]
  --modules N             modules (default 10000)
  --hosts-per-module H    hosts per module (default 10)
  --subscribers C         connections subscribed to the changed module (default 1000)
  --changes K             changes measured (default 10)
  --whole                 bump RouteVersion without a change row instead: a whole-table reload
  --worker                whole-table reads in a worker (WorkerTableLoader), as deno task dns does`;

function intOption(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    console.error(`dns_change_stall: --${name} must be an integer in 1..1000000\n${USAGE}`);
    Deno.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    modules: { type: "string", default: "10000" },
    "hosts-per-module": { type: "string", default: "10" },
    subscribers: { type: "string", default: "1000" },
    changes: { type: "string", default: "10" },
    whole: { type: "boolean" },
    worker: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const modules = intOption("modules", values.modules);
const hosts = intOption("hosts-per-module", values["hosts-per-module"]);
const subscribers = intOption("subscribers", values.subscribers);
const changes = intOption("changes", values.changes);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (v: number) => `${v.toFixed(1)} ms`;
const sorted = (v: number[]) => [...v].sort((a, b) => a - b);

const dir = await Deno.makeTempDir({ prefix: "lars_dns_stall_" });
const path = `${dir}/routes.db`;
const store = await openRouteStore(`sqlite:${path}`);
const admin = await openRouteStore(`sqlite:${path}`);
const db = new DatabaseSync(path);
db.exec("BEGIN");
const insert = db.prepare(
  "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
);
for (let i = 0; i < modules; i++) {
  for (let h = 0; h < hosts; h++) {
    insert.run(1 + Math.floor(i / 10), 1 + i % 10, 0x0A000000 + i * hosts + h, 9000 + h);
  }
}
db.prepare("UPDATE RouteVersion SET version = ? WHERE id = 1").run(Math.floor(Date.now() / 1000));
db.exec("COMMIT");
const bump = db.prepare("UPDATE RouteVersion SET version = version + 1 WHERE id = 1");

// Polls only when told: pollIntervalMs far out.
const tableLoader = values.worker
  ? new (await import("../dns/table_loader.ts")).WorkerTableLoader(`sqlite:${path}`)
  : undefined;
const service = new DnsService({
  store,
  transport: denoTransport,
  port: 0,
  pollIntervalMs: 3_600_000,
  maxConn: subscribers + 16,
  limits: { maxConnPerIp: 0 }, // every subscriber comes from 127.0.0.1
  tableLoader,
});
// Subscribers and the prober on two threads: reading 1,000 pushes must not delay the probes.
const worker = new Worker(new URL("./subscriber_worker.ts", import.meta.url), { type: "module" });
const prober = new Worker(new URL("./subscriber_worker.ts", import.meta.url), { type: "module" });
try {
  await service.start();
  const target = { modid: 1 + Math.floor(modules / 20), cmdid: 1 };
  const subscribed = (w: Worker) =>
    new Promise<void>((resolve) => {
      w.onmessage = (e) => e.data.subscribed && resolve();
    });
  const ready = [subscribed(worker), subscribed(prober)];
  worker.postMessage({ port: service.addr.port, count: subscribers, ...target, probeModid: 0 });
  const probeModid = target.modid + 1;
  prober.postMessage({
    port: service.addr.port,
    count: 1,
    modid: probeModid,
    cmdid: 2,
    probeModid,
  });
  await Promise.all(ready);
  await sleep(500);
  console.log(
    `DNS stall per ${values.whole ? "whole reload" : "change"}${
      values.worker ? " (reads in a worker)" : ""
    }: ${modules} modules x ${hosts} hosts, ${subscribers} subscribers; ` +
      `Deno ${Deno.version.deno}, load average ${
        Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")
      }`,
  );
  const polls: number[] = [];
  const windows: [number, number][] = [];
  for (let k = 1; k <= changes; k++) {
    const from = performance.now();
    if (values.whole) bump.run();
    else await admin.addHost(target.modid, target.cmdid, 0x0B000000 + k, 7000);
    await sleep(50);
    const t0 = performance.now();
    await service.poll();
    polls.push(performance.now() - t0);
    windows.push([from, performance.now() + 50]);
    console.log(`  change ${k}: poll ${fmt(polls.at(-1)!)}`);
    await sleep(250);
  }
  const median = (v: number[]) => sorted(v)[Math.floor(v.length / 2)];
  const p99 = (v: number[]) => sorted(v)[Math.min(v.length - 1, Math.ceil(v.length * 0.99) - 1)];
  const stopped = new Promise<Float64Array>((resolve) => {
    prober.onmessage = (e) => e.data.probes && resolve(e.data.probes);
  });
  prober.postMessage({ stop: true });
  const flat = await stopped;
  const all: number[] = [];
  const during: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const due = flat[i] - performance.timeOrigin;
    all.push(flat[i + 1]);
    if (windows.some(([a, b]) => due >= a && due <= b)) during.push(flat[i + 1]);
  }
  console.log(
    `SUMMARY poll: median ${fmt(median(polls))}, max ${fmt(Math.max(...polls))}; ` +
      `GetRoute during changes: p99 ${fmt(p99(during))}, max ${fmt(Math.max(...during))} ` +
      `(${during.length} requests); whole run: median ${fmt(median(all))}, p99 ${fmt(p99(all))}`,
  );
} finally {
  worker.terminate();
  prober.terminate();
  await service.stop();
  await tableLoader?.close();
  db.close();
  await store.close();
  await admin.close();
  await Deno.remove(dir, { recursive: true });
}

/**
 * Load tool of the DNS service (not a `Deno.bench` file). It measures what the
 * DNS issue asks for in `docs/benchmarks.md`, on one store per run:
 *
 * 1. seeds a fresh store with N modules x H hosts (bulk SQL, timed apart);
 * 2. times `store.loadRoutes()` plus `new RouteMap(rows)` in this process
 *    (median of 3);
 * 3. starts the DNS service as a real subprocess with the `dns` task's flags
 *    from `deno.json` (first on an empty table, for a baseline) and reads its
 *    RSS from `/proc/<pid>/status`;
 * 4. subscribes 1,000 connections to one module, commits K route changes
 *    through a separate store handle, spaced by a random 1.0-1.5 s, and
 *    reports the time from each commit to each push (median, p99, min, max)
 *    and to the last subscriber; meanwhile a Worker (`getroute_sampler_worker.ts`)
 *    sends GetRoute requests on a fixed schedule and reports their round trips,
 *    overall and for requests sent while a change was being pushed;
 *    then bumps `RouteVersion` without a change row three times (a whole-table
 *    reload in every DNS version) and reports the round trips around them;
 * 5. measures GetRoute requests per second over TCP with 1 and 50
 *    connections, each with one request in flight (the original's QPS tools),
 *    and a pipelined variant (these connections subscribe to thousands of
 *    modules, which is why they run after the push phase);
 * 6. prints a summary table for the docs (the lines after `SUMMARY`).
 *
 *     deno run -A --unstable-net bench/dns_load.ts --store sqlite|mysql [--modules 10000]
 *       [--hosts-per-module 10] [--seconds 5] [--subscribers 1000] [--changes 20]
 *
 * All traffic stays on 127.0.0.1. Temporary files live in `data/tmp/` and are
 * removed at the end; the MariaDB of `--store mysql` is the test harness's
 * private server (or `LARS_TEST_MYSQL_URL`), stopped by its own cleanup.
 *
 * @module
 */
import type { TcpConn } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { freeTcpPort } from "../tests/support/ports.ts";
import { DatabaseSync } from "node:sqlite";
import { readRss, type Rss } from "./proc.ts";
import { parseArgs } from "node:util";
// Versioned npm: specifier on purpose (no import map); see store/mysql.ts.
import mysql from "npm:mysql2@3.24.6/promise";
import { serviceCommand } from "../cli/permissions.ts";
import { RouteMap } from "../dns/route_map.ts";
import { encodeFrame, FrameDecoder } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec, GetRouteResponseCodec } from "../proto/messages.ts";
import type { RouteStore } from "../store/types.ts";
import { openRouteStore, parseStoreUrl } from "../store/url.ts";
import { getTestMysql } from "../tests/support/mariadb.ts";
import { repoTempDir, writeRepoFile } from "../tests/support/process.ts";

const USAGE = `usage: deno run -A --unstable-net bench/dns_load.ts --store sqlite|mysql [options]

Seeds a fresh route store, then measures table load time, GetRoute QPS over TCP,
push latency to many subscribers and the DNS service's RSS.
  --store KIND             sqlite, or mysql (the tests' private MariaDB)
  --modules N              modules in the table (default 10000)
  --hosts-per-module H     hosts per module (default 10)
  --seconds S              length of each QPS phase (default 5)
  --connections LIST       connection counts of the ping-pong QPS phases (default 1,50)
  --pipeline P             requests in flight per connection of the pipelined phase,
                           run with the largest connection count; 0 skips it (default 32)
  --subscribers C          connections subscribed to the changed module (default 1000)
  --changes K              route changes committed during the push phase (default 20)
  --load-runs R            table loads timed in this process; the median is reported (default 3)
  -h, --help               this text`;

const ROOT = new URL("../", import.meta.url).pathname;
const MB = 1024 * 1024;
/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on Linux x86-64). */
const CLK_TCK = 100;
/** Command ids per module id in the seeded table. */
const CMDS_PER_MOD = 10;
/** First address of the seeded hosts (10.0.0.0), one address per host. */
const SEED_IP_BASE = 0x0A000000;
/** Addresses of the hosts added during the push phase (11.0.0.k). */
const EXTRA_IP_BASE = 0x0B000000;
/** Rows per multi-row INSERT when seeding MySQL. */
const MYSQL_SEED_BATCH = 2000;

/** Parsed command line. */
interface Options {
  /** Which store to seed and serve from. */
  store: "sqlite" | "mysql";
  /** Modules in the table. */
  modules: number;
  /** Hosts per module. */
  hosts: number;
  /** Length of each QPS phase in seconds. */
  seconds: number;
  /** Connection counts of the ping-pong QPS phases. */
  connections: number[];
  /** Requests in flight per connection of the pipelined phase; 0 skips it. */
  pipeline: number;
  /** Connections subscribed to the changed module. */
  subscribers: number;
  /** Route changes committed during the push phase. */
  changes: number;
  /** Table loads timed in this process. */
  loadRuns: number;
}

/** Prints `message` and the usage, and exits with code 2. */
function usageError(message: string): never {
  console.error(`dns_load: ${message}\n${USAGE}`);
  Deno.exit(2);
}

/** An integer option in `min ..= max`, or a usage error. */
function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    usageError(`--${name} must be an integer in ${min}..${max}, got "${text}"`);
  }
  return n;
}

/** Parses and checks the command line; exits on bad input or `--help`. */
function readOptions(): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        store: { type: "string" },
        modules: { type: "string", default: "10000" },
        "hosts-per-module": { type: "string", default: "10" },
        seconds: { type: "string", default: "5" },
        connections: { type: "string", default: "1,50" },
        pipeline: { type: "string", default: "32" },
        subscribers: { type: "string", default: "1000" },
        changes: { type: "string", default: "20" },
        "load-runs": { type: "string", default: "3" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    usageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (v.store !== "sqlite" && v.store !== "mysql") {
    usageError(`--store must be sqlite or mysql, got "${v.store ?? ""}"`);
  }
  const options: Options = {
    store: v.store,
    modules: intOption("modules", v.modules, 1, 1_000_000),
    hosts: intOption("hosts-per-module", v["hosts-per-module"], 1, 1000),
    seconds: intOption("seconds", v.seconds, 1, 600),
    connections: v.connections.split(",").map((c) => intOption("connections", c, 1, 5000)),
    pipeline: intOption("pipeline", v.pipeline, 0, 1024),
    subscribers: intOption("subscribers", v.subscribers, 1, 5000),
    changes: intOption("changes", v.changes, 1, 500),
    loadRuns: intOption("load-runs", v["load-runs"], 1, 20),
  };
  if (options.modules * options.hosts > 2_000_000) {
    usageError("--modules x --hosts-per-module must be at most 2,000,000");
  }
  return options;
}

/** The module at `index` of the seeded table. */
function moduleAt(index: number): { modid: number; cmdid: number } {
  return { modid: 1 + Math.floor(index / CMDS_PER_MOD), cmdid: 1 + index % CMDS_PER_MOD };
}

/** Host `h` of the module at `index`: a unique 10.x.y.z address, port 9000 + h. */
function seedHost(index: number, h: number, hosts: number): { ip: number; port: number } {
  return { ip: SEED_IP_BASE + index * hosts + h, port: 9000 + h };
}

// ---------------------------------------------------------------- seeding

/** Fills `RouteData` of an initialised SQLite store in one transaction. */
function seedSqlite(path: string, o: Options): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("BEGIN IMMEDIATE");
    const insert = db.prepare(
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
    );
    for (let i = 0; i < o.modules; i++) {
      const { modid, cmdid } = moduleAt(i);
      for (let h = 0; h < o.hosts; h++) {
        const { ip, port } = seedHost(i, h, o.hosts);
        insert.run(modid, cmdid, ip, port);
      }
    }
    db.prepare("UPDATE RouteVersion SET version = ? WHERE id = 1").run(nowSeconds());
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}

/** Fills `RouteData` of an initialised MySQL store with multi-row INSERTs in one transaction. */
async function seedMysql(url: string, o: Options): Promise<void> {
  const location = parseStoreUrl(url);
  if (location.kind !== "mysql") throw new Error("not a mysql URL");
  const conn = await mysql.createConnection({ ...location.config, connectTimeout: 5000 });
  try {
    await conn.beginTransaction();
    let params: number[] = [];
    const flush = async () => {
      const rows = params.length / 4;
      if (rows === 0) return;
      const sql = "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES " +
        Array(rows).fill("(?, ?, ?, ?)").join(", ");
      await conn.execute(sql, params);
      params = [];
    };
    for (let i = 0; i < o.modules; i++) {
      const { modid, cmdid } = moduleAt(i);
      for (let h = 0; h < o.hosts; h++) {
        const { ip, port } = seedHost(i, h, o.hosts);
        params.push(modid, cmdid, ip, port);
        if (params.length === MYSQL_SEED_BATCH * 4) await flush();
      }
    }
    await flush();
    await conn.execute("UPDATE RouteVersion SET version = ? WHERE id = 1", [nowSeconds()]);
    await conn.commit();
  } finally {
    await conn.end();
  }
}

/** Now in unix seconds (a route version). */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------- DNS subprocess

/**
 * The `deno` arguments (`run`, flags, entrypoint, `--config`) that `deno task
 * dns --config CONF` runs: the permissions derived from that config.
 */
async function dnsArgs(conf: string): Promise<string[]> {
  return (await serviceCommand("dns", `${ROOT}${conf}`)).argv.slice(1);
}

/** The 1, 5 and 15 minute load averages from `/proc/loadavg`. */
function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** User plus system CPU seconds used by a process so far. */
function cpuSeconds(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of proc(5) (utime, stime); index 0 here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The DNS service running as a child process, with its output collected. */
class DnsProcess {
  readonly child: Deno.ChildProcess;
  #output = "";
  #exited = false;
  #pump: Promise<void>;

  /** Starts `deno <args>` in the repository root with `LARS_LOG=info`. */
  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { LARS_LOG: "info" },
    }).spawn();
    this.child.status.then(() => this.#exited = true);
    this.#pump = Promise.all([this.#collect(this.child.stdout), this.#collect(this.child.stderr)])
      .then(() => {});
  }

  /** Process id of the DNS service (the `deno` process itself). */
  get pid(): number {
    return this.child.pid;
  }

  /** The last 4,000 characters of output. */
  get tail(): string {
    return this.#output.slice(-4000);
  }

  /** Waits until the output matches `pattern`; throws when the process exits or on timeout. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (this.#exited) throw new Error(`DNS exited before ${pattern}:\n${this.tail}`);
      if (performance.now() > deadline) {
        throw new Error(`DNS: no ${pattern} after ${timeoutMs} ms:\n${this.tail}`);
      }
      await sleep(10);
    }
  }

  /** SIGTERM, then SIGKILL after 20 s; resolves to the exit status. */
  async stop(): Promise<Deno.CommandStatus> {
    const kill = (signal: Deno.Signal) => {
      try {
        this.child.kill(signal);
      } catch {
        // already exited
      }
    };
    kill("SIGTERM");
    const escalate = setTimeout(() => kill("SIGKILL"), 20_000);
    try {
      const status = await this.child.status;
      await this.#pump;
      return status;
    } finally {
      clearTimeout(escalate);
    }
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      this.#output = (this.#output + text).slice(-200_000);
    }
  }
}

// ---------------------------------------------------------------- helpers

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Median (nearest rank) of `values`. */
function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile of `values` (need not be sorted). */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))];
}

/** `value` as whole milliseconds. */
function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** Median, p99 and max of round trips, with their count. */
function rtt(values: readonly number[]): string {
  const f = (v: number) => `${v.toFixed(2)} ms`;
  return `median ${f(median(values))}, p99 ${f(percentile(values, 99))}, max ${
    f(Math.max(...values))
  } (${values.length} requests)`;
}

/** `bytes` in MiB with one decimal. */
function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** `n` rounded, with thousands separators. */
function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Opens `count` TCP connections to 127.0.0.1:`port`, 50 at a time, with no delay. */
async function connectAll(port: number, count: number): Promise<TcpConn[]> {
  const conns: TcpConn[] = [];
  const BATCH = 50;
  for (let i = 0; i < count; i += BATCH) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(BATCH, count - i) },
        () => denoTransport.connectTcp({ hostname: "127.0.0.1", port }),
      ),
    );
    for (const conn of batch) {
      conn.setNoDelay(true);
      conns.push(conn);
    }
  }
  return conns;
}

/** Closes `conn`, ignoring an already closed one. */
function closeQuietly(conn: TcpConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

// ---------------------------------------------------------------- load time

/** Timings of loading the table in this process. */
interface LoadResult {
  /** `loadRoutes()` plus `new RouteMap(rows)` per run, in ms. */
  totals: number[];
  /** `loadRoutes()` per run, in ms. */
  queries: number[];
  /** `new RouteMap(rows)` per run, in ms. */
  builds: number[];
}

/** Times `loadRoutes()` plus `new RouteMap(rows)` `o.loadRuns` times and checks the counts. */
async function measureLoad(store: RouteStore, o: Options): Promise<LoadResult> {
  const result: LoadResult = { totals: [], queries: [], builds: [] };
  for (let run = 0; run < o.loadRuns; run++) {
    const t0 = performance.now();
    const rows = await store.loadRoutes();
    const t1 = performance.now();
    const map = new RouteMap(rows);
    const t2 = performance.now();
    if (map.moduleCount !== o.modules || map.hostCount !== o.modules * o.hosts) {
      throw new Error(`loaded ${map.moduleCount} modules, ${map.hostCount} hosts`);
    }
    result.totals.push(t2 - t0);
    result.queries.push(t1 - t0);
    result.builds.push(t2 - t1);
    console.log(
      `  load run ${run + 1}: ${ms(t2 - t0)} (loadRoutes ${ms(t1 - t0)}, RouteMap ${ms(t2 - t1)})`,
    );
  }
  return result;
}

// ---------------------------------------------------------------- QPS

/** Result of one QPS phase. */
interface QpsResult {
  /** What ran, e.g. "50 connections (ping-pong)". */
  label: string;
  /** Connections used. */
  connections: number;
  /** Requests in flight per connection. */
  inFlight: number;
  /** Answers per second, each second. */
  perSecond: number[];
  /** Answers per second over the whole phase. */
  average: number;
  /** CPU time of the DNS process over the phase, in % of one CPU. */
  dnsCpuPct: number;
  /** CPU time of this process over the phase, in % of one CPU. */
  toolCpuPct: number;
  /** Answers decoded and checked (a sample). */
  checked: number;
}

/**
 * `connections` connections each keep `inFlight` GetRouteRequests for random
 * known modules outstanding for `seconds` seconds.
 */
async function measureQps(
  port: number,
  dnsPid: number,
  o: Options,
  connections: number,
  inFlight: number,
): Promise<QpsResult> {
  const label = inFlight === 1
    ? `${connections} connection${connections === 1 ? "" : "s"} (ping-pong)`
    : `${connections} connections x ${inFlight} in flight (pipelined)`;
  console.log(`GetRoute QPS, ${label}, ${o.seconds} s:`);
  const requests = Array.from({ length: o.modules }, (_, i) => {
    const { modid, cmdid } = moduleAt(i);
    return encodeFrame(MessageId.GetRouteRequest, GetRouteRequestCodec.encode({ modid, cmdid }));
  });
  const batch = (k: number): Uint8Array => {
    if (k === 1) return requests[Math.floor(Math.random() * requests.length)];
    const picked = Array.from(
      { length: k },
      () => requests[Math.floor(Math.random() * requests.length)],
    );
    const out = new Uint8Array(picked.reduce((n, frame) => n + frame.length, 0));
    let off = 0;
    for (const frame of picked) {
      out.set(frame, off);
      off += frame.length;
    }
    return out;
  };
  const conns = await connectAll(port, connections);
  let answered = 0;
  let checked = 0;
  let stopping = false;
  const drive = async (conn: TcpConn) => {
    const buf = new Uint8Array(Math.max(4096, inFlight * 512));
    const decoder = new FrameDecoder();
    let outstanding = inFlight;
    await conn.writeAll(batch(inFlight));
    while (outstanding > 0) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("DNS closed a QPS connection");
      let got = 0;
      decoder.push(buf.subarray(0, n), (msgid, body) => {
        if (msgid !== MessageId.GetRouteResponse) return;
        got++;
        // Check a sample fully; decoding every answer would load the client.
        if (((answered + got) & 4095) === 1) {
          const answer = GetRouteResponseCodec.decode(body);
          if (answer.host.length !== o.hosts) {
            throw new Error(`${answer.modid}/${answer.cmdid}: ${answer.host.length} hosts`);
          }
          checked++;
        }
      });
      outstanding -= got;
      answered += got;
      if (!stopping && got > 0) {
        outstanding += got;
        await conn.writeAll(batch(got));
      }
    }
  };
  const t0 = performance.now();
  const dnsCpu0 = cpuSeconds(dnsPid);
  const toolCpu0 = cpuSeconds("self");
  const drivers = conns.map(drive);
  let failure: unknown = null;
  const watched = Promise.all(drivers).catch((err) => {
    failure = err;
    stopping = true;
  });
  const perSecond: number[] = [];
  let last = 0;
  let lastT = t0;
  for (let s = 1; s <= o.seconds && failure === null; s++) {
    await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
    const now = performance.now();
    const count = answered;
    const qps = (count - last) / ((now - lastT) / 1000);
    perSecond.push(qps);
    console.log(`  second ${s}: ${thousands(qps)} QPS`);
    last = count;
    lastT = now;
  }
  const t1 = performance.now();
  const total = answered;
  const dnsCpu = cpuSeconds(dnsPid) - dnsCpu0;
  const toolCpu = cpuSeconds("self") - toolCpu0;
  stopping = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    watched.then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 10_000)),
  ]);
  clearTimeout(timer);
  conns.forEach(closeQuietly);
  await watched;
  if (failure !== null) throw failure;
  if (!drained) throw new Error("QPS connections did not drain within 10 s");
  const seconds = (t1 - t0) / 1000;
  const result: QpsResult = {
    label,
    connections,
    inFlight,
    perSecond,
    average: total / seconds,
    dnsCpuPct: 100 * dnsCpu / seconds,
    toolCpuPct: 100 * toolCpu / seconds,
    checked,
  };
  console.log(
    `  average: ${thousands(result.average)} QPS (DNS CPU ${result.dnsCpuPct.toFixed(0)}%, ` +
      `tool CPU ${result.toolCpuPct.toFixed(0)}%, ${checked} answers checked)`,
  );
  return result;
}

// ---------------------------------------------------------------- push latency

/** A GetRouteResponse as it arrived on a subscriber connection. */
interface Arrival {
  /** `performance.now()` right after the read that completed it. */
  t: number;
  /** Its body (a copy). */
  body: Uint8Array;
}

/** Result of the push phase. */
interface PushResult {
  /** Subscribed connections. */
  subscribers: number;
  /** Changes committed. */
  changes: number;
  /** Commit-to-push times over all (connection, change) pairs, in ms. */
  latencies: number[];
  /** Per change: commit to the first push to arrive, in ms. */
  firstPush: number[];
  /** Per change: first to last push to arrive, in ms. */
  fanOut: number[];
  /** Per change: commit to the push reaching the last subscriber, in ms. */
  lastPush: number[];
  /** CPU time the DNS process used during the changes (polls, reloads, pushes), in ms. */
  dnsCpuMs: number;
  /** GetRoute round trips of the sampler connections during the whole push phase, in ms. */
  getRouteAll: number[];
  /** The same, only requests sent while a change was being pushed (commit to last push). */
  getRouteDuringChange: number[];
  /** Per change: how long `addHost`/`removeHost` took, in ms. */
  commitMs: number[];
  /** (connection, change) pairs whose push never came. */
  missing: number;
  /** Pushes whose host list matched no committed state. */
  unexpected: number;
  /** How long connecting and subscribing all subscribers took, in ms. */
  subscribeMs: number;
  /** DNS memory with every subscriber connected, before the first change. */
  rssSubscribed: Rss;
  /** DNS memory with every subscriber connected, after the last change. */
  rss: Rss;
}

/** Connections measuring GetRoute round trips during the push phase. */
const GETROUTE_SAMPLERS = 4;
/** Each sampler connection sends one request per this many ms, answered or not. */
const GETROUTE_SAMPLE_MS = 4;

/** One GetRoute round trip of a sampler connection. */
interface Sample {
  /** `performance.now()` when the request was written. */
  sent: number;
  /** Time from the write to the answer, in ms. */
  ms: number;
}

/**
 * Starts the GetRoute sampler (`getroute_sampler_worker.ts`) in a Worker, so
 * its timing does not include this process reading the pushes to 1,000
 * subscribers: {@linkcode GETROUTE_SAMPLERS} connections each send a
 * GetRouteRequest for a random known module other than `exclude` every
 * {@linkcode GETROUTE_SAMPLE_MS} ms, answered or not. `stop()` resolves to
 * every round trip, measured from the time each request was written.
 */
function startGetRouteSampler(
  port: number,
  o: Options,
  exclude: { modid: number; cmdid: number },
): Promise<{ stop(): Promise<Sample[]> }> {
  const worker = new Worker(new URL("./getroute_sampler_worker.ts", import.meta.url), {
    type: "module",
  });
  const started = Promise.withResolvers<void>();
  const stopped = Promise.withResolvers<Sample[]>();
  worker.onerror = (e) => {
    e.preventDefault();
    const err = new Error(`GetRoute sampler: ${e.message}`);
    started.reject(err);
    stopped.reject(err);
  };
  worker.onmessage = (e: MessageEvent<{ started?: true; samples?: Float64Array }>) => {
    if (e.data.started) started.resolve();
    const flat = e.data.samples;
    if (!flat) return;
    // Pairs of (send time since the epoch, round trip); send times move to this
    // isolate's performance.now() clock.
    const samples: Sample[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      samples.push({ sent: flat[i] - performance.timeOrigin, ms: flat[i + 1] });
    }
    stopped.resolve(samples);
  };
  worker.postMessage({
    port,
    modules: o.modules,
    cmdsPerMod: CMDS_PER_MOD,
    exclude,
    count: GETROUTE_SAMPLERS,
    intervalMs: GETROUTE_SAMPLE_MS,
  });
  return started.promise.then(() => ({
    async stop() {
      worker.postMessage({ stop: true });
      try {
        return await stopped.promise;
      } finally {
        worker.terminate();
      }
    },
  }));
}

/** Version bumps of the whole-reload phase. */
const WHOLE_RELOADS = 3;

/** Sets `RouteVersion` one higher without a `RouteChange` row, as a writer that skips it would. */
async function bumpVersion(url: string): Promise<void> {
  const location = parseStoreUrl(url);
  const sql = "UPDATE RouteVersion SET version = version + 1 WHERE id = 1";
  if (location.kind === "sqlite") {
    const db = new DatabaseSync(location.path, { timeout: 5000 });
    try {
      db.prepare(sql).run();
    } finally {
      db.close();
    }
    return;
  }
  const conn = await mysql.createConnection({ ...location.config, connectTimeout: 5000 });
  try {
    await conn.execute(sql);
  } finally {
    await conn.end();
  }
}

/**
 * Measures GetRoute round trips while the DNS reloads its whole table: bumps
 * `RouteVersion` with no change row {@linkcode WHOLE_RELOADS} times, 1.5 s
 * apart (every DNS version reloads everything then), and returns the round
 * trips of requests due within 1 s after each bump.
 */
async function measureWholeReload(port: number, url: string, o: Options): Promise<number[]> {
  console.log(`GetRoute during whole-table reloads (${WHOLE_RELOADS} version bumps):`);
  const sampler = await startGetRouteSampler(port, o, moduleAt(0));
  const bumps: number[] = [];
  await sleep(500);
  for (let i = 0; i < WHOLE_RELOADS; i++) {
    await bumpVersion(url);
    bumps.push(performance.now());
    await sleep(1500);
  }
  const samples = await sampler.stop();
  const during = samples
    .filter((s) => bumps.some((t) => s.sent >= t && s.sent <= t + 1000))
    .map((s) => s.ms);
  console.log(`  ${rtt(during)}`);
  return during;
}

/** A host list as a comparable key. */
function hostKey(hosts: readonly { ip: number; port: number }[]): string {
  return hosts.map((h) => `${h.ip >>> 0}:${h.port}`).sort().join(",");
}

/**
 * Subscribes `o.subscribers` connections to one module, commits `o.changes`
 * changes to it through `admin`, and matches every push to the newest change
 * it contains.
 */
async function measurePush(
  port: number,
  dnsPid: number,
  admin: RouteStore,
  o: Options,
): Promise<PushResult> {
  const target = moduleAt(Math.floor(o.modules / 2));
  console.log(
    `push latency: ${o.subscribers} subscribers of ${target.modid}/${target.cmdid}, ` +
      `${o.changes} changes 1.0-1.5 s apart:`,
  );
  const request = encodeFrame(MessageId.GetRouteRequest, GetRouteRequestCodec.encode(target));
  const tSub = performance.now();
  const conns = await connectAll(port, o.subscribers);
  const arrivals: Arrival[][] = conns.map(() => []);
  let readErrors = 0;
  const readers = conns.map(async (conn, i) => {
    const buf = new Uint8Array(4096);
    const decoder = new FrameDecoder();
    const mine = arrivals[i];
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        const t = performance.now();
        decoder.push(buf.subarray(0, n), (msgid, body) => {
          if (msgid === MessageId.GetRouteResponse) mine.push({ t, body: body.slice() });
        });
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted)) {
        readErrors++;
      }
    }
  });
  await Promise.all(conns.map((conn) => conn.writeAll(request)));
  const subscribed = () => arrivals.every((a) => a.length > 0);
  const subDeadline = performance.now() + 60_000;
  while (!subscribed()) {
    if (performance.now() > subDeadline || readErrors > 0) {
      throw new Error("subscribers did not all get their first answer within 60 s");
    }
    await sleep(10);
  }
  const subscribeMs = performance.now() - tSub;
  await sleep(200);
  const rssSubscribed = readRss(dnsPid);
  console.log(
    `  ${o.subscribers} connections subscribed in ${ms(subscribeMs)}; ` +
      `DNS RSS ${mb(rssSubscribed.rss)}`,
  );

  // Every committed state gets an index; states never repeat (see below).
  const present = GetRouteResponseCodec.decode(arrivals[0][0].body).host
    .map((h) => ({ ip: h.ip >>> 0, port: h.port }));
  if (present.length !== o.hosts) throw new Error(`target has ${present.length} hosts`);
  const stateIndex = new Map<string, number>([[hostKey(present), 0]]);
  const commitAt: number[] = [NaN];
  const commitMs: number[] = [];
  const sampler = await startGetRouteSampler(port, o, target);
  const dnsCpu0 = cpuSeconds(dnsPid);
  for (let k = 1; k <= o.changes; k++) {
    await sleep(1000 + Math.random() * 500);
    const t0 = performance.now();
    // Odd changes add a new host, even ones remove the oldest present host, so
    // no state repeats and each push names the newest change it includes.
    if (k % 2 === 1) {
      const host = { ip: EXTRA_IP_BASE + k, port: 7000 };
      const r = await admin.addHost(target.modid, target.cmdid, host.ip, host.port);
      if (!r.added) throw new Error(`change ${k}: host already present`);
      present.push(host);
    } else {
      const host = present.shift()!;
      const r = await admin.removeHost(target.modid, target.cmdid, host.ip, host.port);
      if (!r.removed) throw new Error(`change ${k}: host not present`);
    }
    const t1 = performance.now();
    commitAt.push(t1);
    commitMs.push(t1 - t0);
    stateIndex.set(hostKey(present), k);
  }
  // Wait for the last change to reach everyone (or give up after 15 s).
  const lastKey = hostKey(present);
  const seen = new Array<number>(conns.length).fill(0);
  const done = new Array<boolean>(conns.length).fill(false);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && done.some((d) => !d)) {
    await sleep(100);
    arrivals.forEach((a, i) => {
      if (done[i] || a.length === seen[i]) return;
      seen[i] = a.length;
      done[i] = hostKey(GetRouteResponseCodec.decode(a.at(-1)!.body).host) === lastKey;
    });
  }
  const rss = readRss(dnsPid);
  const dnsCpuMs = (cpuSeconds(dnsPid) - dnsCpu0) * 1000;
  const samples = await sampler.stop();
  conns.forEach(closeQuietly);
  await Promise.all(readers);

  const latencies: number[] = [];
  const first = new Array<number>(o.changes + 1).fill(Infinity);
  const last = new Array<number>(o.changes + 1).fill(-Infinity);
  let missing = 0;
  let unexpected = 0;
  for (const list of arrivals) {
    const pushes = list.slice(1).map((a) => ({
      t: a.t,
      k: stateIndex.get(hostKey(GetRouteResponseCodec.decode(a.body).host)) ?? -1,
    }));
    unexpected += pushes.filter((p) => p.k < 0).length;
    for (let k = 1; k <= o.changes; k++) {
      const push = pushes.find((p) => p.k >= k);
      if (!push) {
        missing++;
        continue;
      }
      latencies.push(push.t - commitAt[k]);
      first[k] = Math.min(first[k], push.t);
      last[k] = Math.max(last[k], push.t);
    }
  }
  const firstPush: number[] = [];
  const fanOut: number[] = [];
  const lastPush: number[] = [];
  const changing: [number, number][] = [];
  for (let k = 1; k <= o.changes; k++) {
    if (!Number.isFinite(first[k])) continue;
    firstPush.push(first[k] - commitAt[k]);
    fanOut.push(last[k] - first[k]);
    lastPush.push(last[k] - commitAt[k]);
    changing.push([commitAt[k], last[k]]);
    console.log(
      `  change ${k}: commit ${ms(commitMs[k - 1])}, first push after ${
        ms(first[k] - commitAt[k])
      }, last after ${ms(last[k] - commitAt[k])}`,
    );
  }
  return {
    subscribers: o.subscribers,
    changes: o.changes,
    latencies,
    firstPush,
    fanOut,
    lastPush,
    dnsCpuMs,
    getRouteAll: samples.map((s) => s.ms),
    getRouteDuringChange: samples
      .filter((s) => changing.some(([from, to]) => s.sent >= from && s.sent <= to))
      .map((s) => s.ms),
    commitMs,
    missing,
    unexpected,
    subscribeMs,
    rssSubscribed,
    rss,
  };
}

// ---------------------------------------------------------------- main

/**
 * Starts the DNS service on `storeUrl` with a config file in `dir`; resolves
 * once it is listening and has settled for half a second.
 */
async function startDns(
  dir: string,
  name: string,
  storeUrl: string,
  maxConn: number,
): Promise<{ dns: DnsProcess; port: number; startMs: number }> {
  const port = freeTcpPort();
  const conf = `${dir}/${name}.conf`;
  await writeRepoFile(
    conf,
    // Every connection comes from 127.0.0.1: no per-address limit.
    `[reactor]\nip = 127.0.0.1\nport = ${port}\nmaxConn = ${maxConn}\nmax_conn_per_ip = 0\n` +
      `[store]\nurl = ${storeUrl}\n`,
  );
  const t0 = performance.now();
  const dns = new DnsProcess(await dnsArgs(conf));
  try {
    await dns.waitFor(/listening on 127\.0\.0\.1:\d+/, 120_000);
  } catch (err) {
    await dns.stop();
    throw err;
  }
  const startMs = performance.now() - t0;
  await sleep(500); // let the start settle before memory is read
  return { dns, port, startMs };
}

/** Runs every phase; resolves to the exit code. */
async function main(): Promise<number> {
  const o = readOptions();
  const hostsTotal = o.modules * o.hosts;
  const cpus = navigator.hardwareConcurrency;
  console.log(
    `DNS benchmark: ${o.store}, ${thousands(o.modules)} modules x ${o.hosts} hosts = ` +
      `${thousands(hostsTotal)} hosts; Deno ${Deno.version.deno}, ${cpus} CPUs, ` +
      `load average ${loadAverage()}`,
  );
  const loadAtStart = loadAverage();
  const dir = await repoTempDir("dns_bench_");
  let dns: DnsProcess | null = null;
  let admin: RouteStore | null = null;
  const stopOnSignal = () => {
    try {
      dns?.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    try {
      Deno.removeSync(`${ROOT}${dir.path}`, { recursive: true });
    } catch {
      // best effort
    }
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", stopOnSignal);
  Deno.addSignalListener("SIGTERM", stopOnSignal);
  try {
    // 1. Seed.
    let url: string;
    if (o.store === "sqlite") {
      url = `sqlite:${ROOT}${dir.path}/routes.db`;
    } else {
      const server = await getTestMysql();
      if (!server) throw new Error("No MySQL/MariaDB server (install mariadb-server)");
      url = await server.createDatabase(`lars_dns_bench_${Deno.pid}`);
    }
    await (await openRouteStore(url)).close(); // creates the schema
    const tSeed = performance.now();
    if (o.store === "sqlite") seedSqlite(`${ROOT}${dir.path}/routes.db`, o);
    else await seedMysql(url, o);
    const seedMs = performance.now() - tSeed;
    console.log(`seeded ${thousands(hostsTotal)} hosts in ${ms(seedMs)}`);

    // 2. Table load time in this process.
    admin = await openRouteStore(url);
    console.log(`table load (loadRoutes + RouteMap), ${o.loadRuns} runs:`);
    const load = await measureLoad(admin, o);

    // 3. The DNS service as a subprocess: first on an empty table for a baseline.
    const maxConn = o.subscribers + Math.max(...o.connections) + 64;
    const empty = await startDns(dir.path, "empty", `sqlite:${dir.path}/empty.db`, 64);
    dns = empty.dns;
    const rssEmpty = readRss(dns.pid);
    await dns.stop();
    dns = null;
    console.log(`DNS on an empty table: RSS ${mb(rssEmpty.rss)}`);
    const started = await startDns(dir.path, "bench", url, maxConn);
    dns = started.dns;
    const { port, startMs } = started;
    const rssLoaded = readRss(dns.pid);
    console.log(
      `DNS pid ${dns.pid} listening on 127.0.0.1:${port} after ${ms(startMs)}; ` +
        `RSS ${mb(rssLoaded.rss)} (peak ${mb(rssLoaded.peak)})`,
    );

    // 4. Push latency, before the QPS phases subscribe their connections to
    // thousands of modules.
    const push = await measurePush(port, dns.pid, admin, o);
    console.log(`DNS RSS with ${o.subscribers} subscribers after the changes: ${mb(push.rss.rss)}`);

    // 4b. GetRoute while the DNS reloads the whole table.
    const whole = await measureWholeReload(port, url, o);

    // 5. QPS.
    const qps: QpsResult[] = [];
    for (const c of o.connections) qps.push(await measureQps(port, dns.pid, o, c, 1));
    if (o.pipeline > 0) {
      qps.push(await measureQps(port, dns.pid, o, Math.max(...o.connections), o.pipeline));
    }
    const rssAfterQps = readRss(dns.pid);
    console.log(`DNS RSS after the QPS phases: ${mb(rssAfterQps.rss)}`);

    const status = await dns.stop();
    dns = null;
    if (!status.success) throw new Error(`DNS exited with code ${status.code}`);

    // 6. Summary.
    const l = push.latencies;
    const rows: [string, string][] = [
      ["store", o.store],
      ["table", `${thousands(o.modules)} modules x ${o.hosts} hosts = ${thousands(hostsTotal)}`],
      ["seed (bulk insert by the tool)", ms(seedMs)],
      [
        `table load: loadRoutes + RouteMap, median of ${o.loadRuns}`,
        `${ms(median(load.totals))} (loadRoutes ${ms(median(load.queries))}, RouteMap ${
          ms(median(load.builds))
        }; runs ${load.totals.map((t) => Math.round(t)).join(", ")} ms)`,
      ],
      ["DNS start to listening (process start, load, bind)", ms(startMs)],
      ["DNS RSS, empty table (baseline)", mb(rssEmpty.rss)],
      ["DNS RSS, table loaded, idle", mb(rssLoaded.rss)],
      [
        `push latency, ${push.subscribers} subscribers x ${push.changes} changes`,
        `median ${ms(median(l))}, p99 ${ms(percentile(l, 99))}, min ${ms(Math.min(...l))}, max ${
          ms(Math.max(...l))
        } (${l.length} pushes, ${push.missing} missing, ` +
        `${push.unexpected} unexpected)`,
      ],
      [
        `push: commit to the last of ${push.subscribers} subscribers, per change`,
        `median ${ms(median(push.lastPush))}, p99 ${ms(percentile(push.lastPush, 99))}, max ${
          ms(Math.max(...push.lastPush))
        }`,
      ],
      [
        `DNS CPU during the push phase (${push.changes} changes and the GetRoute sampler)`,
        `${ms(push.dnsCpuMs)} (${ms(push.dnsCpuMs / push.changes)} per change)`,
      ],
      [
        `GetRoute round trip during the push phase (${GETROUTE_SAMPLERS} connections, one request each per ${GETROUTE_SAMPLE_MS} ms)`,
        rtt(push.getRouteAll),
      ],
      [
        "GetRoute round trip, requests sent while a change was pushed",
        rtt(push.getRouteDuringChange),
      ],
      [
        `GetRoute round trip within 1 s of a version bump with no change rows (whole reload), ${WHOLE_RELOADS} bumps`,
        rtt(whole),
      ],
      [
        "push: commit to first push, per change",
        `median ${ms(median(push.firstPush))}, max ${ms(Math.max(...push.firstPush))}`,
      ],
      [
        `push: fan-out to ${push.subscribers} (first to last arrival), per change`,
        `median ${ms(median(push.fanOut))}, max ${ms(Math.max(...push.fanOut))}`,
      ],
      ["route change commit (addHost/removeHost)", `median ${ms(median(push.commitMs))}`],
      [
        `DNS RSS with ${push.subscribers} subscribers, before the changes`,
        mb(push.rssSubscribed.rss),
      ],
      [`DNS RSS with ${push.subscribers} subscribers, after the changes`, mb(push.rss.rss)],
      ...qps.map((q): [string, string] => [
        `GetRoute QPS, ${q.label}`,
        `${thousands(q.average)}/s (seconds: ${q.perSecond.map(thousands).join(", ")}; DNS CPU ${
          q.dnsCpuPct.toFixed(0)
        }%, tool CPU ${q.toolCpuPct.toFixed(0)}%)`,
      ]),
      ["DNS RSS after the QPS phases", mb(rssAfterQps.rss)],
      ["DNS peak RSS (VmHWM)", mb(rssAfterQps.peak)],
      ["machine load average (1, 5, 15 min) at start / end", `${loadAtStart} / ${loadAverage()}`],
    ];
    console.log(`\nSUMMARY dns_load ${Deno.args.join(" ")}`);
    console.log("| measurement | value |\n| --- | --- |");
    for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
    return push.missing === 0 && push.unexpected === 0 ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stopOnSignal);
    Deno.removeSignalListener("SIGTERM", stopOnSignal);
    if (dns) {
      console.error(`DNS output tail:\n${dns.tail}`);
      await dns.stop();
    }
    await admin?.close();
    await dir.remove();
  }
}

try {
  Deno.exitCode = await main();
} catch (err) {
  console.error(`dns_load: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  Deno.exitCode = 1;
}

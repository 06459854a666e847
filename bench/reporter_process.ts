/**
 * Memory of the real report service under load (not a `Deno.bench` file):
 * starts `reporter/main.ts` as its own process, exactly as `deno task
 * reporter` does (same permissions and V8 flags, from `cli/permissions.ts`),
 * on a fresh SQLite file or a fresh database of a private MariaDB (the test
 * harness's, or `LARS_TEST_MYSQL_URL`), drives it with `reporter_agents.ts`
 * and samples the service's `VmRSS` every 100 ms and its admin endpoint's
 * metrics (rows written, queue, lag) every second. Prints the idle RSS, the
 * peak RSS (`VmHWM`) under load, rows stored per second, the largest queue
 * and lag, and the backlog (reports still unread when the agents stopped).
 *
 *     deno run -A bench/reporter_process.ts --stores sqlite,mysql --agents 50 --rate 100 \
 *       --seconds 15 --rounds 2
 *
 * `--v8-flags a,b` replaces the service's own V8 flags (`--v8-flags none`
 * runs it with V8's defaults), for before/after comparisons in one run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { serviceCommand } from "../cli/permissions.ts";
import { getTestMysql, type TestMysql } from "../tests/support/mariadb.ts";
import { freeTcpPort } from "../tests/support/ports.ts";
import { readRss } from "./proc.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    stores: { type: "string", default: "sqlite,mysql" },
    agents: { type: "string", default: "50" },
    rate: { type: "string", default: "100" },
    modules: { type: "string", default: "100" },
    hosts: { type: "string", default: "10" },
    seconds: { type: "string", default: "15" },
    rounds: { type: "string", default: "1" },
    "v8-flags": { type: "string" },
    history: { type: "boolean", default: false },
  },
});
const STORES = values.stores.split(",") as ("sqlite" | "mysql")[];
const ROUNDS = Number(values.rounds);
const MIB = 1024 * 1024;
const AGENTS_SCRIPT = fileURLToPath(new URL("./reporter_agents.ts", import.meta.url));

interface Result {
  store: string;
  round: number;
  idleMib: number;
  maxMib: number;
  peakMib: number;
  /** At the largest sampled RSS: anonymous memory (heaps, malloc) and file pages (the deno binary). */
  anonMib: number;
  fileMib: number;
  rowsPerSec: number;
  maxQueue: number;
  maxLagMs: number;
  backlogMs: number;
  coalescedPct: number;
}

const tempDir = await Deno.makeTempDir({ prefix: "lars-reporter-rss-" });
let mysql: TestMysql | null = null;
let runNo = 0;

async function storeUrl(kind: "sqlite" | "mysql"): Promise<string> {
  runNo++;
  if (kind === "sqlite") return `sqlite:${tempDir}/bench-${runNo}.db`;
  mysql ??= await getTestMysql();
  if (!mysql) throw new Error("No MySQL/MariaDB server (install mariadb-server)");
  return await mysql.createDatabase(`lars_rss_${runNo}`);
}

/** The metrics the tool reads, by name (first sample of each). */
async function scrape(adminPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = line.match(/^(lars_reporter_[a-z_]+)(?:\{[^}]*\})? (\S+)$/);
    if (m && !out.has(m[1])) out.set(m[1], Number(m[2]));
  }
  return out;
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}

/** `RssAnon` and `RssFile` of `pid` in bytes: heaps and malloc, and mapped files (the binary). */
function rssSplit(pid: number): { anon: number; file: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { anon: kb("RssAnon") * 1024, file: kb("RssFile") * 1024 };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(kind: "sqlite" | "mysql", round: number): Promise<Result> {
  const port = freeTcpPort();
  const adminPort = freeTcpPort();
  const configFile = `${tempDir}/reporter-${runNo + 1}.conf`;
  const url = await storeUrl(kind);
  await Deno.writeTextFile(
    configFile,
    `[reactor]\nip = 127.0.0.1\nport = ${port}\n[repoter]\ndb_thread_cnt = 3\n` +
      `[reporter]\nhistory = ${values.history}\n[store]\nurl = ${url}\n` +
      `[admin]\nip = 127.0.0.1\nport = ${adminPort}\n`,
  );
  const { argv } = await serviceCommand("reporter", configFile);
  let args = argv.slice(1);
  if (values["v8-flags"] !== undefined) {
    args = args.filter((a) => !a.startsWith("--v8-flags="));
    if (values["v8-flags"] !== "none") args.splice(1, 0, `--v8-flags=${values["v8-flags"]}`);
  }
  const service = new Deno.Command(argv[0], { args, stdout: "null", stderr: "piped" }).spawn();
  try {
    return await measure(service, port, adminPort, kind, round);
  } finally {
    try {
      service.kill("SIGTERM");
    } catch { /* exited */ }
    await service.status;
  }
}

async function measure(
  service: Deno.ChildProcess,
  port: number,
  adminPort: number,
  kind: "sqlite" | "mysql",
  round: number,
): Promise<Result> {
  const log = lines(service.stderr);
  for (;;) {
    const line = await log.next();
    if (line.done) throw new Error("reporter exited before listening");
    if (line.value.includes("listening on")) break;
  }
  (async () => {
    for await (const line of log) if (/ERROR|WARN/.test(line)) console.error(`  reporter: ${line}`);
  })();
  await sleep(1000);
  const idle = readRss(service.pid).rss;
  // Before the agents start: they send as soon as all are connected.
  const start = await scrape(adminPort);
  const agents = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      AGENTS_SCRIPT,
      `--port=${port}`,
      `--agents=${values.agents}`,
      `--hosts=${values.hosts}`,
      `--modules=${values.modules}`,
      `--seconds=${values.seconds}`,
      `--rate=${values.rate}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const events = lines(agents.stdout);
  const first = await events.next();
  if (first.done || JSON.parse(first.value).event !== "connected") {
    throw new Error(`agents did not connect: ${first.value}`);
  }
  const t0 = performance.now();
  let maxRss = 0;
  let maxQueue = 0;
  let maxLag = 0;
  let split = { anon: 0, file: 0 };
  const rssTimer = setInterval(() => {
    const rss = readRss(service.pid).rss;
    if (rss > maxRss) [maxRss, split] = [rss, rssSplit(service.pid)];
  }, 100);
  let lastRows = start.get("lars_reporter_rows_written_total") ?? 0;
  const metricsTimer = setInterval(async () => {
    const m = await scrape(adminPort);
    const queue = (m.get("lars_reporter_queue_keys") ?? 0) +
      (m.get("lars_reporter_in_flight_rows") ?? 0);
    const lag = 1000 * (m.get("lars_reporter_queue_oldest_age_seconds") ?? 0);
    maxQueue = Math.max(maxQueue, queue);
    maxLag = Math.max(maxLag, lag);
    const rows = m.get("lars_reporter_rows_written_total") ?? 0;
    const t = ((performance.now() - t0) / 1000).toFixed(0).padStart(3);
    console.log(
      `  t=${t}s rows/s ${String(rows - lastRows).padStart(6)}  queue ${
        String(queue).padStart(6)
      }  lag ${lag.toFixed(0).padStart(5)} ms  rss ${
        (readRss(service.pid).rss / MIB).toFixed(0)
      } MiB`,
    );
    lastRows = rows;
  }, 1000);
  const done = await events.next();
  const t1 = performance.now();
  clearInterval(metricsTimer);
  if (done.done || JSON.parse(done.value).event !== "done") throw new Error("agents failed");
  const sent: number = JSON.parse(done.value).reports;
  await agents.status;
  const end = await scrape(adminPort);
  const tBacklog = performance.now();
  const reports0 = start.get("lars_reporter_reports_total") ?? 0;
  while (((await scrape(adminPort)).get("lars_reporter_reports_total") ?? 0) - reports0 < sent) {
    if (performance.now() - tBacklog > 30_000) {
      console.error("  reports still unread after 30 s: counting them as lost");
      break;
    }
    await sleep(20);
  }
  const backlogMs = performance.now() - tBacklog;
  clearInterval(rssTimer);
  const peak = readRss(service.pid).peak;
  const rows = (end.get("lars_reporter_rows_written_total") ?? 0) -
    (start.get("lars_reporter_rows_written_total") ?? 0);
  const results = (end.get("lars_reporter_results_total") ?? 0) -
    (start.get("lars_reporter_results_total") ?? 0);
  return {
    store: kind,
    round,
    idleMib: idle / MIB,
    maxMib: maxRss / MIB,
    peakMib: peak / MIB,
    anonMib: split.anon / MIB,
    fileMib: split.file / MIB,
    rowsPerSec: rows / ((t1 - t0) / 1000),
    maxQueue,
    maxLagMs: maxLag,
    backlogMs,
    coalescedPct: results > 0 ? 100 * (1 - rows / results) : 0,
  };
}

const results: Result[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of STORES) {
      console.log(
        `${kind}, round ${round}: ${values.agents} agents x ${values.rate} reports/s x ` +
          `${values.hosts} hosts, ${values.seconds} s`,
      );
      const r = await run(kind, round);
      results.push(r);
      console.log(
        `  => idle ${r.idleMib.toFixed(0)} MiB, peak ${r.peakMib.toFixed(0)} MiB, ` +
          `${r.rowsPerSec.toFixed(0)} rows/s, max lag ${r.maxLagMs.toFixed(0)} ms\n`,
      );
    }
  }
} finally {
  await Deno.remove(tempDir, { recursive: true });
}

console.log(
  "| store | round | idle RSS MiB | peak RSS MiB (VmHWM) | anon/file MiB at peak | " +
    "rows/s stored | coalesced | " +
    "max queue | max lag ms | backlog ms |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.store} | ${r.round} | ${r.idleMib.toFixed(0)} | ${r.peakMib.toFixed(0)} | ` +
      `${r.anonMib.toFixed(0)}/${r.fileMib.toFixed(0)} | ` +
      `${r.rowsPerSec.toFixed(0)} | ${r.coalescedPct.toFixed(0)}% | ${r.maxQueue} | ` +
      `${r.maxLagMs.toFixed(0)} | ${r.backlogMs.toFixed(0)} |`,
  );
}

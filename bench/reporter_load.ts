/**
 * Load tool of the report service (not a `Deno.bench` file): runs the
 * ReportService in this process on SQLite and/or a private MariaDB (the test
 * harness's, or `LARS_TEST_MYSQL_URL`), starts `reporter_agents.ts` as a
 * subprocess with N fake agents sending as fast as the service reads, and
 * prints every second the rows stored, queue depth, lag and RSS; then a
 * summary per run. Each configuration runs in both write modes in the same
 * invocation: `multi-row` (ours) and `one-by-one` (the original's one
 * statement per row, the baseline), and the summary gives their ratio.
 *
 *     deno run -A bench/reporter_load.ts --stores sqlite,mysql --agents 1,50 --seconds 10
 *
 * "rows/s" counts `ServerCallStatus` rows committed (the `rowsWritten`
 * counter) while the agents were sending; "catch-up" is how long writing what
 * was still queued took once they stopped (how far behind the service was).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { createLogger } from "../reactor/log.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { ReportService } from "../reporter/report_service.ts";
import { createReportStore } from "../store/url.ts";
import { createReportStore as createOneByOneStore } from "./one_by_one_store.ts";
import { WorkerReportStore } from "../reporter/store_worker_client.ts";
import type { ReportStore } from "../store/types.ts";
import { getTestMysql, type TestMysql } from "../tests/support/mariadb.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    stores: { type: "string", default: "sqlite,mysql" },
    agents: { type: "string", default: "1,50" },
    rates: { type: "string", default: "0" },
    modes: { type: "string", default: "multi-row,one-by-one" },
    seconds: { type: "string", default: "10" },
    modules: { type: "string", default: "100" },
    hosts: { type: "string", default: "10" },
    writers: { type: "string", default: "3" },
    placement: { type: "string", default: "worker" },
    quiet: { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const MODULES = Number(values.modules);
const HOSTS = Number(values.hosts);
const WRITERS = Number(values.writers);
const AGENTS = values.agents.split(",").map(Number);
const RATES = values.rates.split(",").map(Number);
const STORES = values.stores.split(",") as ("sqlite" | "mysql")[];
const MODES = values.modes.split(",") as WriteMode[];
const PLACEMENTS = values.placement.split(",") as ("worker" | "inline")[];
const AGENTS_SCRIPT = fileURLToPath(new URL("./reporter_agents.ts", import.meta.url));
const MB = 1024 * 1024;
/** `multi-row`: the service's writes; `one-by-one`: the original's, from `one_by_one_store.ts`. */
type WriteMode = "multi-row" | "one-by-one";
const ONE_BY_ONE_MODULE = new URL("./one_by_one_store.ts", import.meta.url).href;

interface RunResult {
  store: string;
  placement: string;
  agents: number;
  rate: number;
  mode: WriteMode;
  reportsPerSec: number;
  rowsPerSec: number;
  coalescedPct: number;
  dropped: number;
  retries: number;
  maxQueue: number;
  maxLagMs: number;
  catchUpMs: number;
  backlogMs: number;
  rssEndMb: number;
  rssStartMb: number;
  rssMaxMb: number;
  rows: number;
}

const tempDir = await Deno.makeTempDir({ prefix: "lars-reporter-bench-" });
let mysql: TestMysql | null = null;
let runNo = 0;

async function freshStore(
  kind: "sqlite" | "mysql",
  writers: number,
  placement: "worker" | "inline",
  mode: WriteMode,
): Promise<ReportStore> {
  runNo++;
  let url = `sqlite:${tempDir}/bench-${runNo}.db`;
  if (kind === "mysql") {
    mysql ??= await getTestMysql();
    if (!mysql) throw new Error("No MySQL/MariaDB server (install mariadb-server)");
    url = await mysql.createDatabase(`lars_bench_${runNo}`);
  }
  const oneByOne = mode === "one-by-one";
  const open = { url, history: false, connectionLimit: writers };
  if (placement === "worker") {
    return new WorkerReportStore(oneByOne ? { ...open, storeModule: ONE_BY_ONE_MODULE } : open);
  }
  return oneByOne ? createOneByOneStore(url, open) : createReportStore(url, open);
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

async function run(
  kind: "sqlite" | "mysql",
  agents: number,
  rate: number,
  mode: WriteMode,
  placement: "worker" | "inline",
): Promise<RunResult> {
  const writers = kind === "sqlite" && placement === "inline" ? 1 : WRITERS;
  const store = await freshStore(kind, writers, placement, mode);
  await store.init();
  const service = new ReportService({
    store,
    transport: denoTransport,
    port: 0,
    writers,
    log: createLogger("bench-reporter"),
  });
  const { port } = service.start();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      AGENTS_SCRIPT,
      `--port=${port}`,
      `--agents=${agents}`,
      `--hosts=${HOSTS}`,
      `--modules=${MODULES}`,
      `--seconds=${SECONDS}`,
      `--rate=${rate}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const events = lines(child.stdout);
  const first = await events.next();
  if (first.done || JSON.parse(first.value).event !== "connected") {
    throw new Error(`agents did not connect: ${first.value}`);
  }
  const c = service.counters;
  const t0 = performance.now();
  const rows0 = c.get("rowsWritten");
  const reports0 = c.get("reports");
  const rssStart = Deno.memoryUsage().rss;
  let rssMax = rssStart;
  let maxQueue = 0;
  let maxLag = 0;
  let lastRows = rows0;
  let lastReports = reports0;
  const sample = setInterval(() => {
    const q = service.queueStats();
    const rss = Deno.memoryUsage().rss;
    rssMax = Math.max(rssMax, rss);
    maxQueue = Math.max(maxQueue, q.queued + q.inFlight);
    maxLag = Math.max(maxLag, q.oldestAgeMs);
    const rows = c.get("rowsWritten");
    const reports = c.get("reports");
    if (!values.quiet) {
      const t = ((performance.now() - t0) / 1000).toFixed(0).padStart(3);
      console.log(
        `  t=${t}s reports/s ${String(reports - lastReports).padStart(7)}` +
          `  rows/s ${String(rows - lastRows).padStart(7)}  queue ${
            String(q.queued + q.inFlight).padStart(6)
          }  lag ${String(q.oldestAgeMs).padStart(5)} ms  rss ${(rss / MB).toFixed(0)} MB` +
          `  heap ${(Deno.memoryUsage().heapUsed / MB).toFixed(0)} MB`,
      );
    }
    lastRows = rows;
    lastReports = reports;
  }, 1000);
  const done = await events.next();
  const t1 = performance.now();
  clearInterval(sample);
  const rows1 = c.get("rowsWritten");
  const reports1 = c.get("reports");
  if (done.done || JSON.parse(done.value).event !== "done") throw new Error("agents failed");
  const sentReports: number = JSON.parse(done.value).reports;
  await child.status;
  // Reports still in socket buffers when the agents stopped: how far reading lagged.
  const tBacklog = performance.now();
  while (c.get("reports") - reports0 < sentReports) {
    if (performance.now() - tBacklog > 300_000) throw new Error("reports lost in transit");
    const q = service.queueStats();
    maxQueue = Math.max(maxQueue, q.queued + q.inFlight);
    maxLag = Math.max(maxLag, q.oldestAgeMs);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const backlogMs = performance.now() - tBacklog;
  const q = service.queueStats();
  maxQueue = Math.max(maxQueue, q.queued + q.inFlight);
  maxLag = Math.max(maxLag, q.oldestAgeMs);
  // What was still queued once every report was in: how far writing lagged.
  const tFlush = performance.now();
  await service.flush();
  const catchUpMs = performance.now() - tFlush;
  const rssEnd = Deno.memoryUsage().rss;
  await service.stop();
  const rows = (await store.listStatus()).length;
  await store.close();
  const seconds = (t1 - t0) / 1000;
  const results = (reports1 - reports0) * HOSTS;
  return {
    store: kind,
    placement,
    agents,
    rate,
    mode,
    reportsPerSec: (reports1 - reports0) / seconds,
    rowsPerSec: (rows1 - rows0) / seconds,
    coalescedPct: results > 0 ? 100 * (1 - (rows1 - rows0) / results) : 0,
    dropped: c.get("dropped"),
    retries: c.get("retries"),
    maxQueue,
    maxLagMs: maxLag,
    catchUpMs,
    backlogMs,
    rssEndMb: rssEnd / MB,
    rssStartMb: rssStart / MB,
    rssMaxMb: rssMax / MB,
    rows,
  };
}

const results: RunResult[] = [];
try {
  for (const kind of STORES) {
    for (const agents of AGENTS) {
      for (const rate of RATES) {
        for (const placement of PLACEMENTS) {
          for (const mode of MODES) {
            const pace = rate === 0 ? "unpaced" : `${rate} reports/s each`;
            console.log(
              `${kind} (${placement}), ${agents} agent(s) x ${MODULES} modules x ${HOSTS} hosts, ` +
                `${pace}, ${mode}:`,
            );
            const r = await run(kind, agents, rate, mode, placement);
            results.push(r);
            console.log(
              `  => ${r.rowsPerSec.toFixed(0)} rows/s stored, ${r.reportsPerSec.toFixed(0)} ` +
                `reports/s received, backlog ${r.backlogMs.toFixed(0)} ms, catch-up ` +
                `${r.catchUpMs.toFixed(0)} ms, ${r.rows} rows\n`,
            );
          }
        }
      }
    }
  }
} finally {
  await Deno.remove(tempDir, { recursive: true });
}

const f0 = (n: number) => n.toFixed(0);
console.log(
  "| store | agents | reports/s per agent | mode | rows/s stored | vs one-by-one | " +
    "reports/s received | coalesced | dropped | retries | max queue | max lag ms | " +
    "backlog ms | catch-up ms | RSS MB start/max/end |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  const base = results.find((b) =>
    b.store === r.store && b.placement === r.placement && b.agents === r.agents &&
    b.rate === r.rate && b.mode === "one-by-one"
  );
  const ratio = base && base.rowsPerSec > 0
    ? `${(r.rowsPerSec / base.rowsPerSec).toFixed(1)}x`
    : "";
  const store = r.placement === "worker" ? r.store : `${r.store} (inline)`;
  console.log(
    `| ${store} | ${r.agents} | ${r.rate === 0 ? "unpaced" : r.rate} | ${r.mode} | ` +
      `${f0(r.rowsPerSec)} | ${ratio} | ${f0(r.reportsPerSec)} | ${r.coalescedPct.toFixed(0)}% | ` +
      `${r.dropped} | ${r.retries} | ${r.maxQueue} | ${f0(r.maxLagMs)} | ${f0(r.backlogMs)} | ` +
      `${f0(r.catchUpMs)} | ${f0(r.rssStartMb)}/${f0(r.rssMaxMb)}/${f0(r.rssEndMb)} |`,
  );
}

import assert from "node:assert/strict";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { ReportService } from "../../reporter/report_service.ts";
import { WorkerReportStore } from "../../reporter/store_worker_client.ts";
import { MysqlReportStore } from "../../store/report_store.ts";
import { openReportStore, parseStoreUrl } from "../../store/url.ts";
import { getTestMysql, testMysqlUnavailableReason } from "../support/mariadb.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { memoryLogger, registerServiceSuite, report, reportFrame } from "./service_suite.ts";

// Started here, outside any test, so the server process is invisible to test sanitizers.
const server = await getTestMysql();
const unavailable = server ? null : testMysqlUnavailableReason() ?? "no MySQL server";
let databases = 0;

async function freshUrl(): Promise<string> {
  if (!server) throw new Error(`MySQL unavailable: ${unavailable}`);
  return await server.createDatabase(`lars_reporter_${Deno.pid}_${++databases}`);
}

function mysqlStore(url: string, options: { history?: boolean; connections?: number } = {}) {
  const location = parseStoreUrl(url);
  if (location.kind !== "mysql") throw new TypeError(`Not a MySQL URL: ${url}`);
  return new MysqlReportStore(location.config, {
    history: options.history,
    connectionLimit: options.connections ?? 3,
    connectTimeoutMs: 1000,
  });
}

registerServiceSuite({
  name: "mysql",
  unavailable,
  writers: 3,
  freshStore: async ({ history }) => mysqlStore(await freshUrl(), { history }),
});

// The production path: the store in its Web Worker.
registerServiceSuite({
  name: "mysql worker",
  unavailable,
  writers: 3,
  freshStore: async ({ history }) =>
    new WorkerReportStore({
      url: await freshUrl(),
      history,
      connectionLimit: 3,
      connectTimeoutMs: 1000,
    }),
});

const AGENTS = 4;
const MODULES = 25;
const HOSTS = 10;

/** One round: every agent reports every module with all hosts at `succ = round`. */
function roundFrames(agent: number, round: number, modBase = 1): Uint8Array {
  const frames = Array.from({ length: MODULES }, (_, m) =>
    reportFrame(report(
      modBase + m,
      1_000_000 + round,
      Array.from({ length: HOSTS }, (_, h) => ({ succ: round, err: h })),
      0x0A0A0000 + agent,
    )));
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((off, f) => (out.set(f, off), off + f.length), 0);
  return out;
}

for (const placement of ["worker", "inline"] as const) {
  Deno.test({
    name: `reporter mysql ${placement} - MariaDB restarted mid-stream loses nothing that fits ` +
      "the queue",
    ignore: unavailable !== null || !server?.managed,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => restartMidStream(placement),
  });
}

async function restartMidStream(placement: "worker" | "inline"): Promise<void> {
  const url = await freshUrl();
  const store = placement === "worker"
    ? new WorkerReportStore({ url, history: false, connectionLimit: 3, connectTimeoutMs: 1000 })
    : mysqlStore(url);
  const service = new ReportService({
    store,
    transport: denoTransport,
    port: 0,
    writers: 3,
    flushMs: 10,
    retryMaxMs: 300,
    log: memoryLogger(),
  });
  const agents: RawFrameConn[] = [];
  let sent = 0;
  let round = 0;
  const sendRound = async (modBase = 1) => {
    round++;
    await Promise.all(agents.map((a, i) => a.write(roundFrames(i, round, modBase))));
    sent += AGENTS * MODULES;
  };
  try {
    service.start();
    for (let i = 0; i < AGENTS; i++) agents.push(await RawFrameConn.connect(service.addr.port));
    await sendRound();
    await waitFor(() => service.counters.get("reports") === sent, "first round received");
    await service.flush();

    // Keep the stream going while the server goes down.
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        await sendRound();
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => service.counters.get("rowsWritten") > 2000, "writes in flight", 10_000);
    await server!.stop({ signal: "SIGKILL" });
    await waitFor(() => service.counters.get("retries") >= 3, "failed writes", 10_000);
    streaming = false;
    await stream;
    // Modules 101.. are reported only while the database is down.
    await sendRound(101);
    const lastRound = round;
    await waitFor(() => service.counters.get("reports") === sent, "all reports received");
    await server!.start();
    await service.flush();

    const check = await openReportStore(url);
    try {
      const rows = await check.listStatus();
      assert.equal(rows.length, AGENTS * 2 * MODULES * HOSTS);
      const downOnly = rows.filter((r) => r.modid > 100);
      assert.equal(downOnly.length, AGENTS * MODULES * HOSTS);
      assert.ok(downOnly.every((r) => r.succ === lastRound && r.ts === 1_000_000 + lastRound));
      const before = rows.filter((r) => r.modid <= 100);
      assert.ok(before.every((r) => r.succ === lastRound - 1 && r.err === r.ip - 0x0A000001));
    } finally {
      await check.close();
    }
    assert.equal(service.counters.get("dropped"), 0);
    assert.equal(service.counters.get("rejected"), 0);
  } finally {
    for (const a of agents) await a.close();
    await service.stop();
    await store.close();
  }
}

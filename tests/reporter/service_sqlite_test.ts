import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SqliteReportStore } from "../../store/report_store.ts";
import { waitFor } from "../support/net.ts";
import { memoryLogger, registerServiceSuite, report, withService } from "./service_suite.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { ReportService } from "../../reporter/report_service.ts";
import { WorkerReportStore } from "../../reporter/store_worker_client.ts";
import { StoreError } from "../../store/types.ts";

const row = {
  modid: -5,
  cmdid: 7,
  ip: 0x0A000001,
  port: 9000,
  caller: 0x7F000001,
  succ: 3,
  err: 1,
  ts: 1_700_000_000,
  overload: false,
};

const tempDir = Deno.makeTempDirSync({ prefix: "lars-reporter-sqlite-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tempDir, { recursive: true }));
let databases = 0;

registerServiceSuite({
  name: "sqlite",
  unavailable: null,
  writers: 1,
  freshStore: ({ history }) =>
    Promise.resolve(new SqliteReportStore(`${tempDir}/db-${++databases}.sqlite`, { history })),
});

// The production path: the store in its Web Worker, with db_thread_cnt writers sharing it.
registerServiceSuite({
  name: "sqlite worker",
  unavailable: null,
  writers: 3,
  freshStore: ({ history }) =>
    Promise.resolve(
      new WorkerReportStore({ url: `sqlite:${tempDir}/db-${++databases}.sqlite`, history }),
    ),
});

Deno.test("reporter sqlite - the worker store reports errors as their own classes", async () => {
  const path = `${tempDir}/worker-errors.sqlite`;
  const store = new WorkerReportStore({ url: `sqlite:${path}`, history: false, busyTimeoutMs: 0 });
  const blocker = new DatabaseSync(path);
  try {
    await store.init();
    await assert.rejects(store.listHistory(), TypeError);
    await assert.rejects(store.upsertStatus([{ ...row, port: 0 }]), RangeError);
    blocker.exec("BEGIN EXCLUSIVE");
    await assert.rejects(store.upsertStatus([row]), StoreError);
    blocker.exec("COMMIT");
    await store.upsertStatus([row, { ...row, ip: 0xFFFFFFFF, overload: true, ts: 2 ** 40 }]);
    assert.deepEqual(await store.listStatus(), [row, {
      ...row,
      ip: 0xFFFFFFFF,
      overload: true,
      ts: 2 ** 40,
    }]);
  } finally {
    if (blocker.isTransaction) blocker.exec("ROLLBACK");
    blocker.close();
    await store.close();
  }
});

Deno.test("reporter sqlite - a locked database is retried; down and back are logged once", async () => {
  const path = `${tempDir}/locked.sqlite`;
  const store = new SqliteReportStore(path, { busyTimeoutMs: 0 });
  await store.init();
  const log = memoryLogger();
  const service = new ReportService({
    store,
    transport: denoTransport,
    port: 0,
    writers: 1,
    flushMs: 0,
    retryMaxMs: 20,
    log,
  });
  const blocker = new DatabaseSync(path);
  try {
    service.start();
    blocker.exec("BEGIN EXCLUSIVE");
    service.submit(report(1, 100, [{ succ: 1 }, { succ: 2 }]));
    await waitFor(() => service.counters.get("retries") >= 3, "three failed attempts");
    service.submit(report(1, 101, [{ succ: 3 }])); // newer, queued while the batch is out
    service.submit(report(2, 100, [{ err: 4 }]));
    blocker.exec("COMMIT");
    await service.flush();
    const rows = await store.listStatus();
    assert.deepEqual(rows.map((r) => [r.modid, r.ip, r.succ, r.err, r.ts]), [
      [1, 0x0A000001, 3, 0, 101],
      [1, 0x0A000002, 2, 0, 100],
      [2, 0x0A000001, 0, 4, 100],
    ]);
    const down = log.lines.filter((l) => l.startsWith("warn cannot write reports"));
    const back = log.lines.filter((l) => l.startsWith("info database reachable again"));
    assert.equal(down.length, 1, log.lines.join("\n"));
    assert.equal(back.length, 1, log.lines.join("\n"));
    assert.equal(service.counters.get("dropped"), 0);
  } finally {
    if (blocker.isTransaction) blocker.exec("ROLLBACK");
    blocker.close();
    await service.stop();
    await store.close();
  }
});

Deno.test("reporter sqlite - a full queue drops the oldest keys and counts them", async () => {
  const store = new SqliteReportStore(`${tempDir}/full.sqlite`, {});
  await withService(
    { name: "sqlite", unavailable: null, writers: 1, freshStore: () => Promise.resolve(store) },
    { queueMax: 1000, flushMs: 60_000, batchRows: 10_000 },
    async (service) => {
      for (let m = 1; m <= 1200; m++) service.submit(report(m, 100, [{ succ: m }]));
      assert.equal(service.queueStats().queued, 1000);
      assert.equal(service.counters.get("dropped"), 200);
      await service.flush();
      const rows = await store.listStatus();
      assert.equal(rows.length, 1000);
      assert.equal(rows[0].modid, 201);
    },
  );
});

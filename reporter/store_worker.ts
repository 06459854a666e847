/**
 * Worker side of the store worker: the entry of the Web Worker that owns the
 * report store and runs the calls `WorkerReportStore` (the main isolate side,
 * `store_worker_client.ts`) forwards to it, concurrently (one per
 * writer, each on its own pooled MySQL connection). Its event loop does
 * nothing else, so database round trips are not held up by the main isolate
 * reading and decoding reports.
 *
 * @module
 */
import { WorkerChannel, workerScope } from "../reactor/worker_channel.ts";
import type { ReportStore } from "../store/types.ts";
import { createReportStore } from "../store/url.ts";
import {
  packHistory,
  packStatus,
  type StoreReply,
  type StoreRequest,
  type StoreWorkerOpen,
  unpackHistory,
  unpackStatus,
} from "./store_worker_protocol.ts";

const channel = new WorkerChannel<StoreReply, StoreRequest>(workerScope(), {
  flushOn: "microtask",
});
let options: StoreWorkerOpen | null = null;
let store: ReportStore | null = null;

/** The store, opened on first use (again after a failed open, e.g. an unreadable file). */
async function opened(): Promise<ReportStore> {
  if (options === null) throw new Error("Store worker: no store is open");
  if (store === null) {
    const create: typeof createReportStore = options.storeModule
      ? (await import(options.storeModule)).createReportStore
      : createReportStore;
    store = create(options.url, options);
  }
  return store;
}

async function run(request: StoreRequest): Promise<Float64Array | undefined> {
  switch (request.op) {
    case "open":
      options = request.open;
      return undefined;
    case "init":
      return void await (await opened()).init();
    case "close":
      await store?.close();
      store = null;
      options = null;
      return undefined;
    case "upsertStatus":
      return void await (await opened()).upsertStatus(unpackStatus(request.rows));
    case "addHistory":
      return void await (await opened()).addHistory(unpackHistory(request.rows));
    case "listStatus":
      return packStatus(await (await opened()).listStatus(request.filter));
    case "listHistory":
      return packHistory(await (await opened()).listHistory(request.filter));
  }
}

channel.onMessage((request) => {
  run(request).then(
    (rows) => channel.send({ id: request.id, ok: true, rows }),
    (err) => {
      const error = err instanceof Error
        ? { name: err.name, message: err.message }
        : { name: "Error", message: String(err) };
      channel.send({ id: request.id, ok: false, error });
    },
  );
});

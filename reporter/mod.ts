/**
 * The Lars report service: accepts ReportStatusRequest frames over TCP and
 * stores the newest call statistics per `(modid, cmdid, ip, port, caller)` in
 * `ServerCallStatus`, coalescing them in a bounded queue and writing multi-row
 * upserts in one transaction per batch; optionally per-minute sums in
 * `ServerCallHistory`. `main.ts` is the entrypoint.
 *
 * A report's path, file by file (main isolate, then the store worker):
 * `report_service.ts` (TCP frame handler) → `ingest.ts` (frame to checked
 * rows) → `write_queue.ts` (coalesced per key; `history.ts` adds per-minute
 * deltas) → `report_writer.ts` (batched transactions, retries) →
 * `store_worker_client.ts` | worker boundary (`store_worker_protocol.ts`) |
 * `store_worker.ts` → `../store/` (the SQL).
 *
 * @example
 * ```ts
 * import { ReportService } from "./mod.ts";
 * import { denoTransport } from "../reactor/transport_deno.ts";
 * import { openReportStore } from "../store/url.ts";
 *
 * const store = await openReportStore("sqlite::memory:");
 * const service = new ReportService({ store, transport: denoTransport, port: 0, writers: 1 });
 * service.start();
 * service.submit({
 *   modid: 1, cmdid: 2, caller: 0x7F000001, ts: 1_700_000_000,
 *   results: [{ ip: 0x0A000001, port: 9000, succ: 10, err: 1, overload: false }],
 * });
 * await service.flush();
 * console.log((await store.listStatus()).length); // 1
 * await service.stop();
 * await store.close();
 * ```
 *
 * @module
 */
export {
  createReporterStore,
  type CreateReporterStoreOptions,
  readReporterSettings,
  REPORTER_SECTIONS,
  type ReporterSettings,
  type ReporterStore,
} from "./config.ts";
export {
  REPORTER_COUNTER_NAMES,
  type ReporterCounterName,
  type ReporterCounters,
} from "./counters.ts";
export {
  type ReportQueueStats,
  ReportService,
  type ReportServiceOptions,
  type ReportServiceStopOptions,
} from "./report_service.ts";
export { WorkerReportStore } from "./store_worker_client.ts";
export type { StoreWorkerOpen } from "./store_worker_protocol.ts";
export { reporterAdmin, reporterReadiness } from "./reporter_admin.ts";

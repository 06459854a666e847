/**
 * The Lars report service: accepts ReportStatusRequest frames over TCP and
 * stores the newest call statistics per `(modid, cmdid, ip, port, caller)` in
 * `ServerCallStatus`, coalescing them in a bounded queue and writing multi-row
 * upserts in one transaction per batch; optionally per-minute sums in
 * `ServerCallHistory`. `main.ts` is the entrypoint.
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
export * from "./counters.ts";
export * from "./config.ts";
export * from "./history.ts";
export * from "./ingest.ts";
export * from "./report_service.ts";
export * from "./report_writer.ts";
export * from "./store_link.ts";
export type { StoreWorkerOpen } from "./store_protocol.ts";
export * from "./worker_store.ts";
export * from "./write_queue.ts";

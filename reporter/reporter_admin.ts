/**
 * What the report service shows on its admin endpoint: its metrics (read from
 * the counters and queues it keeps) and its readiness (the store is reachable).
 *
 * @module
 */
import type { AdminContent, Readiness } from "../reactor/admin_server.ts";
import {
  createMetricsRegistry,
  defineMetric,
  defineNetMetrics,
  type MetricsRegistry,
} from "../reactor/metrics.ts";
import type { ReporterCounterName } from "./counters.ts";
import type { ReportService } from "./report_service.ts";

/** An idle reporter checks its store when asked after this long without a write. */
const STORE_PROBE_MS = 5_000;

/** Counter metrics: name, meaning and the {@linkcode ReporterCounterName} they read. */
const COUNTERS: readonly [string, string, ReporterCounterName][] = [
  ["lars_reporter_reports_total", "ReportStatusRequest frames handled.", "reports"],
  ["lars_reporter_results_total", "Host results in those frames.", "results"],
  [
    "lars_reporter_invalid_results_total",
    "Results dropped because a field does not fit its column.",
    "invalidResults",
  ],
  [
    "lars_reporter_clock_fixes_total",
    "Results whose ts was 0 and got the reporter's clock.",
    "clockFixes",
  ],
  [
    "lars_reporter_future_reports_total",
    "Reports rejected because their ts is more than max_future_skew ahead of the clock.",
    "futureReports",
  ],
  [
    "lars_reporter_coalesced_total",
    "Queued snapshots superseded by a newer one for the same key.",
    "coalesced",
  ],
  [
    "lars_reporter_dropped_total",
    "Queued snapshots dropped because the queue was full.",
    "dropped",
  ],
  ["lars_reporter_rows_written_total", "ServerCallStatus rows committed.", "rowsWritten"],
  ["lars_reporter_batches_total", "Status write transactions committed.", "batches"],
  ["lars_reporter_retries_total", "Failed write attempts, retried with backoff.", "retries"],
  ["lars_reporter_rejected_total", "Rows the store refused as invalid (dropped).", "rejected"],
  [
    "lars_reporter_history_rows_written_total",
    "ServerCallHistory rows added.",
    "historyRowsWritten",
  ],
  [
    "lars_reporter_history_dropped_total",
    "Per-minute history sums dropped because the history queue was full.",
    "historyDropped",
  ],
];

/** The report service's admin endpoint content: its metrics and readiness. */
export function reporterAdmin(service: ReportService): AdminContent {
  const registry = createMetricsRegistry();
  defineReporterMetrics(registry, service);
  return { registry, readiness: () => reporterReadiness(service) };
}

/** Registers the report service's counters and gauges, read at scrape time. */
export function defineReporterMetrics(registry: MetricsRegistry, service: ReportService): void {
  for (const [name, help, key] of COUNTERS) {
    defineMetric(registry, { type: "counter", name, help, read: () => service.counters.get(key) });
  }
  const gauge = (name: string, help: string, read: () => number) =>
    defineMetric(registry, { type: "gauge", name, help, read });
  gauge(
    "lars_reporter_queue_keys",
    "Status keys queued for writing.",
    () => service.queueStats().queued,
  );
  gauge(
    "lars_reporter_history_queue_keys",
    "History (key, minute) sums queued.",
    () => service.queueStats().historyQueued,
  );
  gauge(
    "lars_reporter_in_flight_rows",
    "Status rows being written right now.",
    () => service.queueStats().inFlight,
  );
  gauge(
    "lars_reporter_queue_oldest_age_seconds",
    "Age of the oldest queued key: how far writing lags behind.",
    () => service.queueStats().oldestAgeMs / 1000,
  );
  defineMetric(registry, {
    type: "gauge",
    name: "lars_reporter_store_up",
    help: "1 when the store was reachable at the last attempt (probed when idle for 5 s), else 0.",
    read: async () => (await service.storeStatus(STORE_PROBE_MS)).reachable ? 1 : 0,
  });
  gauge(
    "lars_reporter_connections",
    "Open agent connections.",
    () => service.server.connections.size,
  );
  defineNetMetrics(
    registry,
    () => [{ endpoint: "reporter", values: service.server.counters.snapshot() }],
  );
}

/** Ready when the store was reachable at the last attempt, probed when idle for 5 s. */
export async function reporterReadiness(service: ReportService): Promise<Readiness> {
  const { reachable, detail } = await service.storeStatus(STORE_PROBE_MS);
  return { store: { ok: reachable, detail } };
}

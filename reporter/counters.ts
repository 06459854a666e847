/**
 * The report service's own counters (beside the TCP server's network counters).
 *
 * @module
 */
import { Counters } from "../reactor/counters.ts";

/** Names of the report service's counters; see {@linkcode ReporterCounters}. */
export const REPORTER_COUNTER_NAMES = [
  /** ReportStatusRequest frames handled. */
  "reports",
  /** Host results inside them. */
  "results",
  /** Results dropped because a field does not fit its column (port, succ, err). */
  "invalidResults",
  /** Results whose `ts` was 0 and got the reporter's clock instead. */
  "clockFixes",
  /** Reports rejected whole because their `ts` is past `max_future_skew` ahead of the clock. */
  "futureReports",
  /** Snapshots superseded while queued: by a newer one for the same key, or older than it. */
  "coalesced",
  /** Queued snapshots dropped, oldest first, because the queue was full. */
  "dropped",
  /** `ServerCallStatus` rows written (committed). */
  "rowsWritten",
  /** Committed status write transactions. */
  "batches",
  /** Failed write attempts whose rows went back into the queue, to be retried. */
  "retries",
  /** Rows discarded because the store rejected them as invalid (not retryable). */
  "rejected",
  /** `ServerCallHistory` rows added (committed). */
  "historyRowsWritten",
  /** Per-minute history sums dropped, oldest first, because the history queue was full. */
  "historyDropped",
] as const;

/** One of {@linkcode REPORTER_COUNTER_NAMES}. */
export type ReporterCounterName = typeof REPORTER_COUNTER_NAMES[number];

/**
 * Counters of the report service:
 * - `reports`, `results`: ReportStatusRequest frames handled and the host results in them;
 * - `invalidResults`: results dropped because a field does not fit its column;
 * - `clockFixes`: results whose `ts` was 0 and got the reporter's clock;
 * - `futureReports`: reports rejected for a `ts` more than `max_future_skew` ahead;
 * - `coalesced`: queued snapshots superseded by a newer one for the same key;
 * - `dropped`: queued snapshots dropped because the queue was full (oldest first);
 * - `rowsWritten`, `batches`: status rows and transactions committed;
 * - `retries`: failed write attempts (rows re-queued, retried with backoff);
 * - `rejected`: rows the store refused as invalid (dropped, logged);
 * - `historyRowsWritten`, `historyDropped`: per-minute history sums written and dropped.
 */
export type ReporterCounters = Counters<ReporterCounterName>;

/** New report service counters, all zero. */
export function createReporterCounters(): ReporterCounters {
  return new Counters(REPORTER_COUNTER_NAMES);
}

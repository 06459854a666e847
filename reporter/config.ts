/**
 * Reads the report service's settings from `lars_reporter.conf`: the
 * original's `[reactor]`, `[mysql]` and `[repoter] db_thread_cnt` (the shipped
 * file's spelling; `[reporter]` is read first), plus our `[store] url` and
 * `[reporter]` keys `history`, `flush_ms`, `batch_rows`, `queue_max`; and opens
 * the store without touching the database yet.
 *
 * @module
 */
import type { Config } from "../reactor/config.ts";
import { readServerLimits, type ServerLimits } from "../reactor/server_settings.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import type { ReportStore } from "../store/types.ts";
import { createReportStore, parseStoreUrl } from "../store/url.ts";
import { WorkerReportStore } from "./store_worker_client.ts";

/** The section names of the reporter's own keys, in lookup order. */
export const REPORTER_SECTIONS: readonly string[] = ["reporter", "repoter"];

/** Settings of the report service. */
export interface ReporterSettings extends ServerLimits {
  /** Listen address (`[reactor] ip`). */
  hostname: string;
  /** Listen port (`[reactor] port`). */
  port: number;
  /** Store URL (`[store] url`, else built from `[mysql]`). */
  storeUrl: string;
  /** Parallel database writers (`[reporter]`/`[repoter] db_thread_cnt`, 1..64). */
  dbThreadCnt: number;
  /** Keep per-minute `ServerCallHistory` (`[reporter] history`). */
  history: boolean;
  /** Flush window in ms (`[reporter] flush_ms`, 0..60000). */
  flushMs: number;
  /** Most rows per write transaction (`[reporter] batch_rows`, 1..10000). */
  batchRows: number;
  /** Most distinct keys queued (`[reporter] queue_max`, 1000..10000000). */
  queueMax: number;
  /** Seconds a report's `ts` may be ahead of the clock (`[reporter] max_future_skew`, 0..86400). */
  maxFutureSkew: number;
  /** Store the peer address as `caller` (`[reporter] caller_from_peer`). */
  callerFromPeer: boolean;
}

/**
 * Reads and checks the settings. Defaults: `ip 127.0.0.1`, `port 7779`,
 * `maxConn 1024`, `db_thread_cnt 3`, `history false`, `flush_ms 50`,
 * `batch_rows 1000`, `queue_max 100000`, `max_future_skew 300`,
 * `caller_from_peer false`, and the `[reactor]` limits of {@linkcode readServerLimits}.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function readReporterSettings(config: Config): ReporterSettings {
  const s = REPORTER_SECTIONS;
  return {
    hostname: config.ipv4("reactor", "ip", "127.0.0.1"),
    port: config.listenPort("reactor", "port", 7779),
    ...readServerLimits(config),
    storeUrl: storeUrlFromConfig(config),
    dbThreadCnt: config.int(s, "db_thread_cnt", 3, { min: 1, max: 64 }),
    history: config.bool(s, "history", false),
    flushMs: config.int(s, "flush_ms", 50, { min: 0, max: 60_000 }),
    batchRows: config.int(s, "batch_rows", 1000, { min: 1, max: 10_000 }),
    queueMax: config.int(s, "queue_max", 100_000, { min: 1000, max: 10_000_000 }),
    maxFutureSkew: config.int(s, "max_future_skew", 300, { min: 0, max: 86_400 }),
    callerFromPeer: config.bool(s, "caller_from_peer", false),
  };
}

/** A report store not yet initialised, and how many writers suit it. */
export interface ReporterStore {
  /** The store; the service calls `init()` (and retries it while the database is down). */
  store: ReportStore;
  /**
   * Writers to run: `dbThreadCnt` (for MySQL one pooled connection each; for
   * SQLite in the worker they share its one connection, and overlap their
   * round trips to the worker), or 1 for SQLite on the calling isolate (its
   * writes are synchronous).
   */
  writers: number;
  /** `"sqlite"` or `"mysql"`. */
  kind: "sqlite" | "mysql";
}

/** Options of {@linkcode createReporterStore}. */
export interface CreateReporterStoreOptions {
  /**
   * Run the store in a Web Worker ({@linkcode WorkerReportStore}) instead of
   * on the calling isolate.
   * @default true
   */
  worker?: boolean;
}

/**
 * Creates the store of `settings` without connecting: a MySQL pool of
 * `dbThreadCnt` connections (opened on first use), or the SQLite file; in a
 * Web Worker unless `options.worker` is false.
 *
 * @throws {TypeError} on a bad store URL
 * @throws {StoreError} when the SQLite file cannot be opened (not in a worker)
 */
export function createReporterStore(
  settings: ReporterSettings,
  options: CreateReporterStoreOptions = {},
): ReporterStore {
  const kind = parseStoreUrl(settings.storeUrl).kind;
  const worker = options.worker ?? true;
  const writers = kind === "sqlite" && !worker ? 1 : settings.dbThreadCnt;
  const open = {
    url: settings.storeUrl,
    history: settings.history,
    connectionLimit: writers,
  };
  const store = worker ? new WorkerReportStore(open) : createReportStore(open.url, open);
  return { store, writers, kind };
}

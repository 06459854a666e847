/**
 * Creates a report store from its URL without touching the database (no
 * `init()`), so the report service can start while the database is down.
 *
 * @module
 */
import { MysqlReportStore } from "../store/mysql.ts";
import { SqliteReportStore } from "../store/sqlite.ts";
import type { ReportStore } from "../store/types.ts";
import { parseStoreUrl } from "../store/url.ts";

/** Options of {@linkcode newReportStore}; each store kind reads its own. */
export interface NewReportStoreOptions {
  /**
   * Create and write `ServerCallHistory`.
   * @default false
   */
  history?: boolean;
  /**
   * MySQL: most pooled connections.
   * @default 4
   */
  connectionLimit?: number;
  /**
   * MySQL: how long opening one connection may take, in ms.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * SQLite: how long a write waits for another connection's lock, in ms.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/**
 * A report store for `url`, not yet initialised; MySQL opens connections on
 * first use.
 *
 * @throws {TypeError} on a bad store URL
 * @throws {StoreError} when the SQLite file cannot be opened
 */
export function newReportStore(
  url: string,
  options: NewReportStoreOptions = {},
): { store: ReportStore; kind: "sqlite" | "mysql" } {
  const location = parseStoreUrl(url);
  if (location.kind === "sqlite") {
    const store = new SqliteReportStore(location.path, {
      history: options.history,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    return { store, kind: "sqlite" };
  }
  const store = new MysqlReportStore(location.config, {
    history: options.history,
    connectionLimit: options.connectionLimit,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  return { store, kind: "mysql" };
}

/**
 * `ReportStore` on a driver: each method runs one operation of
 * `report_ops.ts`. `SqliteReportStore` and `MysqlReportStore` are this store
 * on the SQLite and the MySQL driver.
 *
 * @module
 */

import { type MysqlConnectionConfig, MysqlDriver, type MysqlStoreOptions } from "./mysql.ts";
import type { Driver } from "./operation.ts";
import { addHistory, initReports, listHistory, listStatus, upsertStatus } from "./report_ops.ts";
import { SqliteDriver, type SqliteStoreOptions } from "./sqlite.ts";
import type {
  HistoryFilter,
  HistoryRow,
  ReportStore,
  ReportStoreOptions,
  RouteFilter,
  StatusRow,
} from "./types.ts";

/** A `ReportStore` whose operations run on `driver`. */
export class DriverReportStore implements ReportStore {
  readonly #driver: Driver;
  readonly #history: boolean;

  /** Uses `driver` (and closes it on `close()`). */
  constructor(driver: Driver, options: ReportStoreOptions = {}) {
    this.#driver = driver;
    this.#history = options.history ?? false;
  }

  /** Creates `ServerCallStatus` (and `ServerCallHistory` with `history`) when missing. */
  init(): Promise<void> {
    return this.#driver.perform(initReports, this.#history);
  }

  /** Upserts `rows` in one transaction with multi-row statements, in key order. */
  upsertStatus(rows: readonly StatusRow[]): Promise<void> {
    return this.#driver.perform(upsertStatus, rows);
  }

  /** Adds `rows` to the per-minute sums in one transaction. */
  addHistory(rows: readonly HistoryRow[]): Promise<void> {
    return this.#driver.perform(addHistory, this.#history, rows);
  }

  /** `ServerCallStatus` rows ordered by key, optionally filtered. */
  listStatus(filter: RouteFilter = {}): Promise<StatusRow[]> {
    return this.#driver.perform(listStatus, filter);
  }

  /** `ServerCallHistory` rows ordered by key and minute, optionally filtered. */
  listHistory(filter: HistoryFilter = {}): Promise<HistoryRow[]> {
    return this.#driver.perform(listHistory, this.#history, filter);
  }

  /** Releases the connection(s). */
  close(): Promise<void> {
    return this.#driver.close();
  }
}

/** `ReportStore` on a SQLite file (or `:memory:`). */
export class SqliteReportStore extends DriverReportStore {
  /**
   * Opens (creating the file, mode 0600, and its directory when missing) the
   * database at `path`; call `init()` before use.
   * @throws {StoreError} when the file cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions & ReportStoreOptions = {}) {
    super(new SqliteDriver(path, options), options);
  }
}

/** `ReportStore` on MySQL/MariaDB. */
export class MysqlReportStore extends DriverReportStore {
  /** Creates the pool (no connection yet); call `init()` before use. */
  constructor(
    config: MysqlConnectionConfig,
    options: MysqlStoreOptions & ReportStoreOptions = {},
  ) {
    super(new MysqlDriver(config, options), options);
  }
}

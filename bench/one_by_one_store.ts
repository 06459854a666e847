/**
 * The report benchmark's baseline: a `ReportStore` whose `upsertStatus` writes
 * one autocommitted statement per row, as the original Lars did. Only
 * `bench/reporter_load.ts` uses it (inline, or in the store worker through
 * `StoreWorkerOpen.storeModule`); the service always writes multi-row batches.
 *
 * @module
 */
import { checkStatusRow } from "../store/checks.ts";
import { MysqlDriver } from "../store/mysql.ts";
import { defineOperation, type Dialect, run, type SqlParam } from "../store/operation.ts";
import { pushStatusParams, statusUpsertSql } from "../store/report_ops.ts";
import { DriverReportStore } from "../store/report_store.ts";
import { SqliteDriver } from "../store/sqlite.ts";
import type { ReportStore, ReportStoreOptions, StatusRow } from "../store/types.ts";
import { type OpenStoreOptions, parseStoreUrl } from "../store/url.ts";
import type { Driver } from "../store/operation.ts";

/** Upserts status rows one autocommitted statement each (no transaction). */
export const upsertStatusOneByOne = defineOperation({
  name: "upsertStatusOneByOne",
  transaction: false,
  check: (rows: readonly StatusRow[]) => rows.forEach(checkStatusRow),
  *steps(dialect: Dialect, rows: readonly StatusRow[]) {
    const sql = statusUpsertSql(dialect, 1);
    for (const row of rows) {
      const params: SqlParam[] = [];
      pushStatusParams(params, [row]);
      yield* run(sql, params);
    }
  },
});

class _OneByOneReportStore extends DriverReportStore {
  readonly #driver: Driver;

  constructor(driver: Driver, options: ReportStoreOptions) {
    super(driver, options);
    this.#driver = driver;
  }

  override upsertStatus(rows: readonly StatusRow[]): Promise<void> {
    return this.#driver.perform(upsertStatusOneByOne, rows);
  }
}

/** Like `store/url.ts`'s `createReportStore`, with one statement per status row. */
export function createReportStore(
  url: string,
  options: OpenStoreOptions & ReportStoreOptions = {},
): ReportStore {
  const location = parseStoreUrl(url);
  const driver = location.kind === "sqlite"
    ? new SqliteDriver(location.path, options)
    : new MysqlDriver(location.config, options);
  return new _OneByOneReportStore(driver, options);
}

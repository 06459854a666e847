/**
 * `ReportStore` on MySQL/MariaDB: status batches as multi-row upserts in one
 * transaction, cut into a few fixed chunk sizes so each connection caches only
 * a few prepared statements.
 *
 * @module
 */

import {
  type MysqlConnectionConfig,
  MysqlDb,
  type MysqlExecutor,
  type MysqlParam,
  type MysqlRow,
  type MysqlStoreOptions,
} from "./mysql_db.ts";
import {
  chunkedStatements,
  HISTORY_SCHEMA,
  historyAddSql,
  listHistoryQuery,
  listStatusQuery,
  pushHistoryParams,
  pushStatusParams,
  STATUS_SCHEMA,
  statusUpsertSql,
} from "./schema.ts";
import {
  checkCallFilter,
  checkHistoryRow,
  checkStatusRow,
  type HistoryRow,
  type ReportStore,
  type ReportStoreOptions,
  type RouteFilter,
  type StatusRow,
} from "./types.ts";

interface _CallKeyRow extends MysqlRow {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  caller: number;
}

interface _StatusDataRow extends _CallKeyRow {
  succ_cnt: number;
  err_cnt: number;
  ts: number;
  overload: string;
}

interface _HistoryDataRow extends _CallKeyRow {
  minute: number;
  succ_sum: number;
  err_sum: number;
}

/** Orders rows by primary key (stable, so the later of two equal keys stays later). */
function _byKey<T extends StatusRow | HistoryRow>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) =>
    a.modid - b.modid || a.cmdid - b.cmdid || a.ip - b.ip || a.port - b.port ||
    a.caller - b.caller
  );
}

/** Runs {@linkcode chunkedStatements} of `rows` inside the transaction `tx`. */
async function _runChunks<T>(
  tx: MysqlExecutor,
  rows: readonly T[],
  sqlFor: (size: number) => string,
  push: (params: MysqlParam[], chunk: readonly T[]) => void,
): Promise<void> {
  for (const { sql, params } of chunkedStatements(rows, sqlFor, push)) await tx.run(sql, params);
}

/** `ReportStore` on MySQL/MariaDB. */
export class MysqlReportStore implements ReportStore {
  readonly #db: MysqlDb;
  readonly #history: boolean;

  /** Creates the pool (no connection yet); call `init()` before use. */
  constructor(
    config: MysqlConnectionConfig,
    options: MysqlStoreOptions & ReportStoreOptions = {},
  ) {
    this.#db = new MysqlDb(config, options);
    this.#history = options.history ?? false;
  }

  /** Creates `ServerCallStatus` (and `ServerCallHistory` with `history`) when missing. */
  init(): Promise<void> {
    return this.#db.exec("init", [
      ...STATUS_SCHEMA.mysql,
      ...(this.#history ? HISTORY_SCHEMA.mysql : []),
    ]);
  }

  /**
   * Upserts `rows` in one transaction with multi-row statements, in key order
   * (so concurrent writers lock rows in the same order and do not deadlock).
   */
  async upsertStatus(rows: readonly StatusRow[]): Promise<void> {
    rows.forEach(checkStatusRow);
    if (rows.length === 0) return;
    const sorted = _byKey(rows);
    await this.#db.transaction(
      "upsertStatus",
      (tx) => _runChunks(tx, sorted, (size) => statusUpsertSql("mysql", size), pushStatusParams),
    );
  }

  /** Upserts `rows` one autocommitted statement at a time (the benchmark baseline). */
  async upsertStatusOneByOne(rows: readonly StatusRow[]): Promise<void> {
    rows.forEach(checkStatusRow);
    if (rows.length === 0) return;
    const sql = statusUpsertSql("mysql", 1);
    await this.#db.withConnection("upsertStatusOneByOne", async (db) => {
      for (const row of rows) {
        const params: MysqlParam[] = [];
        pushStatusParams(params, [row]);
        await db.run(sql, params);
      }
    });
  }

  /** Adds `rows` to the per-minute sums in one transaction. */
  async addHistory(rows: readonly HistoryRow[]): Promise<void> {
    if (!this.#history) throw new TypeError("Cannot add history: store opened without history");
    rows.forEach(checkHistoryRow);
    if (rows.length === 0) return;
    const sorted = _byKey(rows);
    await this.#db.transaction(
      "addHistory",
      (tx) => _runChunks(tx, sorted, (size) => historyAddSql("mysql", size), pushHistoryParams),
    );
  }

  /** `ServerCallStatus` rows ordered by key, optionally filtered. */
  async listStatus(filter: RouteFilter = {}): Promise<StatusRow[]> {
    checkCallFilter(filter);
    const { sql, params } = listStatusQuery(filter);
    const rows = await this.#db.call("listStatus", (db) => db.rows<_StatusDataRow>(sql, params));
    return rows.map((row) => ({
      modid: Number(row.modid),
      cmdid: Number(row.cmdid),
      ip: Number(row.ip),
      port: Number(row.port),
      caller: Number(row.caller),
      succ: Number(row.succ_cnt),
      err: Number(row.err_cnt),
      ts: Number(row.ts),
      overload: row.overload === "1",
    }));
  }

  /** `ServerCallHistory` rows ordered by key and minute, optionally filtered. */
  async listHistory(filter: RouteFilter = {}): Promise<HistoryRow[]> {
    if (!this.#history) throw new TypeError("Cannot list history: store opened without history");
    checkCallFilter(filter);
    const { sql, params } = listHistoryQuery(filter);
    const rows = await this.#db.call("listHistory", (db) => db.rows<_HistoryDataRow>(sql, params));
    return rows.map((row) => ({
      modid: Number(row.modid),
      cmdid: Number(row.cmdid),
      ip: Number(row.ip),
      port: Number(row.port),
      caller: Number(row.caller),
      minute: Number(row.minute),
      succ: Number(row.succ_sum),
      err: Number(row.err_sum),
    }));
  }

  /** Ends the pool. */
  close(): Promise<void> {
    return this.#db.close();
  }
}

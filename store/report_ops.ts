/**
 * Report operations, each written once for both drivers: status batches as
 * multi-row upserts in one transaction (rows in key order, so concurrent
 * writers lock rows in the same order and never deadlock), per-minute history
 * sums, and the listings.
 *
 * @module
 */

import { checkCallFilter, checkHistoryRow, checkStatusRow } from "./checks.ts";
import {
  defineOperation,
  type Dialect,
  exec,
  intOf,
  placeholderRows,
  query,
  runChunked,
  type SqlParam,
  type SqlRow,
  whereOf,
} from "./operation.ts";
import { HISTORY_SCHEMA, STATUS_SCHEMA } from "./schema.ts";
import type { FleetHostRow, HistoryFilter, HistoryRow, RouteFilter, StatusRow } from "./types.ts";

/** Columns of a multi-row `ServerCallStatus` insert, in placeholder order. */
export const STATUS_COLUMNS = "modid, cmdid, ip, port, caller, succ_cnt, err_cnt, ts, overload";
/** Columns of a multi-row `ServerCallHistory` insert, in placeholder order. */
export const HISTORY_COLUMNS = "modid, cmdid, ip, port, caller, minute, succ_sum, err_sum";

/** Appends the placeholder values of `rows` to `params`, in `STATUS_COLUMNS` order. */
export function pushStatusParams(params: SqlParam[], rows: readonly StatusRow[]): void {
  for (const r of rows) {
    params.push(
      r.modid,
      r.cmdid,
      r.ip,
      r.port,
      r.caller,
      r.succ,
      r.err,
      r.ts,
      r.overload ? "1" : "0",
    );
  }
}

/** Appends the placeholder values of `rows` to `params`, in `HISTORY_COLUMNS` order. */
export function pushHistoryParams(params: SqlParam[], rows: readonly HistoryRow[]): void {
  for (const r of rows) {
    params.push(r.modid, r.cmdid, r.ip, r.port, r.caller, r.minute, r.succ, r.err);
  }
}

/** The multi-row upsert of `ServerCallStatus`: newest `ts` wins, later row on a tie. */
export function statusUpsertSql(dialect: Dialect, rows: number): string {
  const values = placeholderRows(rows, 9);
  if (dialect === "mysql") {
    // Assignments run left to right: `ts` must come last so the guards see the old value.
    const newer = "VALUES(ts) >= ts";
    return `INSERT INTO ServerCallStatus (${STATUS_COLUMNS}) VALUES ${values}
      ON DUPLICATE KEY UPDATE
        succ_cnt = IF(${newer}, VALUES(succ_cnt), succ_cnt),
        err_cnt = IF(${newer}, VALUES(err_cnt), err_cnt),
        overload = IF(${newer}, VALUES(overload), overload),
        ts = GREATEST(ts, VALUES(ts))`;
  }
  return `INSERT INTO ServerCallStatus (${STATUS_COLUMNS}) VALUES ${values}
    ON CONFLICT (modid, cmdid, ip, port, caller) DO UPDATE SET
      succ_cnt = excluded.succ_cnt, err_cnt = excluded.err_cnt,
      overload = excluded.overload, ts = excluded.ts
    WHERE excluded.ts >= ServerCallStatus.ts`;
}

/** The multi-row insert of `ServerCallHistory` that adds to existing sums. */
export function historyAddSql(dialect: Dialect, rows: number): string {
  const values = placeholderRows(rows, 8);
  if (dialect === "mysql") {
    return `INSERT INTO ServerCallHistory (${HISTORY_COLUMNS}) VALUES ${values}
      ON DUPLICATE KEY UPDATE
        succ_sum = succ_sum + VALUES(succ_sum), err_sum = err_sum + VALUES(err_sum)`;
  }
  return `INSERT INTO ServerCallHistory (${HISTORY_COLUMNS}) VALUES ${values}
    ON CONFLICT (modid, cmdid, ip, port, caller, minute) DO UPDATE SET
      succ_sum = succ_sum + excluded.succ_sum, err_sum = err_sum + excluded.err_sum`;
}

/** Orders rows by primary key (stable, so the later of two equal keys stays later). */
function _byKey<T extends StatusRow | HistoryRow>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) =>
    a.modid - b.modid || a.cmdid - b.cmdid || a.ip - b.ip || a.port - b.port ||
    a.caller - b.caller
  );
}

function _checkHistoryEnabled(history: boolean, what: string): void {
  if (!history) throw new TypeError(`Cannot ${what} history: store opened without history`);
}

/** Creates `ServerCallStatus` (and `ServerCallHistory` with `history`) when missing. */
export const initReports = defineOperation({
  name: "init",
  transaction: false,
  *steps(dialect: Dialect, history: boolean) {
    for (const sql of STATUS_SCHEMA[dialect]) yield* exec(sql);
    if (history) { for (const sql of HISTORY_SCHEMA[dialect]) yield* exec(sql); }
  },
});

/** Upserts status rows in one transaction; see `ReportStore.upsertStatus`. */
export const upsertStatus = defineOperation({
  name: "upsertStatus",
  transaction: true,
  check: (rows: readonly StatusRow[]) => rows.forEach(checkStatusRow),
  *steps(dialect: Dialect, rows: readonly StatusRow[]) {
    const sqlFor = (size: number) => statusUpsertSql(dialect, size);
    yield* runChunked(_byKey(rows), sqlFor, pushStatusParams);
  },
});

/** Adds to the per-minute sums in one transaction; see `ReportStore.addHistory`. */
export const addHistory = defineOperation({
  name: "addHistory",
  transaction: true,
  check(history: boolean, rows: readonly HistoryRow[]) {
    _checkHistoryEnabled(history, "add");
    rows.forEach(checkHistoryRow);
  },
  *steps(dialect: Dialect, _history: boolean, rows: readonly HistoryRow[]) {
    const sqlFor = (size: number) => historyAddSql(dialect, size);
    yield* runChunked(_byKey(rows), sqlFor, pushHistoryParams);
  },
});

function _callKey(row: SqlRow) {
  return {
    modid: intOf(row, "modid"),
    cmdid: intOf(row, "cmdid"),
    ip: intOf(row, "ip"),
    port: intOf(row, "port"),
    caller: intOf(row, "caller"),
  };
}

/** `ServerCallStatus` rows ordered by key; see `ReportStore.listStatus`. */
export const listStatus = defineOperation({
  name: "listStatus",
  transaction: false,
  check: (filter: RouteFilter) => checkCallFilter(filter),
  *steps(_dialect: Dialect, filter: RouteFilter) {
    const { where, params } = whereOf({ modid: filter.modid, cmdid: filter.cmdid });
    const rows = yield* query(
      `SELECT ${STATUS_COLUMNS} FROM ServerCallStatus${where} ORDER BY modid, cmdid, ip, port, caller`,
      params,
    );
    return rows.map((row) => ({
      ..._callKey(row),
      succ: intOf(row, "succ_cnt"),
      err: intOf(row, "err_cnt"),
      ts: intOf(row, "ts"),
      overload: row.overload === "1",
    }));
  },
});

/** Per host, the callers that reported since a time and the overloaded ones; see `RouteStore.fleetHosts`. */
export const fleetHosts = defineOperation({
  name: "fleetHosts",
  transaction: false,
  check(since: number) {
    if (!Number.isSafeInteger(since)) throw new RangeError(`Invalid since: ${since}`);
  },
  *steps(_dialect: Dialect, since: number) {
    const rows = yield* query(
      "SELECT modid, cmdid, ip, port, COUNT(*) AS callers, " +
        "SUM(CASE WHEN overload = '1' THEN 1 ELSE 0 END) AS overloaded " +
        "FROM ServerCallStatus WHERE ts >= ? GROUP BY modid, cmdid, ip, port",
      [since],
    );
    return rows.map((row): FleetHostRow => ({
      modid: intOf(row, "modid"),
      cmdid: intOf(row, "cmdid"),
      ip: intOf(row, "ip"),
      port: intOf(row, "port"),
      callers: intOf(row, "callers"),
      overloaded: intOf(row, "overloaded"),
    }));
  },
});

/** `ServerCallHistory` rows ordered by key and minute; see `ReportStore.listHistory`. */
export const listHistory = defineOperation({
  name: "listHistory",
  transaction: false,
  check(history: boolean, filter: HistoryFilter) {
    _checkHistoryEnabled(history, "list");
    checkCallFilter(filter);
  },
  *steps(_dialect: Dialect, _history: boolean, filter: HistoryFilter) {
    const { where, params } = whereOf({
      modid: filter.modid,
      cmdid: filter.cmdid,
      "minute >=": filter.since,
    });
    const rows = yield* query(
      `SELECT ${HISTORY_COLUMNS} FROM ServerCallHistory${where} ` +
        "ORDER BY modid, cmdid, ip, port, caller, minute",
      params,
    );
    return rows.map((row) => ({
      ..._callKey(row),
      minute: intOf(row, "minute"),
      succ: intOf(row, "succ_sum"),
      err: intOf(row, "err_sum"),
    }));
  },
});

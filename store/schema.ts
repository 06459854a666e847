/**
 * The Lars schema in both dialects, `CREATE TABLE IF NOT EXISTS` only: an
 * existing database made by the original's SQL script (same table and column
 * names) is used as it is and never altered or dropped.
 *
 * Column types follow the original script: route tables use `int unsigned`
 * ids, `ServerCallStatus` signed `int` module ids and `int unsigned` addresses.
 * SQLite has no unsigned type; its `INTEGER` holds the same values. The tables
 * and the route-change write rule are described in docs/schema.md.
 *
 * @module
 */

import type { HistoryRow, RouteFilter, StatusRow } from "./types.ts";

/** The SQL dialects the stores speak. */
export type Dialect = "mysql" | "sqlite";

const MYSQL_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/** DDL of the route tables (`RouteData`, `RouteVersion`, `RouteChange`, name tables). */
export const ROUTE_SCHEMA: Readonly<Record<Dialect, readonly string[]>> = {
  mysql: [
    `CREATE TABLE IF NOT EXISTS RouteData (
      id int unsigned NOT NULL AUTO_INCREMENT,
      modid int unsigned NOT NULL,
      cmdid int unsigned NOT NULL,
      serverip int unsigned NOT NULL,
      serverport int unsigned NOT NULL,
      PRIMARY KEY (id),
      KEY module_index (modid, cmdid)
    ) ${MYSQL_TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS RouteVersion (
      id int unsigned NOT NULL AUTO_INCREMENT,
      version int unsigned NOT NULL,
      PRIMARY KEY (id)
    ) ${MYSQL_TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS RouteChange (
      id int unsigned NOT NULL AUTO_INCREMENT,
      modid int unsigned NOT NULL,
      cmdid int unsigned NOT NULL,
      version bigint unsigned NOT NULL,
      PRIMARY KEY (id)
    ) ${MYSQL_TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS ModIDConfig (
      id int unsigned NOT NULL AUTO_INCREMENT,
      modid int unsigned NOT NULL,
      content char(255) NOT NULL,
      PRIMARY KEY (id)
    ) ${MYSQL_TABLE_OPTIONS}`,
    `CREATE TABLE IF NOT EXISTS CmdIDConfig (
      id int unsigned NOT NULL AUTO_INCREMENT,
      cmdid int unsigned NOT NULL,
      content char(255) NOT NULL,
      PRIMARY KEY (id)
    ) ${MYSQL_TABLE_OPTIONS}`,
    "INSERT IGNORE INTO RouteVersion (id, version) VALUES (1, 0)",
  ],
  sqlite: [
    `CREATE TABLE IF NOT EXISTS RouteData (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      modid INTEGER NOT NULL,
      cmdid INTEGER NOT NULL,
      serverip INTEGER NOT NULL,
      serverport INTEGER NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS RouteData_module_index ON RouteData (modid, cmdid)",
    `CREATE TABLE IF NOT EXISTS RouteVersion (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      version INTEGER NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS RouteChange (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      modid INTEGER NOT NULL,
      cmdid INTEGER NOT NULL,
      version INTEGER NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ModIDConfig (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      modid INTEGER NOT NULL,
      content TEXT NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS CmdIDConfig (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      cmdid INTEGER NOT NULL,
      content TEXT NOT NULL
    )`,
    "INSERT OR IGNORE INTO RouteVersion (id, version) VALUES (1, 0)",
  ],
};

/** DDL of `ServerCallStatus`. */
export const STATUS_SCHEMA: Readonly<Record<Dialect, readonly string[]>> = {
  mysql: [
    `CREATE TABLE IF NOT EXISTS ServerCallStatus (
      modid int NOT NULL,
      cmdid int NOT NULL,
      ip int unsigned NOT NULL,
      port int unsigned NOT NULL,
      caller int unsigned NOT NULL,
      succ_cnt int NOT NULL,
      err_cnt int NOT NULL,
      ts bigint NOT NULL,
      overload char(1) NOT NULL,
      PRIMARY KEY (modid, cmdid, ip, port, caller)
    ) ${MYSQL_TABLE_OPTIONS}`,
  ],
  sqlite: [
    `CREATE TABLE IF NOT EXISTS ServerCallStatus (
      modid INTEGER NOT NULL,
      cmdid INTEGER NOT NULL,
      ip INTEGER NOT NULL,
      port INTEGER NOT NULL,
      caller INTEGER NOT NULL,
      succ_cnt INTEGER NOT NULL,
      err_cnt INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      overload TEXT NOT NULL,
      PRIMARY KEY (modid, cmdid, ip, port, caller)
    ) WITHOUT ROWID`,
  ],
};

/** DDL of `ServerCallHistory` *(ours)*: calls summed per host, caller and minute. */
export const HISTORY_SCHEMA: Readonly<Record<Dialect, readonly string[]>> = {
  mysql: [
    `CREATE TABLE IF NOT EXISTS ServerCallHistory (
      modid int NOT NULL,
      cmdid int NOT NULL,
      ip int unsigned NOT NULL,
      port int unsigned NOT NULL,
      caller int unsigned NOT NULL,
      minute bigint NOT NULL,
      succ_sum bigint unsigned NOT NULL,
      err_sum bigint unsigned NOT NULL,
      PRIMARY KEY (modid, cmdid, ip, port, caller, minute)
    ) ${MYSQL_TABLE_OPTIONS}`,
  ],
  sqlite: [
    `CREATE TABLE IF NOT EXISTS ServerCallHistory (
      modid INTEGER NOT NULL,
      cmdid INTEGER NOT NULL,
      ip INTEGER NOT NULL,
      port INTEGER NOT NULL,
      caller INTEGER NOT NULL,
      minute INTEGER NOT NULL,
      succ_sum INTEGER NOT NULL,
      err_sum INTEGER NOT NULL,
      PRIMARY KEY (modid, cmdid, ip, port, caller, minute)
    ) WITHOUT ROWID`,
  ],
};

/** Columns of a multi-row `ServerCallStatus` insert, in placeholder order. */
export const STATUS_COLUMNS = "modid, cmdid, ip, port, caller, succ_cnt, err_cnt, ts, overload";
/** Columns of a multi-row `ServerCallHistory` insert, in placeholder order. */
export const HISTORY_COLUMNS = "modid, cmdid, ip, port, caller, minute, succ_sum, err_sum";

/**
 * Rows per multi-row statement, largest first. A batch is cut into chunks of
 * these sizes only, so each connection caches at most this many prepared
 * statements per table; 1000 rows x 9 values stays far below the 65535
 * placeholder limit of MySQL, SQLite's 32766 and any `max_allowed_packet`.
 */
export const CHUNK_SIZES: readonly number[] = [1000, 100, 10, 1];

/** Cuts `count` rows into chunk sizes from `CHUNK_SIZES` (greedy, largest first). */
export function chunkSizes(count: number): number[] {
  const sizes: number[] = [];
  let left = count;
  for (const size of CHUNK_SIZES) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** `(?, ?, ...), (?, ...)`: the placeholder list for `rows` rows of `columns` values. */
export function placeholderRows(rows: number, columns: number): string {
  const one = `(${new Array(columns).fill("?").join(", ")})`;
  return new Array(rows).fill(one).join(", ");
}

function _filteredQuery(
  select: string,
  filter: RouteFilter,
  orderBy: string,
): { sql: string; params: number[] } {
  const conditions: string[] = [];
  const params: number[] = [];
  if (filter.modid !== undefined) {
    conditions.push("modid = ?");
    params.push(filter.modid);
  }
  if (filter.cmdid !== undefined) {
    conditions.push("cmdid = ?");
    params.push(filter.cmdid);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
  return { sql: `${select}${where} ORDER BY ${orderBy}`, params };
}

/** The query of `listRoutes` for `filter`: one of four fixed texts, and its values. */
export function listRoutesQuery(filter: RouteFilter): { sql: string; params: number[] } {
  return _filteredQuery(
    "SELECT modid, cmdid, serverip, serverport FROM RouteData",
    filter,
    "modid, cmdid, serverip, serverport",
  );
}

/** The query of `listStatus` for `filter`: one of four fixed texts, and its values. */
export function listStatusQuery(filter: RouteFilter): { sql: string; params: number[] } {
  return _filteredQuery(
    `SELECT ${STATUS_COLUMNS} FROM ServerCallStatus`,
    filter,
    "modid, cmdid, ip, port, caller",
  );
}

/** The query of `listHistory` for `filter`: one of four fixed texts, and its values. */
export function listHistoryQuery(filter: RouteFilter): { sql: string; params: number[] } {
  return _filteredQuery(
    `SELECT ${HISTORY_COLUMNS} FROM ServerCallHistory`,
    filter,
    "modid, cmdid, ip, port, caller, minute",
  );
}

/** Appends the placeholder values of `rows` to `params`, in `STATUS_COLUMNS` order. */
export function pushStatusParams(
  params: (number | string | null)[],
  rows: readonly StatusRow[],
): void {
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
export function pushHistoryParams(
  params: (number | string | null)[],
  rows: readonly HistoryRow[],
): void {
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

/**
 * The statements that write `rows` in fixed-size chunks (see
 * {@linkcode chunkSizes}): for each, the SQL for its size and its parameters.
 * Both stores run them, SQLite synchronously and MySQL inside a transaction.
 */
export function* chunkedStatements<T>(
  rows: readonly T[],
  sqlFor: (size: number) => string,
  push: (params: (number | string | null)[], chunk: readonly T[]) => void,
): Generator<{ sql: string; params: (number | string | null)[] }> {
  let offset = 0;
  for (const size of chunkSizes(rows.length)) {
    const params: (number | string | null)[] = [];
    push(params, rows.slice(offset, offset + size));
    yield { sql: sqlFor(size), params };
    offset += size;
  }
}

/**
 * The Lars schema in both dialects, `CREATE TABLE IF NOT EXISTS` only: an
 * existing database made by the original's SQL script (same table and column
 * names) is used as it is and never dropped; `init()` only adds what is
 * missing: indexes ({@linkcode ROUTE_INDEXES}) and our optional columns
 * ({@linkcode ROUTE_COLUMN_ADDITIONS}, with defaults, so the original's
 * services and inserts keep working).
 *
 * Column types follow the original script: route tables use `int unsigned`
 * ids, `ServerCallStatus` signed `int` module ids and `int unsigned` addresses.
 * SQLite has no unsigned type; its `INTEGER` holds the same values. The tables
 * and the route-change write rule are described in docs/schema.md.
 *
 * @module
 */

import type { Dialect } from "./operation.ts";

const MYSQL_TABLE_OPTIONS = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

/**
 * DDL of the route tables (`RouteData`, `RouteVersion`, `RouteChange`, name
 * tables, and our `RouteAudit`); indexes are in {@linkcode ROUTE_INDEXES}.
 */
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
      PRIMARY KEY (id),
      KEY version_index (version)
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
    `CREATE TABLE IF NOT EXISTS RouteAudit (
      id bigint unsigned NOT NULL AUTO_INCREMENT,
      ts bigint NOT NULL,
      actor varchar(255) NOT NULL,
      action varchar(32) NOT NULL,
      modid int unsigned NOT NULL,
      cmdid int unsigned NOT NULL,
      detail varchar(1024) NOT NULL,
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
    `CREATE TABLE IF NOT EXISTS RouteAudit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      ts INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      modid INTEGER NOT NULL,
      cmdid INTEGER NOT NULL,
      detail TEXT NOT NULL
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

/** A column `init()` adds when missing (a database made by the original script lacks it). */
export interface ColumnDefinition {
  /** Table. */
  table: string;
  /** Column name. */
  column: string;
  /** Column type and default per dialect, as in `ALTER TABLE ... ADD COLUMN name <this>`. */
  type: Readonly<Record<Dialect, string>>;
}

/** Our columns of the route tables: `RouteData.weight`, a host's share of picks (default 1). */
export const ROUTE_COLUMN_ADDITIONS: readonly ColumnDefinition[] = [
  {
    table: "RouteData",
    column: "weight",
    type: { mysql: "int unsigned NOT NULL DEFAULT 1", sqlite: "INTEGER NOT NULL DEFAULT 1" },
  },
];

/** The query telling whether column `name` exists on `table` (one row if it does). */
export const COLUMN_EXISTS_SQL: Readonly<Record<Dialect, string>> = {
  mysql: "SELECT 1 AS found FROM information_schema.COLUMNS " +
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ? LIMIT 1",
  sqlite: "SELECT 1 AS found FROM pragma_table_info(?) WHERE name = ?",
};

/** The DDL adding `column` (names and types are constants, never input). */
export function addColumnSql(column: ColumnDefinition, dialect: Dialect): string {
  return `ALTER TABLE ${column.table} ADD COLUMN ${column.column} ${column.type[dialect]}`;
}

/** An index `init()` adds when missing (a database made by the original script lacks it). */
export interface IndexDefinition {
  /** Table. */
  table: string;
  /** Index name per dialect (SQLite index names are global, so they carry the table name). */
  name: Readonly<Record<Dialect, string>>;
  /** Column list, e.g. `modid, cmdid`. */
  columns: string;
}

/**
 * Indexes of the route tables: `listModules` and per-module reads walk `(modid, cmdid)`; every
 * DNS instance reads `RouteChange` rows by `version >= ?` every poll (100 ms) and deletes them by
 * version after the retention window.
 */
export const ROUTE_INDEXES: readonly IndexDefinition[] = [
  {
    table: "RouteData",
    name: { mysql: "module_index", sqlite: "RouteData_module_index" },
    columns: "modid, cmdid",
  },
  {
    table: "RouteChange",
    name: { mysql: "version_index", sqlite: "RouteChange_version_index" },
    columns: "version",
  },
];

/** The query telling whether index `name` exists on `table` (one row if it does). */
export const INDEX_EXISTS_SQL: Readonly<Record<Dialect, string>> = {
  mysql: "SELECT 1 AS found FROM information_schema.STATISTICS " +
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1",
  sqlite: "SELECT 1 AS found FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?",
};

/** The DDL creating `index` (names and columns are constants, never input). */
export function createIndexSql(dialect: Dialect, index: IndexDefinition): string {
  const ifMissing = dialect === "sqlite" ? "IF NOT EXISTS " : "";
  return `CREATE INDEX ${ifMissing}${index.name[dialect]} ON ${index.table} (${index.columns})`;
}

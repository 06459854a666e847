/**
 * Lars storage: routes, route versions and change log (`RouteStore`), call
 * statistics (`ReportStore`), on an embedded SQLite file or a shared MySQL /
 * MariaDB server, with the same tables and columns as the original Lars.
 *
 * @example
 * ```ts
 * import { openReportStore, openRouteStore } from "./mod.ts";
 *
 * const routes = await openRouteStore("sqlite::memory:");
 * const { added, version } = await routes.addHost(1, 1, 0xC0A80101, 9000); // 192.168.1.1
 * console.log(added, version > 0); // true true
 * await routes.close();
 *
 * const reports = await openReportStore("sqlite::memory:");
 * await reports.upsertStatus([
 *   { modid: 1, cmdid: 1, ip: 0xC0A80101, port: 9000, caller: 0x7F000001, succ: 10, err: 0,
 *     ts: 1700000000, overload: false },
 * ]);
 * await reports.close();
 * ```
 *
 * @module
 */

export type {
  AddHostResult,
  CommandName,
  HistoryRow,
  ModuleName,
  NameList,
  RemoveHostResult,
  RemoveModuleResult,
  ReportStore,
  ReportStoreOptions,
  RouteChangeRow,
  RouteFilter,
  RouteRow,
  RouteStore,
  StatusRow,
} from "./types.ts";
export { nextVersion, StoreError } from "./types.ts";
export { SqliteReportStore, SqliteRouteStore } from "./sqlite.ts";
export type { SqliteStoreOptions } from "./sqlite_db.ts";
export { MysqlReportStore, MysqlRouteStore } from "./mysql.ts";
export type { MysqlConnectionConfig, MysqlStoreOptions } from "./mysql_db.ts";
export {
  type MysqlConfigSection,
  mysqlUrlFromConfig,
  openReportStore,
  openRouteStore,
  type OpenStoreOptions,
  parseStoreUrl,
  redactUrl,
  type StoreLocation,
} from "./url.ts";

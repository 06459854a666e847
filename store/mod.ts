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
  AddHostArgs,
  AddHostResult,
  AuditAction,
  AuditRow,
  CommandName,
  FleetHostRow,
  HistoryFilter,
  HistoryRow,
  HostArgs,
  ImportOptions,
  ImportResult,
  ModuleName,
  ModuleSummary,
  NameList,
  Page,
  RemoveHostResult,
  RemoveModuleResult,
  ReportStore,
  ReportStoreOptions,
  RouteChangeRow,
  RouteFilter,
  RouteRow,
  RouteStore,
  SetWeightArgs,
  StatusRow,
  UpdateHostArgs,
  UpdateHostResult,
} from "./types.ts";
export { ModuleTooLargeError, StoreError } from "./types.ts";
export { MAX_PAGE, nextVersion } from "./checks.ts";
export { DriverRouteStore, MysqlRouteStore, SqliteRouteStore } from "./route_store.ts";
export { DriverReportStore, MysqlReportStore, SqliteReportStore } from "./report_store.ts";
export { type SqliteStoreOptions } from "./sqlite.ts";
export { type MysqlConnectionConfig, type MysqlStoreOptions } from "./mysql.ts";
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

/**
 * Route operations, each written once for both drivers: schema, version,
 * change log and the host edits. Every edit writes `RouteData`, one
 * `RouteChange` row per module it changed, the new `RouteVersion` and a
 * `RouteAudit` row in one transaction, or nothing at all. Listings, names
 * and imports are in `route_admin_ops.ts`.
 *
 * @module
 */

import { largestBodySize, MAX_BODY_SIZE } from "../proto/frame_budget.ts";
import { intToIp } from "../proto/ip.ts";
import type { HostInfo } from "../proto/messages.ts";
import { checkActor, checkRouteHost, checkRouteKey, checkWeight, nextVersion } from "./checks.ts";
import {
  defineOperation,
  type Dialect,
  exec,
  intOf,
  query,
  run,
  type SqlRow,
  type Steps,
} from "./operation.ts";
import {
  addColumnSql,
  COLUMN_EXISTS_SQL,
  createIndexSql,
  INDEX_EXISTS_SQL,
  ROUTE_COLUMN_ADDITIONS,
  ROUTE_INDEXES,
  ROUTE_SCHEMA,
} from "./schema.ts";
import {
  type AddHostArgs,
  type AddHostResult,
  type AuditAction,
  type HostArgs,
  ModuleTooLargeError,
  type RemoveHostResult,
  type RemoveModuleResult,
  type RouteChangeRow,
  type RouteRow,
  type SetWeightArgs,
  type UpdateHostArgs,
  type UpdateHostResult,
} from "./types.ts";

/** A module key. */
export interface ModuleKey {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
}

/** `RouteData` columns in `RouteRow` order: a host's key (what inserts and sorts use). */
export const ROUTE_COLUMNS = "modid, cmdid, serverip, serverport";

/** `RouteData` columns a read selects: the key and our `weight`. */
export const ROUTE_READ_COLUMNS = `${ROUTE_COLUMNS}, weight`;

/** A `RouteData` result row as a `RouteRow` (`weight` only when it is not 1). */
export function routeRowOf(row: SqlRow): RouteRow {
  const route: RouteRow = {
    modid: intOf(row, "modid"),
    cmdid: intOf(row, "cmdid"),
    ip: intOf(row, "serverip"),
    port: intOf(row, "serverport"),
  };
  const weight = row.weight === undefined || row.weight === null ? 1 : intOf(row, "weight");
  if (weight !== 1) route.weight = weight;
  return route;
}

/** A `RouteChange` result row. */
export function changeRowOf(row: SqlRow): RouteChangeRow {
  return {
    id: intOf(row, "id"),
    modid: intOf(row, "modid"),
    cmdid: intOf(row, "cmdid"),
    version: intOf(row, "version"),
  };
}

/** `a.b.c.d:port`, for audit details. */
export function hostText(ip: number, port: number): string {
  return `${intToIp(ip)}:${port}`;
}

/** Step: the route version, locked until commit on MySQL when `forUpdate`. */
export function* readVersion(dialect: Dialect, forUpdate: boolean): Steps<number> {
  const lock = forUpdate && dialect === "mysql" ? " FOR UPDATE" : "";
  const [row] = yield* query(`SELECT version FROM RouteVersion WHERE id = 1${lock}`);
  return row ? intOf(row, "version") : 0;
}

const _SET_VERSION: Record<Dialect, string> = {
  mysql: "INSERT INTO RouteVersion (id, version) VALUES (1, ?) " +
    "ON DUPLICATE KEY UPDATE version = VALUES(version)",
  sqlite: "INSERT INTO RouteVersion (id, version) VALUES (1, ?) " +
    "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
};

/**
 * Step: writes one `RouteChange` row per module of `changed` and the next
 * route version after `previous`; the new version.
 */
export function* bumpVersion(
  dialect: Dialect,
  changed: readonly ModuleKey[],
  previous: number,
): Steps<number> {
  const version = nextVersion(previous);
  for (const { modid, cmdid } of changed) {
    yield* run("INSERT INTO RouteChange (modid, cmdid, version) VALUES (?, ?, ?)", [
      modid,
      cmdid,
      version,
    ]);
  }
  yield* run(_SET_VERSION[dialect], [version]);
  return version;
}

/** Step: writes one `RouteAudit` row, now. */
export function* audit(
  actor: string | undefined,
  action: AuditAction,
  key: ModuleKey,
  detail: string,
): Steps<void> {
  yield* run(
    "INSERT INTO RouteAudit (ts, actor, action, modid, cmdid, detail) VALUES (?, ?, ?, ?, ?, ?)",
    [Math.floor(Date.now() / 1000), actor ?? "", action, key.modid, key.cmdid, detail],
  );
}

/**
 * Creates missing route tables, our missing columns (`RouteData.weight`) and
 * indexes, and the `RouteVersion` row `id = 1`.
 */
export const initRoutes = defineOperation({
  name: "init",
  transaction: false,
  *steps(dialect: Dialect) {
    for (const sql of ROUTE_SCHEMA[dialect]) yield* exec(sql);
    for (const column of ROUTE_COLUMN_ADDITIONS) {
      const found = yield* query(COLUMN_EXISTS_SQL[dialect], [column.table, column.column]);
      if (found.length === 0) yield* exec(addColumnSql(column, dialect));
    }
    for (const index of ROUTE_INDEXES) {
      const found = yield* query(INDEX_EXISTS_SQL[dialect], [index.table, index.name[dialect]]);
      if (found.length === 0) yield* exec(createIndexSql(dialect, index));
    }
  },
});

/** The current route version. */
export const readRouteVersion = defineOperation({
  name: "version",
  transaction: false,
  steps: (dialect: Dialect) => readVersion(dialect, false),
});

/** Every `RouteData` row. */
export const loadRoutes = defineOperation({
  name: "loadRoutes",
  transaction: false,
  *steps() {
    return (yield* query(`SELECT ${ROUTE_READ_COLUMNS} FROM RouteData`)).map(routeRowOf);
  },
});

const _CHANGE_COLUMNS = "id, modid, cmdid, version";

function _checkVersion(version: number): void {
  if (!Number.isSafeInteger(version)) {
    throw new RangeError(`Invalid version: ${version} is not an integer`);
  }
}

/** `RouteChange` rows with `version <= upTo`, oldest first. */
export const changesUpTo = defineOperation({
  name: "changesUpTo",
  transaction: false,
  check: _checkVersion,
  *steps(_dialect: Dialect, upTo: number) {
    const sql = `SELECT ${_CHANGE_COLUMNS} FROM RouteChange WHERE version <= ? ORDER BY id`;
    return (yield* query(sql, [upTo])).map(changeRowOf);
  },
});

/** `RouteChange` rows with `version >= since`, ordered by version then id. */
export const changesSince = defineOperation({
  name: "changesSince",
  transaction: false,
  check: _checkVersion,
  *steps(_dialect: Dialect, since: number) {
    const sql =
      `SELECT ${_CHANGE_COLUMNS} FROM RouteChange WHERE version >= ? ORDER BY version, id`;
    return (yield* query(sql, [since])).map(changeRowOf);
  },
});

/** Deletes `RouteChange` rows with `version <= upTo`. */
export const deleteChangesUpTo = defineOperation({
  name: "deleteChangesUpTo",
  transaction: false,
  check: _checkVersion,
  steps: (_dialect: Dialect, upTo: number) =>
    run("DELETE FROM RouteChange WHERE version <= ?", [upTo]),
});

/** Deletes `RouteChange` rows with `version < before`. */
export const deleteChangesBefore = defineOperation({
  name: "deleteChangesBefore",
  transaction: false,
  check: _checkVersion,
  steps: (_dialect: Dialect, before: number) =>
    run("DELETE FROM RouteChange WHERE version < ?", [before]),
});

/** Deletes every `RouteChange` row. */
export const deleteAllChanges = defineOperation({
  name: "deleteAllChanges",
  transaction: false,
  steps: () => run("DELETE FROM RouteChange"),
});

const _HOST_WHERE = "modid = ? AND cmdid = ? AND serverip = ? AND serverport = ?";

/** Step: whether the module has the host. */
export function* hasHost(modid: number, cmdid: number, ip: number, port: number): Steps<boolean> {
  const sql = `SELECT 1 AS found FROM RouteData WHERE ${_HOST_WHERE} LIMIT 1`;
  return (yield* query(sql, [modid, cmdid, ip, port])).length > 0;
}

/**
 * Step: throws {@linkcode ModuleTooLargeError} (so the transaction rolls back)
 * when module `modid/cmdid` with `adding` (hosts not in it yet) would not fit
 * one DNS answer frame ({@linkcode largestBodySize}). On MySQL it reads the
 * module's rows `FOR UPDATE`, so a concurrent write to the module waits for
 * this transaction; SQLite write transactions (`BEGIN IMMEDIATE`) run one at a
 * time. `action` starts the message, e.g. `refusing to import`.
 */
export function* checkModuleFits(
  dialect: Dialect,
  action: string,
  modid: number,
  cmdid: number,
  adding: readonly HostInfo[],
): Steps<void> {
  const lock = dialect === "mysql" ? " FOR UPDATE" : "";
  const rows = yield* query(
    `SELECT ${ROUTE_READ_COLUMNS} FROM RouteData WHERE modid = ? AND cmdid = ?${lock}`,
    [modid, cmdid],
  );
  const hosts: HostInfo[] = rows.map(routeRowOf);
  hosts.push(...adding);
  const problem = moduleTooLarge(action, modid, cmdid, hosts);
  if (problem) throw problem;
}

/**
 * The error refusing a write after which module `modid/cmdid` would have
 * `hosts`, when their largest DNS answer would not fit one frame; else null.
 */
export function moduleTooLarge(
  action: string,
  modid: number,
  cmdid: number,
  hosts: readonly HostInfo[],
): ModuleTooLargeError | null {
  const bytes = largestBodySize(modid, cmdid, hosts);
  if (bytes <= MAX_BODY_SIZE) return null;
  return new ModuleTooLargeError(action, {
    modid,
    cmdid,
    hosts: hosts.length,
    bytes,
    limit: MAX_BODY_SIZE,
  });
}

function _checkHost(modid: number, cmdid: number, ip: number, port: number, actor?: string) {
  checkRouteHost(modid, cmdid, ip, port);
  checkActor(actor);
}

/** Adds a host; see `RouteStore.addHost`. */
export const addHost = defineOperation<AddHostArgs, AddHostResult>({
  name: "addHost",
  transaction: true,
  check(modid, cmdid, ip, port, actor, weight) {
    _checkHost(modid, cmdid, ip, port, actor);
    if (weight !== undefined) checkWeight(weight);
  },
  *steps(dialect, modid, cmdid, ip, port, actor, weight = 1) {
    const previous = yield* readVersion(dialect, true);
    if (yield* hasHost(modid, cmdid, ip, port)) return { added: false, version: previous };
    yield* checkModuleFits(dialect, `refusing to add ${hostText(ip, port)}`, modid, cmdid, [
      { ip, port, weight },
    ]);
    yield* run(`INSERT INTO RouteData (${ROUTE_COLUMNS}, weight) VALUES (?, ?, ?, ?, ?)`, [
      modid,
      cmdid,
      ip,
      port,
      weight,
    ]);
    const weighted = weight === 1 ? "" : ` weight ${weight}`;
    yield* audit(actor, "add", { modid, cmdid }, `added ${hostText(ip, port)}${weighted}`);
    return { added: true, version: yield* bumpVersion(dialect, [{ modid, cmdid }], previous) };
  },
});

/** Removes a host; see `RouteStore.removeHost`. */
export const removeHost = defineOperation<HostArgs, RemoveHostResult>({
  name: "removeHost",
  transaction: true,
  check: _checkHost,
  *steps(dialect, modid, cmdid, ip, port, actor) {
    const previous = yield* readVersion(dialect, true);
    const deleted = yield* run(`DELETE FROM RouteData WHERE ${_HOST_WHERE}`, [
      modid,
      cmdid,
      ip,
      port,
    ]);
    if (deleted === 0) return { removed: false, version: previous };
    yield* audit(actor, "remove", { modid, cmdid }, `removed ${hostText(ip, port)}`);
    return { removed: true, version: yield* bumpVersion(dialect, [{ modid, cmdid }], previous) };
  },
});

/** Removes every host of a module; see `RouteStore.removeModule`. */
export const removeModule = defineOperation<
  [modid: number, cmdid: number, actor?: string],
  RemoveModuleResult
>({
  name: "removeModule",
  transaction: true,
  check(modid, cmdid, actor) {
    checkRouteKey(modid, cmdid);
    checkActor(actor);
  },
  *steps(dialect, modid, cmdid, actor) {
    const previous = yield* readVersion(dialect, true);
    const removed = yield* run("DELETE FROM RouteData WHERE modid = ? AND cmdid = ?", [
      modid,
      cmdid,
    ]);
    if (removed === 0) return { removed, version: previous };
    yield* audit(actor, "remove-module", { modid, cmdid }, `removed ${removed} hosts`);
    return { removed, version: yield* bumpVersion(dialect, [{ modid, cmdid }], previous) };
  },
});

/** Moves a host to another address (and sets its weight); see `RouteStore.updateHost`. */
export const updateHost = defineOperation<UpdateHostArgs, UpdateHostResult>({
  name: "updateHost",
  transaction: true,
  check(modid, cmdid, ip, port, newIp, newPort, actor, weight) {
    checkRouteHost(modid, cmdid, ip, port);
    checkRouteHost(modid, cmdid, newIp, newPort);
    checkActor(actor);
    if (weight !== undefined) checkWeight(weight);
  },
  *steps(dialect, modid, cmdid, ip, port, newIp, newPort, actor, weight) {
    const previous = yield* readVersion(dialect, true);
    const unchanged = { updated: false, version: previous };
    if (yield* hasHost(modid, cmdid, newIp, newPort)) return unchanged;
    const [row] = yield* query(`SELECT weight FROM RouteData WHERE ${_HOST_WHERE}`, [
      modid,
      cmdid,
      ip,
      port,
    ]);
    if (row === undefined) return unchanged;
    const before = intOf(row, "weight");
    yield* run(
      `UPDATE RouteData SET serverip = ?, serverport = ?, weight = ? WHERE ${_HOST_WHERE}`,
      [newIp, newPort, weight ?? before, modid, cmdid, ip, port],
    );
    const reweighed = weight === undefined || weight === before
      ? ""
      : `, weight ${before} -> ${weight}`;
    const detail = `moved ${hostText(ip, port)} to ${hostText(newIp, newPort)}${reweighed}`;
    yield* audit(actor, "update", { modid, cmdid }, detail);
    return { updated: true, version: yield* bumpVersion(dialect, [{ modid, cmdid }], previous) };
  },
});

/** Sets a host's weight; see `RouteStore.setHostWeight`. */
export const setHostWeight = defineOperation<SetWeightArgs, UpdateHostResult>({
  name: "setHostWeight",
  transaction: true,
  check(modid, cmdid, ip, port, weight, actor) {
    _checkHost(modid, cmdid, ip, port, actor);
    checkWeight(weight);
  },
  *steps(dialect, modid, cmdid, ip, port, weight, actor) {
    const previous = yield* readVersion(dialect, true);
    const [row] = yield* query(`SELECT weight FROM RouteData WHERE ${_HOST_WHERE}`, [
      modid,
      cmdid,
      ip,
      port,
    ]);
    if (row === undefined || intOf(row, "weight") === weight) {
      return { updated: false, version: previous };
    }
    yield* run(`UPDATE RouteData SET weight = ? WHERE ${_HOST_WHERE}`, [
      weight,
      modid,
      cmdid,
      ip,
      port,
    ]);
    const detail = `weight of ${hostText(ip, port)}: ${intOf(row, "weight")} -> ${weight}`;
    yield* audit(actor, "update", { modid, cmdid }, detail);
    return { updated: true, version: yield* bumpVersion(dialect, [{ modid, cmdid }], previous) };
  },
});

/**
 * Route operations of the administration tools, each written once for both
 * drivers: bulk import, per-module loads, paged listings (routes, modules,
 * change log, audit log) and module/command names.
 *
 * @module
 */

import {
  checkActor,
  checkName,
  checkPage,
  checkRouteFilter,
  checkRouteHost,
  checkRouteKey,
  checkSearch,
  checkWeight,
} from "./checks.ts";
import {
  defineOperation,
  type Dialect,
  intOf,
  OR_CHUNK_SIZES,
  placeholderRows,
  query,
  queryChunked,
  run,
  runChunked,
  type SqlParam,
  type Steps,
  textOf,
  whereOf,
} from "./operation.ts";
import {
  audit,
  bumpVersion,
  changeRowOf,
  type ModuleKey,
  moduleTooLarge,
  readVersion,
  ROUTE_COLUMNS,
  ROUTE_READ_COLUMNS,
  routeRowOf,
} from "./route_ops.ts";
import type {
  AuditAction,
  AuditRow,
  ImportOptions,
  ImportResult,
  ModuleSummary,
  NameList,
  Page,
  RouteChangeRow,
  RouteFilter,
  RouteRow,
} from "./types.ts";

const _keyOf = (modid: number, cmdid: number) => `${modid}/${cmdid}`;
const _hostOf = (row: RouteRow) => `${row.ip}:${row.port}`;

function _pushKeys(params: SqlParam[], keys: readonly ModuleKey[]): void {
  for (const key of keys) params.push(key.modid, key.cmdid);
}

function _pushHosts(params: SqlParam[], rows: readonly RouteRow[]): void {
  for (const row of rows) params.push(row.modid, row.cmdid, row.ip, row.port);
}

function _pushWeightedHosts(params: SqlParam[], rows: readonly RouteRow[]): void {
  for (const row of rows) params.push(row.modid, row.cmdid, row.ip, row.port, row.weight ?? 1);
}

const _MODULE_MATCH = "(modid = ? AND cmdid = ?)";
const _HOST_MATCH = "(modid = ? AND cmdid = ? AND serverip = ? AND serverport = ?)";

/**
 * `size` copies of `match` joined by OR: unlike a row-value `IN`, every
 * database walks the `(modid, cmdid)` index for it.
 */
function _anyOf(size: number, match: string): string {
  return new Array(size).fill(match).join(" OR ");
}

/** Step: the `RouteData` rows of `keys`, ordered by modid, cmdid, ip, port. */
function* _moduleRoutes(keys: readonly ModuleKey[]): Steps<RouteRow[]> {
  const rows = (yield* queryChunked(
    keys,
    (size) => `SELECT ${ROUTE_READ_COLUMNS} FROM RouteData WHERE ${_anyOf(size, _MODULE_MATCH)}`,
    _pushKeys,
    OR_CHUNK_SIZES,
  )).map(routeRowOf);
  return rows.sort((a, b) =>
    a.modid - b.modid || a.cmdid - b.cmdid || a.ip - b.ip || a.port - b.port
  );
}

function _uniqueKeys(keys: readonly ModuleKey[]): ModuleKey[] {
  const unique = new Map<string, ModuleKey>();
  for (const { modid, cmdid } of keys) unique.set(_keyOf(modid, cmdid), { modid, cmdid });
  return [...unique.values()];
}

/** `RouteData` rows of these modules; see `RouteStore.loadModuleRoutes`. */
export const loadModuleRoutes = defineOperation<[keys: readonly ModuleKey[]], RouteRow[]>({
  name: "loadModuleRoutes",
  transaction: false,
  check(keys) {
    if (!Array.isArray(keys)) throw new TypeError("Invalid keys: expected an array");
    for (const key of keys) checkRouteKey(key.modid, key.cmdid);
  },
  steps: (_dialect, keys) => _moduleRoutes(_uniqueKeys(keys)),
});

/**
 * Throws {@linkcode ModuleTooLargeError} for the first `changed` module whose
 * hosts after the import (`existing` rows of the imported modules, `wanted`
 * hosts per module) would not fit one DNS answer frame, so the whole import is
 * refused.
 */
function _refuseOversized(
  existing: readonly RouteRow[],
  wanted: ReadonlyMap<string, ReadonlyMap<string, RouteRow>>,
  replace: boolean,
  changed: readonly ModuleKey[],
): void {
  const after = new Map<string, Map<string, RouteRow>>();
  if (!replace) {
    for (const row of existing) {
      const key = _keyOf(row.modid, row.cmdid);
      const hosts = after.get(key) ?? new Map<string, RouteRow>();
      hosts.set(_hostOf(row), row);
      after.set(key, hosts);
    }
  }
  for (const [key, hosts] of wanted) {
    const result = after.get(key) ?? new Map<string, RouteRow>();
    for (const [host, row] of hosts) {
      const weight = row.weight ?? (replace ? 1 : result.get(host)?.weight);
      result.set(host, { ...row, weight });
    }
    after.set(key, result);
  }
  for (const { modid, cmdid } of changed) {
    const all = [...(after.get(_keyOf(modid, cmdid))?.values() ?? [])];
    const problem = moduleTooLarge("refusing to import", modid, cmdid, all);
    if (problem) throw problem;
  }
}

/** Imports rows in one transaction; see `RouteStore.importRoutes`. */
export const importRoutes = defineOperation<
  [rows: readonly RouteRow[], options: ImportOptions],
  ImportResult
>({
  name: "importRoutes",
  transaction: true,
  check(rows, options) {
    if (!Array.isArray(rows)) throw new TypeError("Invalid rows: expected an array");
    for (const row of rows) {
      checkRouteHost(row.modid, row.cmdid, row.ip, row.port);
      if (row.weight !== undefined) checkWeight(row.weight);
    }
    if (typeof options?.replace !== "boolean") {
      throw new TypeError("Invalid replace: expected a boolean");
    }
    checkActor(options.actor);
  },
  *steps(dialect, rows, { replace, actor }) {
    const previous = yield* readVersion(dialect, true);
    const wanted = new Map<string, Map<string, RouteRow>>();
    for (const row of rows) {
      const key = _keyOf(row.modid, row.cmdid);
      const hosts = wanted.get(key) ?? new Map<string, RouteRow>();
      const { modid, cmdid, ip, port, weight } = row;
      hosts.set(_hostOf(row), weight === undefined ? { modid, cmdid, ip, port } : row);
      wanted.set(key, hosts);
    }
    const have = new Map<string, Set<string>>();
    const toRemove: RouteRow[] = [];
    const toReweigh: RouteRow[] = [];
    // Read after RouteVersion is locked: no other route write runs until this one commits.
    const existing = yield* _moduleRoutes(_uniqueKeys(rows));
    for (const row of existing) {
      const key = _keyOf(row.modid, row.cmdid);
      const hosts = have.get(key) ?? new Set<string>();
      hosts.add(_hostOf(row));
      have.set(key, hosts);
      const want = wanted.get(key)!.get(_hostOf(row));
      if (replace && !want) toRemove.push(row);
      // A weight changes when the row gives one, or when replacing (absent is then 1).
      const weighs = want !== undefined && (want.weight !== undefined || replace);
      if (weighs && (want.weight ?? 1) !== (row.weight ?? 1)) toReweigh.push(want);
    }
    const toAdd = [...wanted.entries()].flatMap(([key, hosts]) =>
      [...hosts.entries()].filter(([host]) => !have.get(key)?.has(host)).map(([, row]) => row)
    );
    const changed = _uniqueKeys([...toAdd, ...toRemove, ...toReweigh]);
    if (changed.length === 0) return { added: 0, removed: 0, version: previous };
    _refuseOversized(existing, wanted, replace, changed);
    yield* runChunked(
      toAdd,
      (size) =>
        `INSERT INTO RouteData (${ROUTE_COLUMNS}, weight) VALUES ${placeholderRows(size, 5)}`,
      _pushWeightedHosts,
    );
    for (const { modid, cmdid, ip, port, weight } of toReweigh) {
      yield* run(
        "UPDATE RouteData SET weight = ? " +
          "WHERE modid = ? AND cmdid = ? AND serverip = ? AND serverport = ?",
        [weight ?? 1, modid, cmdid, ip, port],
      );
    }
    const removed = yield* runChunked(
      toRemove,
      (size) => `DELETE FROM RouteData WHERE ${_anyOf(size, _HOST_MATCH)}`,
      _pushHosts,
      OR_CHUNK_SIZES,
    );
    const detail = `${replace ? "replace" : "merge"}: ${rows.length} rows, ` +
      `${changed.length} modules changed, ${toAdd.length} hosts added, ${removed} removed` +
      (toReweigh.length > 0 ? `, ${toReweigh.length} weights changed` : "");
    yield* audit(actor, "import", { modid: 0, cmdid: 0 }, detail);
    const version = yield* bumpVersion(dialect, changed, previous);
    return { added: toAdd.length, removed, version };
  },
});

/** `RouteData` rows, optionally filtered and paged; see `RouteStore.listRoutes`. */
export const listRoutes = defineOperation<[filter: RouteFilter & Partial<Page>], RouteRow[]>({
  name: "listRoutes",
  transaction: false,
  check(filter) {
    checkRouteFilter(filter);
    checkPage(filter, true);
  },
  *steps(_dialect, filter) {
    const { where, params } = whereOf({ modid: filter.modid, cmdid: filter.cmdid });
    let sql = `SELECT ${ROUTE_READ_COLUMNS} FROM RouteData${where} ORDER BY ${ROUTE_COLUMNS}`;
    if (filter.limit !== undefined || filter.offset !== undefined) {
      sql += " LIMIT ? OFFSET ?";
      params.push(filter.limit ?? 2 ** 31 - 1, filter.offset ?? 0);
    }
    return (yield* query(sql, params)).map(routeRowOf);
  },
});

/** `!`-escaped LIKE pattern of a substring (the same escape in both dialects). */
function _containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

const _MODULE_SEARCH = " WHERE modid = ? OR cmdid = ?" +
  " OR modid IN (SELECT modid FROM ModIDConfig WHERE content LIKE ? ESCAPE '!')" +
  " OR cmdid IN (SELECT cmdid FROM CmdIDConfig WHERE content LIKE ? ESCAPE '!')";

/** Modules with host counts; see `RouteStore.listModules`. */
export const listModules = defineOperation<
  [q: Page & { search?: string }],
  { total: number; modules: ModuleSummary[] }
>({
  name: "listModules",
  transaction: false,
  check(q) {
    checkPage(q);
    checkSearch(q.search);
  },
  *steps(_dialect, { search, limit, offset }) {
    const text = search?.trim() ?? "";
    let where = "";
    const params: SqlParam[] = [];
    if (text !== "") {
      const id = /^\d{1,10}$/.test(text) ? Number(text) : -1;
      where = _MODULE_SEARCH;
      params.push(id, id, _containsPattern(text), _containsPattern(text));
    }
    const [count] = yield* query(
      `SELECT COUNT(*) AS total FROM (SELECT modid FROM RouteData${where} ` +
        "GROUP BY modid, cmdid) AS modules",
      params,
    );
    const rows = yield* query(
      `SELECT modid, cmdid, COUNT(*) AS hosts FROM RouteData${where} ` +
        "GROUP BY modid, cmdid ORDER BY modid, cmdid LIMIT ? OFFSET ?",
      [...params, limit, offset],
    );
    return {
      total: intOf(count, "total"),
      modules: rows.map((row) => ({
        modid: intOf(row, "modid"),
        cmdid: intOf(row, "cmdid"),
        hosts: intOf(row, "hosts"),
      })),
    };
  },
});

/** Step: the total of `table` and a page of its rows, newest (highest id) first. */
function* _newestFirst(table: string, columns: string, page: Page) {
  const [count] = yield* query(`SELECT COUNT(*) AS total FROM ${table}`);
  const rows = yield* query(
    `SELECT ${columns} FROM ${table} ORDER BY id DESC LIMIT ? OFFSET ?`,
    [page.limit, page.offset],
  );
  return { total: intOf(count, "total"), rows };
}

/** The change log, newest first; see `RouteStore.listChanges`. */
export const listChanges = defineOperation<
  [page: Page],
  { total: number; changes: RouteChangeRow[] }
>({
  name: "listChanges",
  transaction: false,
  check: (page) => checkPage(page),
  *steps(_dialect, page) {
    const { total, rows } = yield* _newestFirst("RouteChange", "id, modid, cmdid, version", page);
    return { total, changes: rows.map(changeRowOf) };
  },
});

/** The audit log, newest first; see `RouteStore.listAudit`. */
export const listAudit = defineOperation<[page: Page], { total: number; entries: AuditRow[] }>({
  name: "listAudit",
  transaction: false,
  check: (page) => checkPage(page),
  *steps(_dialect, page) {
    const columns = "id, ts, actor, action, modid, cmdid, detail";
    const { total, rows } = yield* _newestFirst("RouteAudit", columns, page);
    return {
      total,
      entries: rows.map((row) => ({
        id: intOf(row, "id"),
        ts: intOf(row, "ts"),
        user: textOf(row, "actor"),
        action: textOf(row, "action") as AuditAction,
        modid: intOf(row, "modid"),
        cmdid: intOf(row, "cmdid"),
        detail: textOf(row, "detail"),
      })),
    };
  },
});

/** Which name table: module names (`ModIDConfig`) or command names (`CmdIDConfig`). */
export type NameKind = "mod" | "cmd";

const _NAMES = {
  mod: { table: "ModIDConfig", column: "modid", what: "module" },
  cmd: { table: "CmdIDConfig", column: "cmdid", what: "command" },
} as const;

function _nameKey(kind: NameKind, id: number): ModuleKey {
  return kind === "mod" ? { modid: id, cmdid: 0 } : { modid: 0, cmdid: id };
}

/** Sets the name of a module or command id (every row of that id). */
export const setName = defineOperation<
  [kind: NameKind, id: number, name: string, actor?: string],
  void
>({
  name: "setName",
  transaction: true,
  check(kind, id, name, actor) {
    checkRouteKey(kind === "mod" ? id : 0, kind === "cmd" ? id : 0);
    checkName(name);
    checkActor(actor);
  },
  *steps(dialect: Dialect, kind, id, name, actor) {
    const { table, column, what } = _NAMES[kind];
    const lock = dialect === "mysql" ? " FOR UPDATE" : "";
    const found = yield* query(`SELECT id FROM ${table} WHERE ${column} = ?${lock}`, [id]);
    yield* run(
      found.length > 0
        ? `UPDATE ${table} SET content = ? WHERE ${column} = ?`
        : `INSERT INTO ${table} (content, ${column}) VALUES (?, ?)`,
      [name, id],
    );
    yield* audit(actor, "name", _nameKey(kind, id), `${what} ${id} named "${name}"`);
  },
});

/** Removes the name of a module or command id; false when it had none. */
export const removeName = defineOperation<[kind: NameKind, id: number, actor?: string], boolean>({
  name: "removeName",
  transaction: true,
  check(kind, id, actor) {
    checkRouteKey(kind === "mod" ? id : 0, kind === "cmd" ? id : 0);
    checkActor(actor);
  },
  *steps(_dialect, kind, id, actor) {
    const { table, column, what } = _NAMES[kind];
    const removed = yield* run(`DELETE FROM ${table} WHERE ${column} = ?`, [id]);
    if (removed === 0) return false;
    yield* audit(actor, "name", _nameKey(kind, id), `${what} ${id} name removed`);
    return true;
  },
});

/** All module and command names. */
export const listNames = defineOperation<[], NameList>({
  name: "listNames",
  transaction: false,
  *steps() {
    const modules = yield* query("SELECT modid, content FROM ModIDConfig ORDER BY modid, id");
    const commands = yield* query("SELECT cmdid, content FROM CmdIDConfig ORDER BY cmdid, id");
    return {
      modules: modules.map((row) => ({ modid: intOf(row, "modid"), name: textOf(row, "content") })),
      commands: commands.map((row) => ({
        cmdid: intOf(row, "cmdid"),
        name: textOf(row, "content"),
      })),
    };
  },
});

/**
 * Embedded stores on `node:sqlite`. Several processes (DNS, reporter, CLI) may
 * open the same file: the database runs in WAL mode, waits `busyTimeoutMs` for
 * another writer, and every write transaction starts with `BEGIN IMMEDIATE` so
 * it takes the write lock before it reads. Calls are synchronous underneath
 * (they block the event loop while SQLite works or waits for a lock).
 *
 * @module
 */

import {
  noCheck,
  SqliteDb,
  sqliteInt,
  type SqliteRow,
  type SqliteStoreOptions,
} from "./sqlite_db.ts";
import {
  chunkedStatements,
  HISTORY_SCHEMA,
  historyAddSql,
  listHistoryQuery,
  listRoutesQuery,
  listStatusQuery,
  pushHistoryParams,
  pushStatusParams,
  ROUTE_SCHEMA,
  STATUS_SCHEMA,
  statusUpsertSql,
} from "./schema.ts";
import {
  type AddHostResult,
  checkCallFilter,
  checkHistoryRow,
  checkName,
  checkRouteFilter,
  checkRouteHost,
  checkRouteKey,
  checkStatusRow,
  type HistoryRow,
  type NameList,
  nextVersion,
  type RemoveHostResult,
  type RemoveModuleResult,
  type ReportStore,
  type ReportStoreOptions,
  type RouteChangeRow,
  type RouteFilter,
  type RouteRow,
  type RouteStore,
  type StatusRow,
} from "./types.ts";

export type { SqliteStoreOptions };

/** `RouteStore` on a SQLite file (or `:memory:`). */
export class SqliteRouteStore implements RouteStore {
  readonly #db: SqliteDb;

  /**
   * Opens (creating the file and its directory when missing) the database at
   * `path`; call `init()` before use.
   * @throws {StoreError} when the file cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.#db = new SqliteDb(path, options);
  }

  /** Creates missing route tables and the `RouteVersion` row. */
  init(): Promise<void> {
    return this.#db.call(
      "init",
      noCheck,
      () => this.#db.transaction(() => this.#db.exec(ROUTE_SCHEMA.sqlite)),
    );
  }

  /** The current route version. */
  version(): Promise<number> {
    return this.#db.call("version", noCheck, () => this.#readVersion());
  }

  /** Every `RouteData` row. */
  loadRoutes(): Promise<RouteRow[]> {
    return this.#db.call(
      "loadRoutes",
      noCheck,
      () => this.#db.all("SELECT modid, cmdid, serverip, serverport FROM RouteData").map(_routeRow),
    );
  }

  /** `RouteChange` rows with `version <= upTo`, oldest first. */
  changesUpTo(upTo: number): Promise<RouteChangeRow[]> {
    return this.#db.call("changesUpTo", noCheck, () =>
      this.#db.all(
        "SELECT modid, cmdid, version FROM RouteChange WHERE version <= ? ORDER BY id",
        [upTo],
      ).map((row) => ({
        modid: sqliteInt(row, "modid"),
        cmdid: sqliteInt(row, "cmdid"),
        version: sqliteInt(row, "version"),
      })));
  }

  /** Deletes `RouteChange` rows with `version <= upTo`. */
  deleteChangesUpTo(upTo: number): Promise<number> {
    return this.#db.call(
      "deleteChangesUpTo",
      noCheck,
      () => this.#db.run("DELETE FROM RouteChange WHERE version <= ?", [upTo]),
    );
  }

  /** Deletes every `RouteChange` row. */
  deleteAllChanges(): Promise<number> {
    return this.#db.call(
      "deleteAllChanges",
      noCheck,
      () => this.#db.run("DELETE FROM RouteChange"),
    );
  }

  /** Adds a host; see `RouteStore.addHost`. */
  addHost(modid: number, cmdid: number, ip: number, port: number): Promise<AddHostResult> {
    const check = () => checkRouteHost(modid, cmdid, ip, port);
    return this.#db.call("addHost", check, () =>
      this.#db.transaction(() => {
        const previous = this.#readVersion();
        const found = this.#db.get(
          "SELECT 1 AS found FROM RouteData " +
            "WHERE modid = ? AND cmdid = ? AND serverip = ? AND serverport = ? LIMIT 1",
          [modid, cmdid, ip, port],
        );
        if (found) return { added: false, version: previous };
        this.#db.run(
          "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
          [modid, cmdid, ip, port],
        );
        return { added: true, version: this.#bumpVersion(modid, cmdid, previous) };
      }));
  }

  /** Removes a host; see `RouteStore.removeHost`. */
  removeHost(modid: number, cmdid: number, ip: number, port: number): Promise<RemoveHostResult> {
    const check = () => checkRouteHost(modid, cmdid, ip, port);
    return this.#db.call("removeHost", check, () =>
      this.#db.transaction(() => {
        const previous = this.#readVersion();
        const deleted = this.#db.run(
          "DELETE FROM RouteData WHERE modid = ? AND cmdid = ? AND serverip = ? AND serverport = ?",
          [modid, cmdid, ip, port],
        );
        if (deleted === 0) return { removed: false, version: previous };
        return { removed: true, version: this.#bumpVersion(modid, cmdid, previous) };
      }));
  }

  /** Removes every host of a module; see `RouteStore.removeModule`. */
  removeModule(modid: number, cmdid: number): Promise<RemoveModuleResult> {
    const check = () => checkRouteKey(modid, cmdid);
    return this.#db.call("removeModule", check, () =>
      this.#db.transaction(() => {
        const previous = this.#readVersion();
        const removed = this.#db.run("DELETE FROM RouteData WHERE modid = ? AND cmdid = ?", [
          modid,
          cmdid,
        ]);
        if (removed === 0) return { removed, version: previous };
        return { removed, version: this.#bumpVersion(modid, cmdid, previous) };
      }));
  }

  /** `RouteData` rows ordered by modid, cmdid, ip, port, optionally filtered. */
  listRoutes(filter: RouteFilter = {}): Promise<RouteRow[]> {
    const { sql, params } = listRoutesQuery(filter);
    return this.#db.call(
      "listRoutes",
      () => checkRouteFilter(filter),
      () => this.#db.all(sql, params).map(_routeRow),
    );
  }

  /** Sets the name of a module id. */
  setModName(modid: number, name: string): Promise<void> {
    const check = () => (checkRouteKey(modid, 0), checkName(name));
    return this.#db.call(
      "setModName",
      check,
      () => this.#setName("ModIDConfig", "modid", modid, name),
    );
  }

  /** Sets the name of a command id. */
  setCmdName(cmdid: number, name: string): Promise<void> {
    const check = () => (checkRouteKey(0, cmdid), checkName(name));
    return this.#db.call(
      "setCmdName",
      check,
      () => this.#setName("CmdIDConfig", "cmdid", cmdid, name),
    );
  }

  /** All module and command names. */
  listNames(): Promise<NameList> {
    return this.#db.call("listNames", noCheck, () => ({
      modules: this.#db.all("SELECT modid, content FROM ModIDConfig ORDER BY modid, id")
        .map((row) => ({ modid: sqliteInt(row, "modid"), name: String(row.content) })),
      commands: this.#db.all("SELECT cmdid, content FROM CmdIDConfig ORDER BY cmdid, id")
        .map((row) => ({ cmdid: sqliteInt(row, "cmdid"), name: String(row.content) })),
    }));
  }

  /** Closes the database. */
  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }

  #setName(
    table: "ModIDConfig" | "CmdIDConfig",
    column: "modid" | "cmdid",
    id: number,
    name: string,
  ) {
    this.#db.transaction(() => {
      const updated = this.#db.run(`UPDATE ${table} SET content = ? WHERE ${column} = ?`, [
        name,
        id,
      ]);
      if (updated === 0) {
        this.#db.run(`INSERT INTO ${table} (${column}, content) VALUES (?, ?)`, [id, name]);
      }
    });
  }

  #readVersion(): number {
    const row = this.#db.get("SELECT version FROM RouteVersion WHERE id = 1");
    return row ? sqliteInt(row, "version") : 0;
  }

  #bumpVersion(modid: number, cmdid: number, previous: number): number {
    const version = nextVersion(previous);
    this.#db.run("INSERT INTO RouteChange (modid, cmdid, version) VALUES (?, ?, ?)", [
      modid,
      cmdid,
      version,
    ]);
    this.#db.run("INSERT OR REPLACE INTO RouteVersion (id, version) VALUES (1, ?)", [version]);
    return version;
  }
}

function _routeRow(row: SqliteRow): RouteRow {
  return {
    modid: sqliteInt(row, "modid"),
    cmdid: sqliteInt(row, "cmdid"),
    ip: sqliteInt(row, "serverip"),
    port: sqliteInt(row, "serverport"),
  };
}

/** `ReportStore` on a SQLite file (or `:memory:`). */
export class SqliteReportStore implements ReportStore {
  readonly #db: SqliteDb;
  readonly #history: boolean;

  /**
   * Opens (creating the file and its directory when missing) the database at
   * `path`; call `init()` before use.
   * @throws {StoreError} when the file cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions & ReportStoreOptions = {}) {
    this.#db = new SqliteDb(path, options);
    this.#history = options.history ?? false;
  }

  /** Creates `ServerCallStatus` (and `ServerCallHistory` with `history`) when missing. */
  init(): Promise<void> {
    const schema = [...STATUS_SCHEMA.sqlite, ...(this.#history ? HISTORY_SCHEMA.sqlite : [])];
    return this.#db.call("init", noCheck, () => this.#db.transaction(() => this.#db.exec(schema)));
  }

  /** Upserts `rows` in one transaction with multi-row statements. */
  upsertStatus(rows: readonly StatusRow[]): Promise<void> {
    const check = () => rows.forEach(checkStatusRow);
    return this.#db.call("upsertStatus", check, () =>
      this.#db.transaction(() => {
        const sqlFor = (size: number) => statusUpsertSql("sqlite", size);
        for (const { sql, params } of chunkedStatements(rows, sqlFor, pushStatusParams)) {
          this.#db.run(sql, params);
        }
      }));
  }

  /** Upserts `rows` one autocommitted statement at a time (the benchmark baseline). */
  upsertStatusOneByOne(rows: readonly StatusRow[]): Promise<void> {
    const check = () => rows.forEach(checkStatusRow);
    return this.#db.call("upsertStatusOneByOne", check, () => {
      const sql = statusUpsertSql("sqlite", 1);
      for (const row of rows) {
        const params: (number | string | null)[] = [];
        pushStatusParams(params, [row]);
        this.#db.run(sql, params);
      }
    });
  }

  /** Adds `rows` to the per-minute sums in one transaction. */
  addHistory(rows: readonly HistoryRow[]): Promise<void> {
    const check = () => {
      if (!this.#history) throw new TypeError("Cannot add history: store opened without history");
      rows.forEach(checkHistoryRow);
    };
    return this.#db.call("addHistory", check, () =>
      this.#db.transaction(() => {
        const sqlFor = (size: number) => historyAddSql("sqlite", size);
        for (const { sql, params } of chunkedStatements(rows, sqlFor, pushHistoryParams)) {
          this.#db.run(sql, params);
        }
      }));
  }

  /** `ServerCallStatus` rows ordered by key, optionally filtered. */
  listStatus(filter: RouteFilter = {}): Promise<StatusRow[]> {
    const { sql, params } = listStatusQuery(filter);
    return this.#db.call(
      "listStatus",
      () => checkCallFilter(filter),
      () =>
        this.#db.all(sql, params).map((row) => ({
          modid: sqliteInt(row, "modid"),
          cmdid: sqliteInt(row, "cmdid"),
          ip: sqliteInt(row, "ip"),
          port: sqliteInt(row, "port"),
          caller: sqliteInt(row, "caller"),
          succ: sqliteInt(row, "succ_cnt"),
          err: sqliteInt(row, "err_cnt"),
          ts: sqliteInt(row, "ts"),
          overload: row.overload === "1",
        })),
    );
  }

  /** `ServerCallHistory` rows ordered by key and minute, optionally filtered. */
  listHistory(filter: RouteFilter = {}): Promise<HistoryRow[]> {
    const { sql, params } = listHistoryQuery(filter);
    const check = () => {
      if (!this.#history) throw new TypeError("Cannot list history: store opened without history");
      checkCallFilter(filter);
    };
    return this.#db.call("listHistory", check, () =>
      this.#db.all(sql, params).map((row) => ({
        modid: sqliteInt(row, "modid"),
        cmdid: sqliteInt(row, "cmdid"),
        ip: sqliteInt(row, "ip"),
        port: sqliteInt(row, "port"),
        caller: sqliteInt(row, "caller"),
        minute: sqliteInt(row, "minute"),
        succ: sqliteInt(row, "succ_sum"),
        err: sqliteInt(row, "err_sum"),
      })));
  }

  /** Closes the database. */
  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

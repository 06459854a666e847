/**
 * Production stores on MySQL or MariaDB through a mysql2 pool: prepared
 * statements only, route edits and status batches in one transaction each,
 * every failure a `StoreError` (see `mysql_db.ts`). Works on a database made by
 * the original Lars SQL script as it is.
 *
 * @module
 */

import {
  type MysqlConnectionConfig,
  MysqlDb,
  type MysqlExecutor,
  type MysqlRow,
  type MysqlStoreOptions,
} from "./mysql_db.ts";
import { listRoutesQuery, ROUTE_SCHEMA } from "./schema.ts";
import {
  type AddHostResult,
  checkName,
  checkRouteFilter,
  checkRouteHost,
  checkRouteKey,
  type NameList,
  nextVersion,
  type RemoveHostResult,
  type RemoveModuleResult,
  type RouteChangeRow,
  type RouteFilter,
  type RouteRow,
  type RouteStore,
} from "./types.ts";

export type { MysqlConnectionConfig, MysqlStoreOptions };
export { MysqlReportStore } from "./mysql_report.ts";

interface _VersionRow extends MysqlRow {
  version: number;
}

interface _RouteDataRow extends MysqlRow {
  modid: number;
  cmdid: number;
  serverip: number;
  serverport: number;
}

interface _ChangeRow extends MysqlRow {
  modid: number;
  cmdid: number;
  version: number;
}

interface _IdRow extends MysqlRow {
  id: number;
}

interface _ModNameRow extends MysqlRow {
  modid: number;
  content: string;
}

interface _CmdNameRow extends MysqlRow {
  cmdid: number;
  content: string;
}

function _routeRow(row: _RouteDataRow): RouteRow {
  return {
    modid: Number(row.modid),
    cmdid: Number(row.cmdid),
    ip: Number(row.serverip),
    port: Number(row.serverport),
  };
}

/** `RouteStore` on MySQL/MariaDB. */
export class MysqlRouteStore implements RouteStore {
  readonly #db: MysqlDb;

  /** Creates the pool (no connection yet); call `init()` before use. */
  constructor(config: MysqlConnectionConfig, options: MysqlStoreOptions = {}) {
    this.#db = new MysqlDb(config, options);
  }

  /** Creates missing route tables and the `RouteVersion` row. */
  init(): Promise<void> {
    return this.#db.exec("init", ROUTE_SCHEMA.mysql);
  }

  /** The current route version. */
  version(): Promise<number> {
    return this.#db.call("version", (db) => _readVersion(db, false));
  }

  /** Every `RouteData` row. */
  loadRoutes(): Promise<RouteRow[]> {
    return this.#db.call("loadRoutes", async (db) =>
      (await db.rows<_RouteDataRow>(
        "SELECT modid, cmdid, serverip, serverport FROM RouteData",
      )).map(_routeRow));
  }

  /** `RouteChange` rows with `version <= upTo`, oldest first. */
  changesUpTo(upTo: number): Promise<RouteChangeRow[]> {
    return this.#db.call("changesUpTo", async (db) =>
      (await db.rows<_ChangeRow>(
        "SELECT modid, cmdid, version FROM RouteChange WHERE version <= ? ORDER BY id",
        [upTo],
      )).map((row) => ({
        modid: Number(row.modid),
        cmdid: Number(row.cmdid),
        version: Number(row.version),
      })));
  }

  /** Deletes `RouteChange` rows with `version <= upTo`. */
  deleteChangesUpTo(upTo: number): Promise<number> {
    return this.#db.call(
      "deleteChangesUpTo",
      (db) => db.run("DELETE FROM RouteChange WHERE version <= ?", [upTo]),
    );
  }

  /** Deletes every `RouteChange` row. */
  deleteAllChanges(): Promise<number> {
    return this.#db.call("deleteAllChanges", (db) => db.run("DELETE FROM RouteChange"));
  }

  /** Adds a host; see `RouteStore.addHost`. */
  async addHost(modid: number, cmdid: number, ip: number, port: number): Promise<AddHostResult> {
    checkRouteHost(modid, cmdid, ip, port);
    return await this.#db.transaction("addHost", async (tx) => {
      const previous = await _readVersion(tx, true);
      const found = await tx.rows<_IdRow>(
        "SELECT id FROM RouteData " +
          "WHERE modid = ? AND cmdid = ? AND serverip = ? AND serverport = ? LIMIT 1",
        [modid, cmdid, ip, port],
      );
      if (found.length > 0) return { added: false, version: previous };
      await tx.run(
        "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
        [modid, cmdid, ip, port],
      );
      return { added: true, version: await _bumpVersion(tx, modid, cmdid, previous) };
    });
  }

  /** Removes a host; see `RouteStore.removeHost`. */
  async removeHost(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
  ): Promise<RemoveHostResult> {
    checkRouteHost(modid, cmdid, ip, port);
    return await this.#db.transaction("removeHost", async (tx) => {
      const previous = await _readVersion(tx, true);
      const deleted = await tx.run(
        "DELETE FROM RouteData WHERE modid = ? AND cmdid = ? AND serverip = ? AND serverport = ?",
        [modid, cmdid, ip, port],
      );
      if (deleted === 0) return { removed: false, version: previous };
      return { removed: true, version: await _bumpVersion(tx, modid, cmdid, previous) };
    });
  }

  /** Removes every host of a module; see `RouteStore.removeModule`. */
  async removeModule(modid: number, cmdid: number): Promise<RemoveModuleResult> {
    checkRouteKey(modid, cmdid);
    return await this.#db.transaction("removeModule", async (tx) => {
      const previous = await _readVersion(tx, true);
      const removed = await tx.run("DELETE FROM RouteData WHERE modid = ? AND cmdid = ?", [
        modid,
        cmdid,
      ]);
      if (removed === 0) return { removed, version: previous };
      return { removed, version: await _bumpVersion(tx, modid, cmdid, previous) };
    });
  }

  /** `RouteData` rows ordered by modid, cmdid, ip, port, optionally filtered. */
  async listRoutes(filter: RouteFilter = {}): Promise<RouteRow[]> {
    checkRouteFilter(filter);
    const { sql, params } = listRoutesQuery(filter);
    return await this.#db.call(
      "listRoutes",
      async (db) => (await db.rows<_RouteDataRow>(sql, params)).map(_routeRow),
    );
  }

  /** Sets the name of a module id. */
  async setModName(modid: number, name: string): Promise<void> {
    checkRouteKey(modid, 0);
    checkName(name);
    await this.#db.transaction("setModName", (tx) => _setName(tx, "mod", modid, name));
  }

  /** Sets the name of a command id. */
  async setCmdName(cmdid: number, name: string): Promise<void> {
    checkRouteKey(0, cmdid);
    checkName(name);
    await this.#db.transaction("setCmdName", (tx) => _setName(tx, "cmd", cmdid, name));
  }

  /** All module and command names. */
  listNames(): Promise<NameList> {
    return this.#db.call("listNames", async (db) => ({
      modules: (await db.rows<_ModNameRow>(
        "SELECT modid, content FROM ModIDConfig ORDER BY modid, id",
      )).map((row) => ({ modid: Number(row.modid), name: row.content })),
      commands: (await db.rows<_CmdNameRow>(
        "SELECT cmdid, content FROM CmdIDConfig ORDER BY cmdid, id",
      )).map((row) => ({ cmdid: Number(row.cmdid), name: row.content })),
    }));
  }

  /** Ends the pool. */
  close(): Promise<void> {
    return this.#db.close();
  }
}

/** Reads `RouteVersion` id 1 (0 when the row is missing), locking it inside a transaction. */
async function _readVersion(db: MysqlExecutor, forUpdate: boolean): Promise<number> {
  const rows = await db.rows<_VersionRow>(
    forUpdate
      ? "SELECT version FROM RouteVersion WHERE id = 1 FOR UPDATE"
      : "SELECT version FROM RouteVersion WHERE id = 1",
  );
  return rows.length > 0 ? Number(rows[0].version) : 0;
}

async function _bumpVersion(
  tx: MysqlExecutor,
  modid: number,
  cmdid: number,
  previous: number,
): Promise<number> {
  const version = nextVersion(previous);
  await tx.run("INSERT INTO RouteChange (modid, cmdid, version) VALUES (?, ?, ?)", [
    modid,
    cmdid,
    version,
  ]);
  await tx.run(
    "INSERT INTO RouteVersion (id, version) VALUES (1, ?) " +
      "ON DUPLICATE KEY UPDATE version = VALUES(version)",
    [version],
  );
  return version;
}

const _NAME_SQL = {
  mod: {
    find: "SELECT id FROM ModIDConfig WHERE modid = ? FOR UPDATE",
    update: "UPDATE ModIDConfig SET content = ? WHERE modid = ?",
    insert: "INSERT INTO ModIDConfig (content, modid) VALUES (?, ?)",
  },
  cmd: {
    find: "SELECT id FROM CmdIDConfig WHERE cmdid = ? FOR UPDATE",
    update: "UPDATE CmdIDConfig SET content = ? WHERE cmdid = ?",
    insert: "INSERT INTO CmdIDConfig (content, cmdid) VALUES (?, ?)",
  },
} as const;

async function _setName(tx: MysqlExecutor, kind: "mod" | "cmd", id: number, name: string) {
  const sql = _NAME_SQL[kind];
  const found = await tx.rows<_IdRow>(sql.find, [id]);
  await tx.run(found.length > 0 ? sql.update : sql.insert, [name, id]);
}

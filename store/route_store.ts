/**
 * `RouteStore` on a driver: each method runs one operation of `route_ops.ts`
 * or `route_admin_ops.ts`. `SqliteRouteStore` and `MysqlRouteStore` are this
 * store on the SQLite and the MySQL driver.
 *
 * @module
 */

import { type MysqlConnectionConfig, MysqlDriver, type MysqlStoreOptions } from "./mysql.ts";
import type { Driver } from "./operation.ts";
import {
  importRoutes,
  listAudit,
  listChanges,
  listModules,
  listNames,
  listRoutes,
  loadModuleRoutes,
  removeName,
  setName,
} from "./route_admin_ops.ts";
import {
  addHost,
  changesSince,
  changesUpTo,
  deleteAllChanges,
  deleteChangesBefore,
  deleteChangesUpTo,
  initRoutes,
  loadRoutes,
  readRouteVersion,
  removeHost,
  removeModule,
  setHostWeight,
  updateHost,
} from "./route_ops.ts";
import { fleetHosts } from "./report_ops.ts";
import { SqliteDriver, type SqliteStoreOptions } from "./sqlite.ts";
import type {
  AddHostArgs,
  AddHostResult,
  AuditRow,
  FleetHostRow,
  HostArgs,
  ImportOptions,
  ImportResult,
  ModuleSummary,
  NameList,
  Page,
  RemoveHostResult,
  RemoveModuleResult,
  RouteChangeRow,
  RouteFilter,
  RouteRow,
  RouteStore,
  SetWeightArgs,
  UpdateHostArgs,
  UpdateHostResult,
} from "./types.ts";

/** A `RouteStore` whose operations run on `driver`. */
export class DriverRouteStore implements RouteStore {
  readonly #driver: Driver;

  /** Uses `driver` (and closes it on `close()`). */
  constructor(driver: Driver) {
    this.#driver = driver;
  }

  /** Creates missing route tables and indexes and the `RouteVersion` row. */
  init(): Promise<void> {
    return this.#driver.perform(initRoutes);
  }

  /** The current route version. */
  version(): Promise<number> {
    return this.#driver.perform(readRouteVersion);
  }

  /** Every `RouteData` row. */
  loadRoutes(): Promise<RouteRow[]> {
    return this.#driver.perform(loadRoutes);
  }

  /** `RouteChange` rows with `version <= upTo`, oldest first. */
  changesUpTo(upTo: number): Promise<RouteChangeRow[]> {
    return this.#driver.perform(changesUpTo, upTo);
  }

  /** Deletes `RouteChange` rows with `version <= upTo`. */
  deleteChangesUpTo(upTo: number): Promise<number> {
    return this.#driver.perform(deleteChangesUpTo, upTo);
  }

  /** Deletes every `RouteChange` row. */
  deleteAllChanges(): Promise<number> {
    return this.#driver.perform(deleteAllChanges);
  }

  /** `RouteChange` rows with `version >= version`, ordered by version then id. */
  changesSince(version: number): Promise<RouteChangeRow[]> {
    return this.#driver.perform(changesSince, version);
  }

  /** Deletes `RouteChange` rows with `version < version`. */
  deleteChangesBefore(version: number): Promise<number> {
    return this.#driver.perform(deleteChangesBefore, version);
  }

  /** The change log, newest first. */
  listChanges(page: Page): Promise<{ total: number; changes: RouteChangeRow[] }> {
    return this.#driver.perform(listChanges, page);
  }

  /** The fleet's view of every host; see `RouteStore.fleetHosts`. */
  fleetHosts(since: number): Promise<FleetHostRow[]> {
    return this.#driver.perform(fleetHosts, since);
  }

  /** Adds a host; see `RouteStore.addHost`. */
  addHost(...args: AddHostArgs): Promise<AddHostResult> {
    return this.#driver.perform(addHost, ...args);
  }

  /** Removes a host; see `RouteStore.removeHost`. */
  removeHost(...args: HostArgs): Promise<RemoveHostResult> {
    return this.#driver.perform(removeHost, ...args);
  }

  /** Removes every host of a module; see `RouteStore.removeModule`. */
  removeModule(modid: number, cmdid: number, actor?: string): Promise<RemoveModuleResult> {
    return this.#driver.perform(removeModule, modid, cmdid, actor);
  }

  /** Moves a host; see `RouteStore.updateHost`. */
  updateHost(...args: UpdateHostArgs): Promise<UpdateHostResult> {
    return this.#driver.perform(updateHost, ...args);
  }

  /** Sets a host's weight; see `RouteStore.setHostWeight`. */
  setHostWeight(...args: SetWeightArgs): Promise<UpdateHostResult> {
    return this.#driver.perform(setHostWeight, ...args);
  }

  /** Imports rows in one transaction; see `RouteStore.importRoutes`. */
  importRoutes(rows: readonly RouteRow[], options: ImportOptions): Promise<ImportResult> {
    return this.#driver.perform(importRoutes, rows, options);
  }

  /** `RouteData` rows of these modules. */
  loadModuleRoutes(keys: readonly { modid: number; cmdid: number }[]): Promise<RouteRow[]> {
    return this.#driver.perform(loadModuleRoutes, keys);
  }

  /** `RouteData` rows ordered by modid, cmdid, ip, port, optionally filtered and paged. */
  listRoutes(filter: RouteFilter & Partial<Page> = {}): Promise<RouteRow[]> {
    return this.#driver.perform(listRoutes, filter);
  }

  /** Modules with host counts; see `RouteStore.listModules`. */
  listModules(
    query: Page & { search?: string },
  ): Promise<{ total: number; modules: ModuleSummary[] }> {
    return this.#driver.perform(listModules, query);
  }

  /** Sets the name of a module id. */
  async setModName(modid: number, name: string, actor?: string): Promise<void> {
    await this.#driver.perform(setName, "mod", modid, name, actor);
  }

  /** Sets the name of a command id. */
  async setCmdName(cmdid: number, name: string, actor?: string): Promise<void> {
    await this.#driver.perform(setName, "cmd", cmdid, name, actor);
  }

  /** Removes the name of a module id. */
  removeModName(modid: number, actor?: string): Promise<boolean> {
    return this.#driver.perform(removeName, "mod", modid, actor);
  }

  /** Removes the name of a command id. */
  removeCmdName(cmdid: number, actor?: string): Promise<boolean> {
    return this.#driver.perform(removeName, "cmd", cmdid, actor);
  }

  /** All module and command names. */
  listNames(): Promise<NameList> {
    return this.#driver.perform(listNames);
  }

  /** The audit log, newest first. */
  listAudit(page: Page): Promise<{ total: number; entries: AuditRow[] }> {
    return this.#driver.perform(listAudit, page);
  }

  /** Releases the connection(s). */
  close(): Promise<void> {
    return this.#driver.close();
  }
}

/** `RouteStore` on a SQLite file (or `:memory:`). */
export class SqliteRouteStore extends DriverRouteStore {
  /**
   * Opens (creating the file, mode 0600, and its directory when missing) the
   * database at `path`; call `init()` before use.
   * @throws {StoreError} when the file cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    super(new SqliteDriver(path, options));
  }
}

/** `RouteStore` on MySQL/MariaDB. */
export class MysqlRouteStore extends DriverRouteStore {
  /** Creates the pool (no connection yet); call `init()` before use. */
  constructor(config: MysqlConnectionConfig, options: MysqlStoreOptions = {}) {
    super(new MysqlDriver(config, options));
  }
}

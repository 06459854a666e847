/**
 * Row types, store interfaces and the store error class shared by the SQLite
 * and MySQL stores. All addresses are unsigned 32-bit integers
 * (`0 ..= 0xFFFFFFFF`, first octet most significant), as MySQL stores them.
 *
 * @module
 */

import { isPort, isUint32 } from "../proto/ip.ts";

/** One host of a module: a row of `RouteData`. */
export interface RouteRow {
  /** Module id (business area). */
  modid: number;
  /** Command id (one service inside the module). */
  cmdid: number;
  /** Host IPv4 address as an unsigned 32-bit integer (`serverip`). */
  ip: number;
  /** Host port (`serverport`). */
  port: number;
}

/** A module that changed at a route version: a row of `RouteChange`. */
export interface RouteChangeRow {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** The route version written together with the change. */
  version: number;
}

/** Narrows `listRoutes` to one module id and/or one command id. */
export interface RouteFilter {
  /** Only rows with this module id. */
  modid?: number;
  /** Only rows with this command id. */
  cmdid?: number;
}

/** Result of `RouteStore.addHost`. */
export interface AddHostResult {
  /** False when the host was already a member of the module (nothing written). */
  added: boolean;
  /** The route version after the call (unchanged when `added` is false). */
  version: number;
}

/** Result of `RouteStore.removeHost`. */
export interface RemoveHostResult {
  /** False when the host was not a member of the module (nothing written). */
  removed: boolean;
  /** The route version after the call (unchanged when `removed` is false). */
  version: number;
}

/** Result of `RouteStore.removeModule`. */
export interface RemoveModuleResult {
  /** How many hosts were removed; 0 means nothing was written. */
  removed: number;
  /** The route version after the call (unchanged when `removed` is 0). */
  version: number;
}

/** A human name of a module id (`ModIDConfig`). */
export interface ModuleName {
  /** Module id. */
  modid: number;
  /** Its name (`content`, at most 255 characters). */
  name: string;
}

/** A human name of a command id (`CmdIDConfig`). */
export interface CommandName {
  /** Command id. */
  cmdid: number;
  /** Its name (`content`, at most 255 characters). */
  name: string;
}

/** All names known to the web admin. */
export interface NameList {
  /** Module names, ordered by module id. */
  modules: ModuleName[];
  /** Command names, ordered by command id. */
  commands: CommandName[];
}

/** Routes, versions and change log: what the DNS service, CLI and web admin use. */
export interface RouteStore {
  /** Creates missing tables (never drops) and the `RouteVersion` row `id = 1`. */
  init(): Promise<void>;
  /** The current route version (`RouteVersion` row `id = 1`). */
  version(): Promise<number>;
  /** Every row of `RouteData`, in no particular order. */
  loadRoutes(): Promise<RouteRow[]>;
  /** `RouteChange` rows with `version <= upTo`, oldest first. */
  changesUpTo(upTo: number): Promise<RouteChangeRow[]>;
  /** Deletes `RouteChange` rows with `version <= upTo`; resolves to how many. */
  deleteChangesUpTo(upTo: number): Promise<number>;
  /** Deletes every `RouteChange` row; resolves to how many. */
  deleteAllChanges(): Promise<number>;
  /**
   * Adds a host to a module. Writes `RouteData`, a `RouteChange` row and the new
   * `RouteVersion` (`max(now in seconds, previous + 1)`) in one transaction.
   * A host that is already present is a no-op with `added: false`.
   */
  addHost(modid: number, cmdid: number, ip: number, port: number): Promise<AddHostResult>;
  /** Removes a host from a module, like `addHost`; an absent host gives `removed: false`. */
  removeHost(modid: number, cmdid: number, ip: number, port: number): Promise<RemoveHostResult>;
  /** Removes every host of a module, like `addHost`; no hosts gives `removed: 0`. */
  removeModule(modid: number, cmdid: number): Promise<RemoveModuleResult>;
  /** `RouteData` rows ordered by modid, cmdid, ip, port; optionally filtered. */
  listRoutes(filter?: RouteFilter): Promise<RouteRow[]>;
  /** Sets (inserts or replaces) the name of a module id. */
  setModName(modid: number, name: string): Promise<void>;
  /** Sets (inserts or replaces) the name of a command id. */
  setCmdName(cmdid: number, name: string): Promise<void>;
  /** All module and command names. */
  listNames(): Promise<NameList>;
  /** Releases the connection(s); the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Latest call statistics of one host as seen by one caller: a `ServerCallStatus` row. */
export interface StatusRow {
  /** Module id (signed 32-bit). */
  modid: number;
  /** Command id (signed 32-bit). */
  cmdid: number;
  /** Host address, unsigned 32-bit. */
  ip: number;
  /** Host port. */
  port: number;
  /** Caller address, unsigned 32-bit. */
  caller: number;
  /** Successful calls (`succ_cnt`, `0 ..= 2^31-1`). */
  succ: number;
  /** Failed calls (`err_cnt`, `0 ..= 2^31-1`). */
  err: number;
  /** Report time in unix seconds. */
  ts: number;
  /** Whether the host is overloaded (stored as `'1'`/`'0'`). */
  overload: boolean;
}

/** Calls of one host by one caller summed over one minute: a `ServerCallHistory` row. */
export interface HistoryRow {
  /** Module id (signed 32-bit). */
  modid: number;
  /** Command id (signed 32-bit). */
  cmdid: number;
  /** Host address, unsigned 32-bit. */
  ip: number;
  /** Host port. */
  port: number;
  /** Caller address, unsigned 32-bit. */
  caller: number;
  /** Start of the minute in unix seconds (a multiple of 60). */
  minute: number;
  /** Successful calls to add to `succ_sum`. */
  succ: number;
  /** Failed calls to add to `err_sum`. */
  err: number;
}

/** Options of a report store. */
export interface ReportStoreOptions {
  /**
   * Create and allow writing the `ServerCallHistory` table.
   * @default false
   */
  history?: boolean;
}

/** Call statistics: what the report service writes. */
export interface ReportStore {
  /** Creates `ServerCallStatus` (and `ServerCallHistory` with `history: true`) when missing. */
  init(): Promise<void>;
  /**
   * Upserts many rows in one transaction with multi-row statements. For one key
   * the row with the newest `ts` wins; on equal `ts` the later row wins.
   */
  upsertStatus(rows: readonly StatusRow[]): Promise<void>;
  /** Same result as `upsertStatus`, one autocommitted statement per row (the original's way). */
  upsertStatusOneByOne(rows: readonly StatusRow[]): Promise<void>;
  /**
   * Adds calls to the per-minute sums in one transaction.
   * @throws {TypeError} when the store was opened without `history: true`
   */
  addHistory(rows: readonly HistoryRow[]): Promise<void>;
  /** `ServerCallStatus` rows ordered by key, optionally for one module id and/or command id. */
  listStatus(filter?: RouteFilter): Promise<StatusRow[]>;
  /**
   * `ServerCallHistory` rows ordered by key and minute, optionally filtered.
   * @throws {TypeError} when the store was opened without `history: true`
   */
  listHistory(filter?: RouteFilter): Promise<HistoryRow[]>;
  /** Releases the connection(s); the store is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * A connection or query failure of a store (server down, lock timeout, lost
 * connection). Callers may retry. Bad arguments throw `TypeError`/`RangeError`
 * instead, before anything is sent.
 */
export class StoreError extends Error {
  /** Wraps `cause` with a message naming the failed operation. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
  }
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7FFFFFFF;

function _checkInt(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${what}: ${value} is not an integer in ${min} ..= ${max}`);
  }
}

/**
 * Checks a route key: module and command ids are `0 ..= 2^31-1` (positive
 * `int32` on the wire, `int unsigned` in the original schema).
 * @throws {RangeError} when an id is out of range
 */
export function checkRouteKey(modid: number, cmdid: number): void {
  _checkInt("modid", modid, 0, INT32_MAX);
  _checkInt("cmdid", cmdid, 0, INT32_MAX);
}

/**
 * Checks the ids of a `listRoutes` filter.
 * @throws {RangeError} when an id is out of range
 */
export function checkRouteFilter(filter: RouteFilter): void {
  if (filter.modid !== undefined) _checkInt("modid", filter.modid, 0, INT32_MAX);
  if (filter.cmdid !== undefined) _checkInt("cmdid", filter.cmdid, 0, INT32_MAX);
}

/**
 * Checks the ids of a `listStatus`/`listHistory` filter (signed 32-bit ids).
 * @throws {RangeError} when an id is out of range
 */
export function checkCallFilter(filter: RouteFilter): void {
  if (filter.modid !== undefined) _checkInt("modid", filter.modid, INT32_MIN, INT32_MAX);
  if (filter.cmdid !== undefined) _checkInt("cmdid", filter.cmdid, INT32_MIN, INT32_MAX);
}

/**
 * Checks a route key and a host.
 * @throws {RangeError} when a value is out of range
 */
export function checkRouteHost(modid: number, cmdid: number, ip: number, port: number): void {
  checkRouteKey(modid, cmdid);
  if (!isUint32(ip)) throw new RangeError(`Invalid ip: ${ip} is not an unsigned 32-bit integer`);
  if (!isPort(port)) throw new RangeError(`Invalid port: ${port} is not in 1 ..= 65535`);
}

function _checkCallKey(row: StatusRow | HistoryRow): void {
  _checkInt("modid", row.modid, INT32_MIN, INT32_MAX);
  _checkInt("cmdid", row.cmdid, INT32_MIN, INT32_MAX);
  if (!isUint32(row.ip)) throw new RangeError(`Invalid ip: ${row.ip} is not unsigned 32-bit`);
  if (!isPort(row.port)) throw new RangeError(`Invalid port: ${row.port} is not in 1 ..= 65535`);
  if (!isUint32(row.caller)) {
    throw new RangeError(`Invalid caller: ${row.caller} is not unsigned 32-bit`);
  }
}

/**
 * Checks a status row before it is written.
 * @throws {RangeError} when a value does not fit its column
 * @throws {TypeError} when `overload` is not a boolean
 */
export function checkStatusRow(row: StatusRow): void {
  _checkCallKey(row);
  _checkInt("succ", row.succ, 0, INT32_MAX);
  _checkInt("err", row.err, 0, INT32_MAX);
  _checkInt("ts", row.ts, 0, Number.MAX_SAFE_INTEGER);
  if (typeof row.overload !== "boolean") {
    throw new TypeError(`Invalid overload: expected a boolean, got ${typeof row.overload}`);
  }
}

/**
 * Checks a history row before it is written.
 * @throws {RangeError} when a value does not fit its column or `minute` is not a multiple of 60
 */
export function checkHistoryRow(row: HistoryRow): void {
  _checkCallKey(row);
  _checkInt("succ", row.succ, 0, Number.MAX_SAFE_INTEGER);
  _checkInt("err", row.err, 0, Number.MAX_SAFE_INTEGER);
  _checkInt("minute", row.minute, 0, Number.MAX_SAFE_INTEGER);
  if (row.minute % 60 !== 0) {
    throw new RangeError(`Invalid minute: ${row.minute} is not a multiple of 60 seconds`);
  }
}

/**
 * Checks a module or command name (`char(255)`).
 * @throws {TypeError} when it is not a string
 * @throws {RangeError} when it is longer than 255 characters
 */
export function checkName(name: string): void {
  if (typeof name !== "string") throw new TypeError("Invalid name: expected a string");
  if ([...name].length > 255) {
    throw new RangeError(`Invalid name: ${[...name].length} characters exceed 255`);
  }
}

/** The next route version: `max(now in seconds, previous + 1)`, so every edit changes it. */
export function nextVersion(previous: number, nowMs: number = Date.now()): number {
  return Math.max(Math.floor(nowMs / 1000), previous + 1);
}

/**
 * Row types, store interfaces and the store error class shared by the SQLite
 * and MySQL stores. All addresses are unsigned 32-bit integers
 * (`0 ..= 0xFFFFFFFF`, first octet most significant), as MySQL stores them.
 *
 * @module
 */

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
  /** Share of picks (`weight`, our column; absent means 1). */
  weight?: number;
}

/** A module that changed at a route version: a row of `RouteChange`. */
export interface RouteChangeRow {
  /** `RouteChange.id` (auto-increment): the order of changes within one version. */
  id: number;
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

/** A page of a listing: at most `limit` items after skipping `offset`. */
export interface Page {
  /** Most items returned, `1 ..= 100000`. */
  limit: number;
  /** Items skipped, `0 ..= 2^31-1`. */
  offset: number;
}

/** What an audit row records. */
export type AuditAction = "add" | "remove" | "update" | "remove-module" | "import" | "name";

/** One route or name edit: a row of `RouteAudit` *(ours)*. */
export interface AuditRow {
  /** `RouteAudit.id` (auto-increment). */
  id: number;
  /** When, in unix seconds. */
  ts: number;
  /** Who (the `actor` of the write; empty when none was given). */
  user: string;
  /** What kind of edit. */
  action: AuditAction;
  /** The module id edited (0 for an import or a command name). */
  modid: number;
  /** The command id edited (0 for an import or a module name). */
  cmdid: number;
  /** What changed, in words (hosts as `a.b.c.d:port`). */
  detail: string;
}

/** One module of `listModules`: a key with its number of hosts. */
export interface ModuleSummary {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** `RouteData` rows of the module. */
  hosts: number;
}

/** Result of `RouteStore.updateHost`. */
export interface UpdateHostResult {
  /** False when the old host is absent or the new one exists already (nothing written). */
  updated: boolean;
  /** The route version after the call. */
  version: number;
}

/** Result of `RouteStore.importRoutes`. */
export interface ImportResult {
  /** Hosts added. */
  added: number;
  /** Hosts removed (only with `replace`). */
  removed: number;
  /** The route version after the call (unchanged when nothing changed). */
  version: number;
}

/** Options of `RouteStore.importRoutes`. */
export interface ImportOptions {
  /** True: each module named in the rows holds exactly those rows afterwards. */
  replace: boolean;
  /** Who imports (recorded in `RouteAudit`). */
  actor?: string;
}

/** Arguments of `addHost` and `removeHost`. */
export type HostArgs = [modid: number, cmdid: number, ip: number, port: number, actor?: string];

/** Arguments of `addHost`: the host, who adds it, and its weight (default 1, `1..10000`). */
export type AddHostArgs = [
  modid: number,
  cmdid: number,
  ip: number,
  port: number,
  actor?: string,
  weight?: number,
];

/** Arguments of `setHostWeight`: the host, its new weight (`1..10000`), who sets it. */
export type SetWeightArgs = [
  modid: number,
  cmdid: number,
  ip: number,
  port: number,
  weight: number,
  actor?: string,
];

/**
 * Arguments of `updateHost`: the host, where it moves, who moves it, and
 * optionally its new weight (`1..10000`; absent keeps the one it has).
 */
export type UpdateHostArgs = [
  modid: number,
  cmdid: number,
  ip: number,
  port: number,
  newIp: number,
  newPort: number,
  actor?: string,
  weight?: number,
];

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
  /** `RouteChange` rows with `version >= version`, ordered by version then id. */
  changesSince(version: number): Promise<RouteChangeRow[]>;
  /** Deletes `RouteChange` rows with `version < version` (retention); resolves to how many. */
  deleteChangesBefore(version: number): Promise<number>;
  /** The change log, newest first, and how many rows it holds. */
  listChanges(page: Page): Promise<{ total: number; changes: RouteChangeRow[] }>;
  /**
   * The fleet's view of every host from the reporter's `ServerCallStatus`
   * (in the same database): per host, the callers that reported at or after
   * `since` (Unix seconds) and how many of them had it overloaded.
   * @throws {StoreError} when the table is missing (no reporter writes here)
   */
  fleetHosts(since: number): Promise<FleetHostRow[]>;
  /**
   * Adds a host to a module. Writes `RouteData`, a `RouteChange` row, the new
   * `RouteVersion` (`max(now in seconds, previous + 1)`) and a `RouteAudit`
   * row in one transaction. A host that is already present is a no-op with
   * `added: false`. `actor` says who (a web user, or `cli:<os user>`);
   * `weight` is the host's share of picks (default 1).
   */
  addHost(...args: AddHostArgs): Promise<AddHostResult>;
  /** Removes a host from a module, like `addHost`; an absent host gives `removed: false`. */
  removeHost(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
    actor?: string,
  ): Promise<RemoveHostResult>;
  /** Removes every host of a module, like `addHost`; no hosts gives `removed: 0`. */
  removeModule(modid: number, cmdid: number, actor?: string): Promise<RemoveModuleResult>;
  /**
   * Moves host `ip:port` of module `modid/cmdid` to `newIp:newPort`, like
   * `addHost`, and sets its `weight` when given (in the same transaction);
   * `updated: false` when the old host is absent or the new one exists
   * already.
   */
  updateHost(...args: UpdateHostArgs): Promise<UpdateHostResult>;
  /**
   * Sets a host's weight (`1..10000`), like `addHost`; `updated: false` when
   * the host is absent or already has that weight (nothing written).
   */
  setHostWeight(...args: SetWeightArgs): Promise<UpdateHostResult>;
  /**
   * Imports rows in one transaction: one `RouteChange` row per module that
   * changed, one version bump, one audit row. With `replace` each module named
   * in `rows` holds exactly those rows afterwards (a row without `weight` has
   * weight 1); without, rows are added and a row with a `weight` sets it.
   */
  importRoutes(rows: readonly RouteRow[], options: ImportOptions): Promise<ImportResult>;
  /** `RouteData` rows of these modules, ordered by modid, cmdid, ip, port. */
  loadModuleRoutes(keys: readonly { modid: number; cmdid: number }[]): Promise<RouteRow[]>;
  /**
   * `RouteData` rows ordered by modid, cmdid, ip, port; optionally filtered and
   * paged (`offset` without `limit` skips rows and returns the rest).
   */
  listRoutes(filter?: RouteFilter & Partial<Page>): Promise<RouteRow[]>;
  /**
   * Modules (keys with at least one host) with their host counts, ordered by
   * modid, cmdid. `search` matches a module or command id given as a number,
   * or a substring of a module or command name.
   */
  listModules(
    query: Page & { search?: string },
  ): Promise<{ total: number; modules: ModuleSummary[] }>;
  /** Sets (inserts or replaces) the name of a module id. */
  setModName(modid: number, name: string, actor?: string): Promise<void>;
  /** Sets (inserts or replaces) the name of a command id. */
  setCmdName(cmdid: number, name: string, actor?: string): Promise<void>;
  /** Removes the name of a module id; false when it had none. */
  removeModName(modid: number, actor?: string): Promise<boolean>;
  /** Removes the name of a command id; false when it had none. */
  removeCmdName(cmdid: number, actor?: string): Promise<boolean>;
  /** All module and command names. */
  listNames(): Promise<NameList>;
  /** The audit log, newest first, and how many rows it holds. */
  listAudit(page: Page): Promise<{ total: number; entries: AuditRow[] }>;
  /** Releases the connection(s); the store is unusable afterwards. */
  close(): Promise<void>;
}

/** How many callers of one host reported lately, and how many of them saw it overloaded. */
export interface FleetHostRow {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Host IPv4 address, unsigned. */
  ip: number;
  /** Host port. */
  port: number;
  /** Callers (agents) with a `ServerCallStatus` row for the host since the asked time. */
  callers: number;
  /** Of them, those whose last report had the host overloaded. */
  overloaded: number;
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

/** Narrows `listHistory` to a key and to minutes from `since` on. */
export interface HistoryFilter extends RouteFilter {
  /** Only rows with `minute >= since` (unix seconds). */
  since?: number;
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
  /**
   * Adds calls to the per-minute sums in one transaction.
   * @throws {TypeError} when the store was opened without `history: true`
   */
  addHistory(rows: readonly HistoryRow[]): Promise<void>;
  /** `ServerCallStatus` rows ordered by key, optionally for one module id and/or command id. */
  listStatus(filter?: RouteFilter): Promise<StatusRow[]>;
  /**
   * `ServerCallHistory` rows ordered by key and minute, optionally filtered by
   * key and by `since` (unix seconds: rows with `minute >= since`).
   * @throws {TypeError} when the store was opened without `history: true`
   */
  listHistory(filter?: HistoryFilter): Promise<HistoryRow[]>;
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

/**
 * A route write refused because a module would outgrow one DNS answer frame:
 * nothing was written (the transaction that checked it was rolled back).
 */
export class ModuleTooLargeError extends Error {
  /** The module's id. */
  readonly modid: number;
  /** The module's command id. */
  readonly cmdid: number;
  /** Hosts the module would have after the write. */
  readonly hosts: number;
  /** Bytes its route answer would take. */
  readonly bytes: number;
  /** The most bytes an answer body may take. */
  readonly limit: number;

  /** `action` says what was refused, e.g. `refusing to import`. */
  constructor(
    action: string,
    module: { modid: number; cmdid: number; hosts: number; bytes: number; limit: number },
  ) {
    super(
      `${action}: module ${module.modid}/${module.cmdid} would have ${module.hosts} hosts, a ` +
        `route answer of ${module.bytes} bytes, over the ${module.limit}-byte limit of one ` +
        "frame (DNS would serve only part of the module). Spread the hosts over more modules " +
        "(another cmdid) instead.",
    );
    this.name = "ModuleTooLargeError";
    this.modid = module.modid;
    this.cmdid = module.cmdid;
    this.hosts = module.hosts;
    this.bytes = module.bytes;
    this.limit = module.limit;
  }
}

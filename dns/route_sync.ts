/**
 * Keeps the DNS service's route table in step with the store, and says which
 * modules to push:
 *
 * - Every poll reads `RouteVersion` (one row). When it moved, or for a short
 *   while after it last moved, the `RouteChange` rows from just below the
 *   newest version seen are read ({@linkcode ChangeTracker}); only the modules
 *   named in rows not seen before are reloaded (`loadModuleRoutes`) and pushed.
 * - The whole table is reloaded as a safety net every `reloadIntervalMs`, and
 *   at once after a gap (a version no change row explains) or a failed poll.
 *   A whole reload pushes the modules whose hosts differ from the old table.
 * - Rows are never deleted here: other DNS instances on the same store may
 *   not have read them yet (see `DnsService` for the retention clean-up).
 * - Invalid rows are skipped ({@linkcode InvalidRowLog}); a module too big for
 *   a frame is served a subset and reported once per size.
 *
 * @module
 */
import type { Logger } from "../reactor/log.ts";
import type { RouteChangeRow, RouteStore } from "../store/types.ts";
import { ChangeTracker, type ChangeTrackerOptions } from "./change_tracker.ts";
import { MAX_BODY_SIZE } from "./frame_budget.ts";
import { LoopYielder } from "./loop_yield.ts";
import { type PackedTable, packRowsInSlices } from "./packed_table.ts";
import { moduleKey, type OversizedModule, RouteMap, type RouteMapOptions } from "./route_map.ts";
import { InvalidRowLog, moduleKeyProblem } from "./route_rows.ts";

/** Counters a {@linkcode RouteSync} moves. */
export type RouteSyncCounter =
  | "reloads"
  | "moduleReloads"
  | "versionChanges"
  | "changesRead"
  | "gaps"
  | "invalidRows"
  | "oversizedModules";

/** Options of a {@linkcode RouteSync}. */
export interface RouteSyncOptions extends ChangeTrackerOptions {
  /** Where routes are read from. */
  store: RouteStore;
  /** Logger. */
  log: Logger;
  /** Counts events. */
  count: (name: RouteSyncCounter, by?: number) => void;
  /**
   * Reload the whole table at least this often, in ms.
   * @default 60000
   */
  reloadIntervalMs?: number;
  /**
   * Reads and packs the whole table (default: `store.loadRoutes()` on this
   * thread, packed in slices between event-loop turns).
   */
  loadAll?: () => Promise<PackedTable>;
  /** Hosts the fleet sees overloaded (`HostInfo.fleetOverload`); see `fleet_health.ts`. */
  fleetOverloaded?: RouteMapOptions["fleetOverloaded"];
  /**
   * When new change rows name more modules than this (a bulk import), the
   * whole table is reloaded instead (through `loadAll`, off the event loop
   * on SQLite) and the modules that differ are pushed.
   * @default 2000
   */
  bulkModules?: number;
}

/** A module whose answer may have changed. */
export interface ChangedModule {
  /** Its key ({@linkcode moduleKey}). */
  key: string;
  /**
   * Version of its oldest new change row (a Unix time for most writers), or
   * null when a whole-table reload found the difference.
   */
  version: number | null;
}

/** What one poll found. */
export interface SyncResult {
  /** Modules to push. */
  changed: ChangedModule[];
  /** The route version after the poll. */
  version: number;
}

/**
 * Modules whose hosts differ between two tables, compared a slice at a time
 * between event-loop turns (10,000 modules take a few ms).
 */
async function changedModules(before: RouteMap, after: RouteMap): Promise<ChangedModule[]> {
  const changed: ChangedModule[] = [];
  const yielder = new LoopYielder();
  for (const key of after.keys()) {
    if (!after.sameModule(before, key)) changed.push({ key, version: null });
    if (yielder.due) await yielder.yield();
  }
  for (const key of before.keys()) {
    if (after.hostsOfKey(key) === 0) changed.push({ key, version: null }); // removed
    if (yielder.due) await yielder.yield();
  }
  return changed;
}

/** The route table and how it follows the store. */
export class RouteSync {
  #store: RouteStore;
  #loadAll: () => Promise<PackedTable>;
  #log: Logger;
  #count: (name: RouteSyncCounter, by?: number) => void;
  #reloadIntervalMs: number;
  #bulkModules: number;
  #clock: () => number;
  #tracker: ChangeTracker;
  #invalid: InvalidRowLog;
  #oversized = new Map<string, number>();
  #mapOptions: RouteMapOptions;
  #table: RouteMap;
  #lastFull = -Infinity;
  #needFull = true;

  /** Creates the sync with an empty table; {@linkcode poll} loads it. */
  constructor(options: RouteSyncOptions) {
    this.#store = options.store;
    this.#mapOptions = {
      onOversized: (m) => this.#noteOversized(m),
      fleetOverloaded: options.fleetOverloaded,
    };
    this.#loadAll = options.loadAll ??
      (async () => packRowsInSlices(await options.store.loadRoutes()));
    this.#log = options.log;
    this.#count = options.count;
    this.#reloadIntervalMs = options.reloadIntervalMs ?? 60_000;
    this.#bulkModules = options.bulkModules ?? 2000;
    this.#clock = options.clock ?? Date.now;
    this.#tracker = new ChangeTracker(options);
    this.#invalid = new InvalidRowLog({
      report: (line) => {
        this.#count("invalidRows");
        this.#log.warn(line);
      },
    });
    this.#table = new RouteMap([], this.#mapOptions);
  }

  /** The current table. */
  get table(): RouteMap {
    return this.#table;
  }

  /** The route version the table reflects (-1 before the first load). */
  get version(): number {
    return this.#tracker.version ?? -1;
  }

  /** Makes the next poll reload the whole table (call after a failed poll). */
  markGap(): void {
    this.#needFull = true;
  }

  /**
   * One step: reads the version and, as needed, the change rows and routes.
   * Throws on a store error; the table is then unchanged or partly updated,
   * so call {@linkcode markGap} and poll again.
   */
  async poll(): Promise<SyncResult> {
    const store = this.#store;
    const version = await store.version();
    if (this.#needFull) return { changed: await this.#reloadAll(version, true), version };
    const tracker = this.#tracker;
    let changed: ChangedModule[] = [];
    if (tracker.shouldRead(version)) {
      const rows = await store.changesSince(tracker.since());
      if (version !== tracker.version) this.#count("versionChanges");
      const { fresh, gap } = tracker.accept(version, rows);
      this.#count("changesRead", fresh.length);
      if (gap) {
        this.#count("gaps");
        this.#log.info(
          `route version ${version} has no change rows this instance has not seen; ` +
            `reloading every module`,
        );
        return { changed: await this.#reloadAll(version, true), version };
      }
      if (fresh.length > 0) changed = await this.#reloadModules(version, fresh);
    }
    // The safety net runs on time even while changes keep coming.
    if (this.#clock() - this.#lastFull >= this.#reloadIntervalMs) {
      const more = await this.#reloadAll(version, false);
      const have = new Set(changed.map((c) => c.key));
      changed = [...changed, ...more.filter((c) => !have.has(c.key))];
    }
    return { changed, version };
  }

  /**
   * Reloads the modules named in `changes` (or, past `bulkModules`, the whole
   * table); resolves to the modules to push.
   */
  async #reloadModules(
    version: number,
    changes: readonly RouteChangeRow[],
  ): Promise<ChangedModule[]> {
    const keys = new Map<string, { modid: number; cmdid: number; version: number }>();
    for (const change of changes) {
      const { modid, cmdid } = change;
      // A change row of another writer may name ids no answer can carry; the
      // rows of such a module are invalid anyway (see InvalidRowLog).
      if (moduleKeyProblem(modid, cmdid) !== null) continue;
      const key = moduleKey(modid, cmdid);
      const seen = keys.get(key);
      if (!seen || change.version < seen.version) {
        keys.set(key, { modid, cmdid, version: change.version });
      }
    }
    if (keys.size === 0) return [];
    if (keys.size > this.#bulkModules) {
      const differ = await this.#reloadAll(version, false);
      // Date each pushed module by its change row where it has one.
      return differ.map(({ key }) => ({ key, version: keys.get(key)?.version ?? null }));
    }
    const rows = await this.#store.loadModuleRoutes([...keys.values()]);
    const table = this.#table;
    table.replaceModules(keys.keys(), this.#invalid.filter(rows));
    this.#count("moduleReloads", keys.size);
    const shown = [...keys.values()].slice(0, 5).map((k) => `${k.modid}/${k.cmdid}`).join(", ");
    this.#log.info(
      `routes reloaded: ${keys.size} changed module${keys.size === 1 ? "" : "s"} (${shown}` +
        `${keys.size > 5 ? ", ..." : ""}); ${table.moduleCount} modules, ${table.hostCount} hosts`,
      { modules: table.moduleCount, hosts: table.hostCount, changed: keys.size },
    );
    return [...keys].map(([key, { version }]) => ({ key, version }));
  }

  /**
   * Reloads every module and swaps the new table in; resolves to the modules
   * whose hosts changed. With `restart`, the change tracker starts over at
   * `version` (after a gap or a failure), else it keeps its place.
   */
  async #reloadAll(version: number, restart: boolean): Promise<ChangedModule[]> {
    let seen: RouteChangeRow[] = [];
    if (restart) {
      seen = await this.#store.changesSince(Math.max(0, version - this.#tracker.overlap));
    }
    const packed = await this.#loadAll();
    this.#invalid.filter(packed.invalid); // reports each invalid row once
    const table = await RouteMap.fromPacked(packed, this.#mapOptions);
    if (restart) this.#tracker.begin(version, seen);
    const first = this.#lastFull === -Infinity;
    const changed = first ? [] : await changedModules(this.#table, table);
    this.#table = table;
    this.#lastFull = this.#clock();
    this.#needFull = false;
    this.#count("reloads");
    if ((restart && !first) || changed.length > 0) {
      this.#log.info(
        `routes reloaded at version ${version}: ${table.moduleCount} modules, ` +
          `${table.hostCount} hosts, ${changed.length} modules differed`,
        {
          version,
          modules: table.moduleCount,
          hosts: table.hostCount,
          differed: changed.length,
        },
      );
    }
    return changed;
  }

  #noteOversized(m: OversizedModule): void {
    const key = moduleKey(m.modid, m.cmdid);
    if (this.#oversized.get(key) === m.hosts) return;
    this.#oversized.set(key, m.hosts);
    this.#count("oversizedModules");
    this.#log.warn(
      `module ${m.modid}/${m.cmdid} has ${m.hosts} hosts: its answer would be ${m.bytes} bytes, ` +
        `over the ${MAX_BODY_SIZE}-byte frame limit; serving the first ${m.served} ` +
        `(lowest address and port)`,
    );
  }
}

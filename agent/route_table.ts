/**
 * The modules of one agent shard: the original's `route_lb`, a map
 * `(modid, cmdid) -> LoadBalance`. Pure and synchronous: it never sends
 * anything itself but tells its caller when a pull to DNS is due.
 *
 * **Time**: every `now` is Unix time in **seconds**, as in {@linkcode LoadBalance}.
 *
 * @module
 */
import { type HostInfo, type ReportStatusRequest, RetCode } from "../proto/mod.ts";
import {
  type ChooseResult,
  LoadBalance,
  type LoadBalanceOptions,
  resolveLoadBalanceOptions,
  type TransitionListener,
} from "./load_balance.ts";

/** A module name: the pair `(modid, cmdid)`; also the shape of a GetRouteRequest. */
export interface ModuleId {
  /** Module id (int32). */
  readonly modid: number;
  /** Command id within the module (int32). */
  readonly cmdid: number;
}

/**
 * Answer of {@linkcode RouteTable.getHost}: the balancer's choice, plus `pull`,
 * true when the caller must now send a GetRouteRequest for the module to DNS
 * (the table has already marked the module `"pulling"`).
 */
export type GetHostResult = ChooseResult & {
  readonly pull: boolean;
  /** True when an unknown module was not created because the table is full (`maxModules`). */
  readonly refused?: boolean;
};

/** Answer of {@linkcode RouteTable.getRoute}: every host, plus `pull` as in {@linkcode GetHostResult}. */
export interface GetRouteResult {
  /** The module's hosts; empty while its route is not loaded. */
  readonly hosts: HostInfo[];
  /** True when the caller must send a GetRouteRequest for the module to DNS. */
  readonly pull: boolean;
  /** True when an unknown module was not created because the table is full (`maxModules`). */
  readonly refused?: boolean;
}

/**
 * What {@linkcode RouteTable.applyUpdate} did: `"updated"` the module's hosts,
 * `"deleted"` the module (empty answer), or `"ignored"` an answer for a module
 * the table does not know (as the original does).
 */
export type RouteUpdateOutcome = "updated" | "deleted" | "ignored";

/** Map key of a module: one number when `modid` is small, text otherwise (never collides). */
type ModuleKey = number | string;

const MODID_NUMERIC_LIMIT = 2 ** 20;

const REFUSED_HOST: GetHostResult = Object.freeze({
  code: RetCode.NOEXIST,
  pull: false,
  refused: true,
});

function _moduleKey(modid: number, cmdid: number): ModuleKey {
  // |modid * 2^32| <= 2^52, so the sum stays an exact integer below 2^53.
  if (Number.isInteger(modid) && modid >= -MODID_NUMERIC_LIMIT && modid < MODID_NUMERIC_LIMIT) {
    return modid * 0x1_0000_0000 + (cmdid >>> 0);
  }
  return `${modid}:${cmdid}`;
}

/** Options of a {@linkcode RouteTable} beyond the balancer tuning. */
export interface RouteTableLimits {
  /**
   * Most modules the table holds. A request for an unknown module past it
   * answers `RET_NOEXIST` (or no hosts) with `refused`, and creates nothing.
   * @default Infinity
   */
  maxModules?: number;
}

/**
 * The balancers of one shard, keyed by `(modid, cmdid)`. Every module it knows
 * either has hosts or has a pull to DNS in flight or due. The table never holds
 * more than `maxModules` modules; a module DNS answers empty is forgotten.
 *
 * @example
 * ```ts
 * import { RouteTable } from "./route_table.ts";
 * const table = new RouteTable();
 * console.log(table.getHost(1, 2, 100)); // { code: 3, pull: true }: send a pull
 * table.applyUpdate(1, 2, [{ ip: 2130706433, port: 9000 }], 101);
 * console.log(table.getHost(1, 2, 102).code); // 0
 * ```
 */
export class RouteTable {
  /** The resolved tuning every balancer of this table runs with. */
  readonly options: Readonly<LoadBalanceOptions>;
  readonly #modules = new Map<ModuleKey, LoadBalance>();
  readonly #onTransition: TransitionListener | undefined;
  readonly #maxModules: number;
  #refused = 0;

  /**
   * An empty table; `onTransition` hears every host taken out or put back, in any module.
   *
   * @throws {RangeError} when an option or limit is invalid (see {@linkcode resolveLoadBalanceOptions})
   */
  constructor(
    options: Partial<LoadBalanceOptions> = {},
    onTransition?: TransitionListener,
    limits: RouteTableLimits = {},
  ) {
    this.options = resolveLoadBalanceOptions(options);
    this.#onTransition = onTransition;
    const max = limits.maxModules ?? Infinity;
    if (!(max >= 1)) throw new RangeError(`maxModules must be >= 1, got ${max}`);
    this.#maxModules = max;
  }

  /** The most modules this table holds. */
  get maxModules(): number {
    return this.#maxModules;
  }

  /** Requests for unknown modules refused because the table was full, since creation. */
  get refused(): number {
    return this.#refused;
  }

  /** Every balancer, in the order the modules were first asked for. */
  balancers(): IterableIterator<LoadBalance> {
    return this.#modules.values();
  }

  /** Number of known modules. */
  get size(): number {
    return this.#modules.size;
  }

  /** The balancer of a module, or `undefined` when the module is unknown. */
  get(modid: number, cmdid: number): LoadBalance | undefined {
    return this.#modules.get(_moduleKey(modid, cmdid));
  }

  /** Every known module, in the order they were first asked for. */
  modules(): ModuleId[] {
    return Array.from(this.#modules.values(), ({ modid, cmdid }) => ({ modid, cmdid }));
  }

  /**
   * `get_host`: an unknown module is created in state `"pulling"` and answers
   * `RET_NOEXIST` with `pull`; a module without hosts answers `RET_NOEXIST`
   * while its pull is in flight (a lost pull is sent again by the main isolate
   * when DNS reconnects); otherwise the balancer
   * chooses, and `pull` is set when the route is due for a refresh.
   */
  getHost(modid: number, cmdid: number, now: number): GetHostResult {
    const lb = this.get(modid, cmdid);
    if (lb === undefined) {
      if (!this.#tryCreate(modid, cmdid)) return REFUSED_HOST;
      return { code: RetCode.NOEXIST, pull: true };
    }
    const pull = this.#pullIfDue(lb, now);
    if (lb.isEmpty()) return { code: RetCode.NOEXIST, pull };
    return { ...lb.choose(now), pull };
  }

  /**
   * `get_route`: every host of a known module, with the same refresh check as
   * {@linkcode getHost}; an unknown module is created and answers no hosts with `pull`.
   */
  getRoute(modid: number, cmdid: number, now: number): GetRouteResult {
    const lb = this.get(modid, cmdid);
    if (lb === undefined) {
      if (!this.#tryCreate(modid, cmdid)) return { hosts: [], pull: false, refused: true };
      return { hosts: [], pull: true };
    }
    const pull = this.#pullIfDue(lb, now);
    return { hosts: lb.hosts(), pull };
  }

  /**
   * `report`: applies one call's outcome to the module's balancer.
   *
   * @param retcode `RET_SUCC` (0) for success, anything else for failure
   * @returns whether the module and host are known
   */
  report(
    modid: number,
    cmdid: number,
    ip: number,
    port: number,
    retcode: number,
    now: number,
  ): boolean {
    return this.get(modid, cmdid)?.report(ip, port, retcode, now) ?? false;
  }

  /**
   * A DNS answer (reply or push) for a module: an empty host list deletes the
   * module; otherwise its balancer is updated (state `"new"`, `lastUpdate = now`).
   */
  applyUpdate(
    modid: number,
    cmdid: number,
    hosts: readonly HostInfo[],
    now: number,
  ): RouteUpdateOutcome {
    const key = _moduleKey(modid, cmdid);
    const lb = this.#modules.get(key);
    if (lb === undefined) return "ignored";
    if (hosts.length === 0) {
      this.#modules.delete(key);
      return "deleted";
    }
    lb.update(hosts, now);
    return "updated";
  }

  /**
   * Forgets a module that has no hosts (its pull was refused by the main
   * isolate, whose own module cap is reached); answers whether it was removed.
   * A module with hosts is kept.
   */
  forget(modid: number, cmdid: number): boolean {
    const key = _moduleKey(modid, cmdid);
    const lb = this.#modules.get(key);
    if (lb === undefined || !lb.isEmpty()) return false;
    return this.#modules.delete(key);
  }

  /**
   * Restores a module from the agent's route cache at start: it gets `hosts`
   * with `lastUpdate = updatedAt` and state `"new"`, so it serves at once and
   * is pulled again at its first use once `update_timeout` has passed since
   * `updatedAt`. Does nothing for an empty list, a module already known, or a
   * full table.
   *
   * @param updatedAt Unix time in seconds when the route was last confirmed
   */
  restore(modid: number, cmdid: number, hosts: readonly HostInfo[], updatedAt: number): boolean {
    if (hosts.length === 0 || this.get(modid, cmdid) !== undefined) return false;
    if (!this.#tryCreate(modid, cmdid)) return false;
    this.#modules.get(_moduleKey(modid, cmdid))!.update(hosts, updatedAt);
    return true;
  }

  /**
   * Statistics of every module reported on since the last call, one message per
   * module (see {@linkcode LoadBalance.snapshot}); clears their dirty flags.
   *
   * @param caller the agent's IPv4 address, unsigned
   * @param now Unix time in seconds
   */
  takeDirtySnapshots(caller: number, now: number): ReportStatusRequest[] {
    const snapshots: ReportStatusRequest[] = [];
    for (const lb of this.#modules.values()) {
      if (lb.dirty && !lb.isEmpty()) snapshots.push(lb.takeSnapshot(caller, now));
    }
    return snapshots;
  }

  /** Creates an unknown module in state `"pulling"`; false (counted) when the table is full. */
  #tryCreate(modid: number, cmdid: number): boolean {
    if (this.#modules.size >= this.#maxModules) {
      this.#refused++;
      return false;
    }
    this.#create(modid, cmdid);
    return true;
  }

  #create(modid: number, cmdid: number): void {
    const lb = new LoadBalance(modid, cmdid, this.options, this.#onTransition);
    lb.markPulling();
    this.#modules.set(_moduleKey(modid, cmdid), lb);
  }

  #pullIfDue(lb: LoadBalance, now: number): boolean {
    if (!lb.needsRefresh(now)) return false;
    lb.markPulling();
    return true;
  }
}

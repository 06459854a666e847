/**
 * The balancer of one module `(modid, cmdid)`: the original agent's
 * `load_balance`. Pure and synchronous; the caller passes the clock in.
 *
 * **Time**: every `now` is Unix time in **seconds** (fractions allowed), the
 * unit of the `[loadbalance]` windows and of `ReportStatusRequest.ts`.
 *
 * @module
 */
import { type HostInfo, type ReportStatusRequest, RetCode } from "../proto/mod.ts";
import {
  HostIndex,
  type HostKey,
  hostKey,
  HostRing,
  HostState,
  type HostStats,
  type StateReason,
} from "./host_list.ts";
import { BalanceRules } from "./balance_rules.ts";
import type { HostHealthView } from "./host_health.ts";
import { type LoadBalanceOptions, resolveLoadBalanceOptions } from "./load_balance_options.ts";
import { overloadTimeoutRule, putBackRule, takeOutRule, windowRule } from "./state_rules.ts";

export type { HostStats, StateReason } from "./host_list.ts";
export type { HostHealthView } from "./host_health.ts";
export {
  DEFAULT_LOAD_BALANCE_OPTIONS,
  type LoadBalanceOptions,
  ORIGINAL_RULES,
  resolveLoadBalanceOptions,
} from "./load_balance_options.ts";

/** A host moved between the idle and overload lists; see {@linkcode LoadBalance}. */
export interface HostTransition {
  /** Module id. */
  readonly modid: number;
  /** Command id. */
  readonly cmdid: number;
  /** Host IPv4 address, unsigned. */
  readonly ip: number;
  /** Host port. */
  readonly port: number;
  /** True when the host was taken out (now overloaded), false when put back. */
  readonly overload: boolean;
  /** Why. */
  readonly reason: StateReason;
  /** When, in seconds. */
  readonly at: number;
  /** Whether the module is in panic after the change (see {@linkcode LoadBalance.panic}). */
  readonly panic: boolean;
}

/** Told about every {@linkcode HostTransition}. */
export type TransitionListener = (transition: HostTransition) => void;

/**
 * Route state of a module: `"pulling"` while a GetRouteRequest to DNS is in
 * flight (from creation on), `"new"` once an answer arrived.
 */
export type LoadBalanceStatus = "new" | "pulling";

/**
 * What {@linkcode LoadBalance.choose} answers: a host, `RET_OVERLOAD` when
 * every host is overloaded and it is not yet time to probe one, or
 * `RET_NOEXIST` when the module has no host at all.
 */
export type ChooseResult =
  | { readonly code: typeof RetCode.SUCC; readonly host: HostInfo }
  | { readonly code: typeof RetCode.OVERLOAD }
  | { readonly code: typeof RetCode.NOEXIST };

const OVERLOADED: ChooseResult = Object.freeze({ code: RetCode.OVERLOAD });
const NO_HOST: ChooseResult = Object.freeze({ code: RetCode.NOEXIST });
const FLEET_OVERLOAD_REASON: StateReason = Object.freeze({
  rule: "fleet_overload",
  text: "the fleet sees it overloaded (DNS verdict) and this agent has not called it yet",
});

/**
 * Balancer of one module. Hosts are keyed by `ip:port`; each is in exactly one
 * of two round-robin lists, idle or overloaded, and moves between them by the
 * rules of docs/balancing-rules.md.
 *
 * @example
 * ```ts
 * import { LoadBalance } from "./load_balance.ts";
 * const lb = new LoadBalance(1, 2);
 * lb.update([{ ip: 2130706433, port: 9000 }], 1_700_000_000);
 * const picked = lb.choose();
 * if (picked.code === 0) lb.report(picked.host.ip, picked.host.port, 0, 1_700_000_001);
 * ```
 */
export class LoadBalance {
  /** Module id. */
  readonly modid: number;
  /** Command id within the module. */
  readonly cmdid: number;
  /** The resolved tuning this balancer runs with. */
  readonly options: Readonly<LoadBalanceOptions>;
  readonly #hosts = new HostIndex();
  readonly #idle = new HostRing();
  readonly #overloaded = new HostRing();
  #accessCount = 0;
  #status: LoadBalanceStatus = "pulling";
  #lastUpdate = 0;
  #dirty = false;
  readonly #onTransition: TransitionListener | undefined;
  /** Our rules beyond the original's (ejection cap, probe pacing, slow start, weights). */
  readonly #rules: BalanceRules;

  /**
   * An empty balancer in state `"pulling"` (the original creates one when it
   * sends the first pull), with `lastUpdate = 0`. `onTransition` hears every
   * host that is taken out or put back.
   *
   * @throws {RangeError} when an option is invalid (see {@linkcode resolveLoadBalanceOptions})
   */
  constructor(
    modid: number,
    cmdid: number,
    options: Partial<LoadBalanceOptions> = {},
    onTransition?: TransitionListener,
  ) {
    this.modid = modid;
    this.cmdid = cmdid;
    this.options = resolveLoadBalanceOptions(options);
    this.#onTransition = onTransition;
    this.#rules = new BalanceRules(this.options);
  }

  /** Route state: `"pulling"` while a pull to DNS is in flight. */
  get status(): LoadBalanceStatus {
    return this.#status;
  }

  /** When the route was last updated from DNS, in seconds; 0 before the first update. */
  get lastUpdate(): number {
    return this.#lastUpdate;
  }

  /** True when a report changed the counters since the last {@linkcode takeSnapshot}. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Picks counted since the last probe of an overloaded host. */
  get accessCount(): number {
    return this.#accessCount;
  }

  /**
   * True when more hosts are overloaded than `maxEjectionPercent` allows out
   * of rotation: the least-bad of them are kept in.
   */
  get panic(): boolean {
    return this.#rules.pardoned > 0;
  }

  /** Number of hosts. */
  get size(): number {
    return this.#hosts.size;
  }

  /** True when the module has no host (its route is not loaded yet). */
  isEmpty(): boolean {
    return this.#hosts.size === 0;
  }

  /** Records that a pull to DNS was sent: state `"pulling"`. */
  markPulling(): void {
    this.#status = "pulling";
  }

  /**
   * True when the route should be pulled again: the state is `"new"` and either
   * `now - lastUpdate > updateTimeout` or the module has no host.
   */
  needsRefresh(now: number): boolean {
    if (this.#status !== "new") return false;
    return this.isEmpty() || now - this.#lastUpdate > this.options.updateTimeout;
  }

  /**
   * Picks a host (the original's `choice_one_host`). The hosts in rotation are
   * the idle ones plus, in panic, the pardoned overloaded ones. With hosts in
   * rotation, takes the next of them, except every `probeNum + 1`-th pick
   * while some host is due for a probe, which probes the first due host of the
   * overload list. With none in rotation, answers `RET_OVERLOAD` `probeNum`
   * times, then probes. A taken host moves to its list's tail.
   *
   * With equal weights, no slow start and no panic, "next" is the idle list's
   * head; otherwise smooth weighted round robin over weight times slow-start
   * share.
   *
   * @param now Unix time in seconds; without it the time-based rules (probe
   * pacing, repeat ejections, slow start) are skipped for this pick
   */
  choose(now: number = Number.POSITIVE_INFINITY): ChooseResult {
    if (this.#hosts.size === 0) return NO_HOST;
    const probe = this.#rules.dueProbe(this.#overloaded, now);
    if (this.#idle.isEmpty() && this.#rules.pardoned === 0) {
      if (probe === undefined) return OVERLOADED;
      if (this.#accessCount < this.options.probeNum) {
        this.#accessCount++;
        return OVERLOADED;
      }
      this.#accessCount = 0;
      return this.#probe(probe);
    }
    if (probe === undefined) return this.#pickInRotation(now);
    if (this.#accessCount >= this.options.probeNum) {
      this.#accessCount = 0;
      return this.#probe(probe);
    }
    this.#accessCount++;
    return this.#pickInRotation(now);
  }

  /**
   * Applies the outcome of one call to `ip:port` (the original's `report`):
   * counts it, then, in this order, an idle host that failed may turn
   * overloaded (`err_rate`, `contin_err_limit`); an overloaded host that
   * succeeded may turn idle (`succ_rate`, `contin_succ_limit`); otherwise the
   * idle window (`idle_timeout`, `window_err_rate`) or the overload timeout is
   * checked. Marks the balancer dirty.
   *
   * @param retcode `RET_SUCC` (0) for success, anything else for failure
   * @param now Unix time in seconds
   * @returns whether the host is known; an unknown host changes nothing
   */
  report(ip: number, port: number, retcode: number, now: number): boolean {
    const host = this.#hosts.get(ip, port);
    if (host === undefined) return false;
    this.#dirty = true;
    const succeeded = retcode === RetCode.SUCC;
    if (succeeded) host.countSuccess();
    else host.countFailure();
    host.health.called = true;
    if (host.overload && !succeeded) this.#rules.failedWhileOverloaded(host, now);

    if (!host.overload && !succeeded) {
      const reason = takeOutRule(host, this.options);
      if (reason) return this.#moveToOverloaded(host, now, reason);
    } else if (host.overload && succeeded) {
      const reason = putBackRule(host, this.options);
      if (reason) return this.#moveToIdle(host, now, reason);
    }
    if (host.overload) this.#checkOverloadTimeout(host, now);
    else this.#checkIdleWindow(host, now);
    return true;
  }

  /**
   * Replaces the route with `hosts` (a non-empty DNS answer): new hosts join the
   * idle list's tail with fresh counters and `idleTs = overloadTs = now`; hosts
   * no longer listed leave whichever list they are in; known hosts keep their
   * state. Then `lastUpdate = now` and the state is `"new"`. Ours: weights
   * apply, a host joining a loaded route starts its slow start, and a host
   * with `fleetOverload` that this agent has not called yet starts in the
   * overload list (probing state) instead of idle.
   */
  update(hosts: readonly HostInfo[], now: number): void {
    const wanted = new Map<HostKey, HostInfo>();
    for (const host of hosts) wanted.set(hostKey(host.ip, host.port), host);
    for (const host of [...this.#hosts.values()]) {
      if (wanted.has(hostKey(host.ip, host.port))) continue;
      this.#ringOf(host).remove(host);
      this.#hosts.delete(host);
      this.#rules.removed(host);
    }
    const loaded = this.#hosts.size > 0;
    const routed = [];
    for (const info of wanted.values()) {
      let host = this.#hosts.get(info.ip, info.port);
      const joinsLoadedRoute = host === undefined && loaded;
      if (host === undefined) {
        host = new HostState(info.ip >>> 0, info.port);
        host.setIdle(this.options.initSuccCnt, now);
        host.overloadTs = now;
        host.stateSince = now;
        this.#hosts.add(host);
        this.#idle.push(host);
      }
      routed.push({ host, info, joinsLoadedRoute });
    }
    this.#rules.routed(routed, now);
    for (const { host, info } of routed) {
      if (info.fleetOverload && !host.overload && !host.health.called) {
        this.#startProbing(host, now);
      }
    }
    this.#rules.rebalance(this.#hosts.size, this.#overloaded);
    this.#lastUpdate = now;
    this.#status = "new";
  }

  /** Every host, in the order they joined (the answer to `get_route`). */
  hosts(): HostInfo[] {
    return Array.from(this.#hosts.values(), (host) => host.info);
  }

  /** The idle list, head first (the next idle pick first). */
  idleHosts(): HostInfo[] {
    return Array.from(this.#idle, (host) => host.info);
  }

  /** The overload list, head first (the next probe first). */
  overloadedHosts(): HostInfo[] {
    return Array.from(this.#overloaded, (host) => host.info);
  }

  /** Copies of every host's counters and state: idle hosts first, each list head first. */
  allHostStats(): HostStats[] {
    const out = [];
    for (const ring of [this.#idle, this.#overloaded]) {
      for (const host of ring) out.push(host.stats());
    }
    return out;
  }

  /** Number of hosts in the overload list. */
  get overloadedCount(): number {
    return this.#overloaded.size;
  }

  /** A copy of one host's counters and state, or `undefined` for an unknown host. */
  hostStats(ip: number, port: number): HostStats | undefined {
    return this.#hosts.get(ip, port)?.stats();
  }

  /**
   * The share of its weight `ip:port` takes at `now`: below 1 during slow
   * start, else 1 (also for an unknown host).
   */
  slowStartShare(ip: number, port: number, now: number): number {
    const host = this.#hosts.get(ip, port);
    return host === undefined ? 1 : host.health.rampFactor(now, this.options.slowStart);
  }

  /**
   * A copy of one host's state under our rules (weight, repeat ejections,
   * probe pacing, slow start, panic pardon), or `undefined` for an unknown host.
   */
  hostHealth(ip: number, port: number): HostHealthView | undefined {
    return this.#hosts.get(ip, port)?.health.view();
  }

  /**
   * The statistics message the original commits (`commit`): every host's real
   * counts and overload flag, idle hosts first, with `ts = floor(now)`.
   *
   * @param caller the agent's IPv4 address, unsigned
   * @param now Unix time in seconds
   */
  snapshot(caller: number, now: number): ReportStatusRequest {
    const results = [];
    for (const ring of [this.#idle, this.#overloaded]) {
      for (const host of ring) {
        const { ip, port, rsucc: succ, rerr: err, overload } = host;
        results.push({ ip, port, succ, err, overload });
      }
    }
    const ts = Math.max(0, Math.floor(now));
    return { modid: this.modid, cmdid: this.cmdid, caller: caller >>> 0, results, ts };
  }

  /** {@linkcode snapshot}, and clears the dirty flag. */
  takeSnapshot(caller: number, now: number): ReportStatusRequest {
    this.#dirty = false;
    return this.snapshot(caller, now);
  }

  #take(ring: HostRing): ChooseResult {
    return { code: RetCode.SUCC, host: ring.rotate().info };
  }

  #probe(host: HostState): ChooseResult {
    this.#overloaded.remove(host);
    this.#overloaded.push(host);
    return { code: RetCode.SUCC, host: host.info };
  }

  #pickInRotation(now: number): ChooseResult {
    if (this.#rules.isPlain(this.#idle, now)) return this.#take(this.#idle);
    const host = this.#rules.pickWeighted(this.#idle, this.#overloaded, now);
    return { code: RetCode.SUCC, host: host.info };
  }

  #ringOf(host: HostState): HostRing {
    return host.overload ? this.#overloaded : this.#idle;
  }

  #checkIdleWindow(host: HostState, now: number): void {
    if (now - host.idleTs < this.options.idleTimeout) return;
    const reason = windowRule(host, this.options);
    if (reason) this.#moveToOverloaded(host, now, reason);
    else host.setIdle(this.options.initSuccCnt, now);
  }

  #checkOverloadTimeout(host: HostState, now: number): void {
    if (now - host.overloadTs < this.options.overloadTimeout) return;
    if (this.#rules.mayTimeOut(host, now)) {
      this.#moveToIdle(host, now, overloadTimeoutRule(this.options));
    }
  }

  #moveToOverloaded(host: HostState, now: number, reason: StateReason): true {
    this.#rules.ejecting(host, now);
    this.#idle.remove(host);
    host.setOverload(this.options.initErrCnt, now);
    this.#overloaded.push(host);
    this.#rules.rebalance(this.#hosts.size, this.#overloaded);
    this.#changed(host, now, reason);
    return true;
  }

  /** A host the fleet sees overloaded, not yet called here: into the overload list, probed first. */
  #startProbing(host: HostState, now: number): void {
    this.#rules.hinted(host, now);
    this.#idle.remove(host);
    host.setOverload(this.options.initErrCnt, now);
    this.#overloaded.push(host);
    this.#rules.rebalance(this.#hosts.size, this.#overloaded);
    this.#changed(host, now, FLEET_OVERLOAD_REASON);
  }

  #moveToIdle(host: HostState, now: number, reason: StateReason): true {
    this.#overloaded.remove(host);
    host.setIdle(this.options.initSuccCnt, now);
    this.#rules.returned(host, now);
    this.#idle.push(host);
    this.#rules.rebalance(this.#hosts.size, this.#overloaded);
    this.#changed(host, now, reason);
    return true;
  }

  #changed(host: HostState, now: number, reason: StateReason): void {
    host.stateSince = now;
    host.reason = reason;
    const { ip, port, overload } = host;
    this.#onTransition?.({
      modid: this.modid,
      cmdid: this.cmdid,
      ip,
      port,
      overload,
      reason,
      at: now,
      panic: this.panic,
    });
  }
}

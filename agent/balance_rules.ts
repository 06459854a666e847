/**
 * Our balancing rules beyond the original's, kept apart from the original's
 * state machine in `load_balance.ts`: the ejection cap (panic), probe pacing,
 * longer ejections for repeat offenders, slow start and weights (smooth
 * weighted round robin). docs/balancing.md describes and measures them.
 *
 * @module
 */
import type { HostInfo } from "../proto/mod.ts";
import { ejectionAllowance, hostWeight, outSeconds } from "./host_health.ts";
import type { HostRing, HostState } from "./host_list.ts";
import type { LoadBalanceOptions } from "./load_balance_options.ts";

/** Repeat ejections counted at most (the out time is capped well before). */
const MAX_STRIKES = 30;
/** Calls an overloaded host needs before its own error ratio ranks it for the cap. */
const RANK_MIN_CALLS = 10;

/**
 * How bad an overloaded host is, for the ejection cap: its error ratio since
 * it was ejected once it has had a few calls, else the ratio that ejected it.
 */
function _badness(host: HostState): number {
  const calls = host.rsucc + host.rerr;
  return calls >= RANK_MIN_CALLS ? host.rerr / calls : host.health.badness;
}

/**
 * The rules' per-module bookkeeping. The balancer calls it at each state
 * change; the rules never move hosts between lists themselves.
 */
export class BalanceRules {
  readonly #options: Readonly<LoadBalanceOptions>;
  /** Overloaded hosts kept in rotation by the ejection cap (panic). */
  #pardoned = 0;
  /** Hosts whose weight is not 1. */
  #weighted = 0;
  /** Hosts in slow start. */
  #ramping = 0;

  /** Rules tuned by `options` (already resolved). */
  constructor(options: Readonly<LoadBalanceOptions>) {
    this.#options = options;
  }

  /** Overloaded hosts kept in rotation by the ejection cap. */
  get pardoned(): number {
    return this.#pardoned;
  }

  /** The first host of `overloaded` that is not pardoned and may be probed at `now`. */
  dueProbe(overloaded: HostRing, now: number): HostState | undefined {
    if (overloaded.size <= this.#pardoned) return undefined;
    for (const host of overloaded) {
      const { pardoned, probeAt } = host.health;
      if (!pardoned && now >= probeAt) return host;
    }
    return undefined;
  }

  /**
   * True when picks may follow the original's plain round robin: equal
   * weights, nobody in slow start at `now`, no panic. Ends finished ramps.
   */
  isPlain(idle: HostRing, now: number): boolean {
    return this.#pardoned === 0 && this.#weighted === 0 && !this.#rampingAt(idle, now);
  }

  /**
   * Smooth weighted round robin (nginx's) over the idle hosts and the
   * pardoned overloaded ones, each weighing weight times its slow-start share.
   * Needs at least one host in rotation.
   */
  pickWeighted(idle: HostRing, overloaded: HostRing, now: number): HostState {
    const { slowStart } = this.#options;
    let best: HostState | undefined;
    let total = 0;
    const visit = (host: HostState) => {
      const health = host.health;
      health.current += health.weight * health.rampFactor(now, slowStart);
      total += health.weight * health.rampFactor(now, slowStart);
      if (best === undefined || health.current > best.health.current) best = host;
    };
    for (const host of idle) visit(host);
    if (this.#pardoned > 0) {
      for (const host of overloaded) if (host.health.pardoned) visit(host);
    }
    const picked = best as HostState;
    picked.health.current -= total;
    return picked;
  }

  /** A call to an overloaded host failed at `now`: its next probe waits. */
  failedWhileOverloaded(host: HostState, now: number): void {
    host.health.probeAt = now + this.#probeGap(host);
  }

  /** Whether the overload timeout may return `host` at `now` (a repeat offender waits longer). */
  mayTimeOut(host: HostState, now: number): boolean {
    return now >= host.health.outUntil;
  }

  /**
   * `host` is being ejected at `now` (call before its counters are reset):
   * ranks it, counts a repeat ejection, sets its out time and next probe.
   */
  ejecting(host: HostState, now: number): void {
    const { overloadTimeout, maxOverloadTimeout } = this.#options;
    const health = host.health;
    const calls = host.rsucc + host.rerr;
    health.badness = calls > 0 ? host.rerr / calls : 1;
    const repeat = maxOverloadTimeout > overloadTimeout &&
      now - health.returnedTs < maxOverloadTimeout;
    health.strikes = repeat ? Math.min(health.strikes + 1, MAX_STRIKES) : 0;
    health.outUntil = now + outSeconds(health.strikes, overloadTimeout, maxOverloadTimeout);
    health.probeAt = now + this.#probeGap(host);
    this.#stopRamp(host);
  }

  /**
   * `host`, not yet called by this agent, starts in probing state at `now`
   * because the fleet sees it overloaded: probed at once, no repeat counted.
   */
  hinted(host: HostState, now: number): void {
    const health = host.health;
    health.badness = 1;
    health.strikes = 0;
    health.outUntil = now;
    health.probeAt = now;
    this.#stopRamp(host);
  }

  /** `host` came back from overload at `now`: leaves panic, starts slow start. */
  returned(host: HostState, now: number): void {
    this.#unpardon(host);
    host.health.returnedTs = now;
    host.health.current = 0;
    if (this.#options.slowStart > 0) this.#startRamp(host, now);
  }

  /** `host` left the route. */
  removed(host: HostState): void {
    this.#unpardon(host);
    this.#stopRamp(host);
  }

  /**
   * Applies a route answer: every listed host's weight, and slow start for a
   * host new to a route that already had hosts (`joinsLoadedRoute`).
   */
  routed(
    hosts: Iterable<{ host: HostState; info: HostInfo; joinsLoadedRoute: boolean }>,
    now: number,
  ): void {
    this.#weighted = 0;
    for (const { host, info, joinsLoadedRoute } of hosts) {
      host.health.weight = hostWeight(info.weight);
      if (host.health.weight !== 1) this.#weighted++;
      if (joinsLoadedRoute && this.#options.slowStart > 0) this.#startRamp(host, now);
    }
  }

  /**
   * Applies the ejection cap to a module of `size` hosts: when more are
   * overloaded than `maxEjectionPercent` allows out of rotation, the least-bad
   * of them (lowest error ratio) are pardoned, that is kept in rotation.
   */
  rebalance(size: number, overloaded: HostRing): void {
    const allowed = ejectionAllowance(size, this.#options.maxEjectionPercent);
    const excess = Math.max(0, overloaded.size - allowed);
    if (excess === 0 && this.#pardoned === 0) return;
    const ranked = Array.from(overloaded).sort((a, b) => _badness(a) - _badness(b));
    ranked.forEach((host, i) => {
      host.health.pardoned = i < excess;
      if (host.health.pardoned) host.health.current = 0;
    });
    this.#pardoned = excess;
  }

  /** Seconds between probes of `host`: `probeInterval * 2^strikes`, capped. */
  #probeGap(host: HostState): number {
    const { probeInterval, maxOverloadTimeout } = this.#options;
    const gap = probeInterval * 2 ** host.health.strikes;
    if (host.health.strikes === 0) return gap;
    return Math.min(gap, Math.max(maxOverloadTimeout, probeInterval));
  }

  #unpardon(host: HostState): void {
    if (!host.health.pardoned) return;
    host.health.pardoned = false;
    this.#pardoned--;
  }

  /** Whether some idle host is still in slow start at `now`; ends finished ramps. */
  #rampingAt(idle: HostRing, now: number): boolean {
    if (this.#ramping === 0 || !Number.isFinite(now)) return false;
    const { slowStart } = this.#options;
    for (const host of idle) {
      if (!Number.isNaN(host.health.rampFrom) && host.health.rampFactor(now, slowStart) === 1) {
        this.#stopRamp(host);
      }
    }
    return this.#ramping > 0;
  }

  #startRamp(host: HostState, now: number): void {
    if (Number.isNaN(host.health.rampFrom)) this.#ramping++;
    host.health.rampFrom = now;
  }

  #stopRamp(host: HostState): void {
    if (Number.isNaN(host.health.rampFrom)) return;
    host.health.rampFrom = Number.NaN;
    this.#ramping--;
  }
}

/**
 * What the balancer keeps per host beyond the original's counters: weight,
 * repeat ejections, probe pacing, slow start and panic pardon. Internal to the
 * agent.
 *
 * @module
 */
import { MAX_HOST_WEIGHT } from "../proto/messages.ts";

/** Share a host starts its slow start with. */
export const SLOW_START_FLOOR = 0.1;

/** Read-only view of a host's health state (see {@linkcode HostHealth}). */
export interface HostHealthView {
  /** Weight from DNS (1 when the route carries none). */
  readonly weight: number;
  /** Ejections in a row, each soon after the host came back. */
  readonly strikes: number;
  /** Not returned by the overload timeout before this time, in seconds. */
  readonly outUntil: number;
  /** Not probed before this time (after a failed call while overloaded), in seconds. */
  readonly probeAt: number;
  /** When the host last came back from overload; `-Infinity` when never. */
  readonly returnedTs: number;
  /** When the current slow start began; NaN when the host is not ramping. */
  readonly rampFrom: number;
  /** Overloaded, yet kept in rotation because the module is in panic. */
  readonly pardoned: boolean;
  /** Whether this agent has had a report of a call to the host. */
  readonly called: boolean;
}

/** Mutable health state of one host; lives on its `HostState`. */
export class HostHealth implements HostHealthView {
  weight = 1;
  strikes = 0;
  outUntil = 0;
  probeAt = 0;
  returnedTs = -Infinity;
  rampFrom = Number.NaN;
  pardoned = false;
  called = false;
  /** Smooth weighted round robin: the running current weight. */
  current = 0;
  /** Error ratio of the window in which the host was last ejected. */
  badness = 0;

  /**
   * The share factor of slow start at `now`: from {@linkcode SLOW_START_FLOOR}
   * up to 1 over `slowStart` seconds; 1 when not ramping.
   */
  rampFactor(now: number, slowStart: number): number {
    if (Number.isNaN(this.rampFrom)) return 1;
    const elapsed = now - this.rampFrom;
    if (!(elapsed < slowStart)) return 1;
    return Math.max(SLOW_START_FLOOR, elapsed / slowStart);
  }

  /** A detached copy. */
  view(): HostHealthView {
    const { weight, strikes, outUntil, probeAt, returnedTs, rampFrom, pardoned, called } = this;
    return { weight, strikes, outUntil, probeAt, returnedTs, rampFrom, pardoned, called };
  }
}

/**
 * Seconds a host ejected for the `strikes`-th time in a row stays out before
 * it may be probed: 0 for a first ejection (probed at once, as the original),
 * then `overloadTimeout * 2^strikes`, capped at `maxOverloadTimeout`.
 */
export function outSeconds(
  strikes: number,
  overloadTimeout: number,
  maxOverloadTimeout: number,
): number {
  if (strikes === 0 || maxOverloadTimeout <= overloadTimeout) return 0;
  return Math.min(overloadTimeout * 2 ** strikes, maxOverloadTimeout);
}

/** Hosts out of rotation a module of `size` hosts allows at `maxEjectionPercent`. */
export function ejectionAllowance(size: number, maxEjectionPercent: number): number {
  if (maxEjectionPercent >= 100) return size;
  return Math.floor(size * maxEjectionPercent / 100);
}

/** A route's weight as the balancer uses it: absent, 0 or negative is 1; at most `MAX_HOST_WEIGHT`. */
export function hostWeight(weight: number | undefined): number {
  if (weight === undefined || !Number.isFinite(weight) || weight < 1) return 1;
  return Math.min(Math.floor(weight), MAX_HOST_WEIGHT);
}

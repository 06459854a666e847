/**
 * The world of the balancing simulator: hosts whose answers depend on a
 * scenario's faults and on their load, and the per-host call counters the
 * metrics are computed from.
 *
 * @module
 */

/** How a host behaves at one moment: its fault error rate and its capacity. */
export interface HostCondition {
  /** Probability that a call fails because of a fault (0 healthy, 1 hard down). */
  readonly errorRate: number;
  /** Calls per second the host serves without errors; above it the excess fails. */
  readonly capacity: number;
}

/** A scenario: hosts, their conditions over time, and route changes. */
export interface Scenario {
  /** Short name (a column of the results table). */
  readonly name: string;
  /** One line saying what happens. */
  readonly description: string;
  /** Hosts in the route at the start. */
  readonly hosts: number;
  /** Seconds simulated. */
  readonly seconds: number;
  /** The fault window `[start, end)` in seconds: the metrics' "bad" period. */
  readonly fault: readonly [number, number];
  /** Index of the host whose traffic share and recovery are measured. */
  readonly watched: number;
  /** The condition of host `index` at time `t` (seconds from the start). */
  condition(index: number, t: number): HostCondition;
  /** Route changes: at `at` seconds the route becomes the first `hosts` hosts. */
  readonly routeChanges?: readonly { readonly at: number; readonly hosts: number }[];
  /** DNS route weight of host `index` (default 1). */
  weight?(index: number): number;
  /** `count` of the agents start calling only at `at` seconds (fresh agents). */
  readonly freshAgents?: { readonly at: number; readonly count: number };
}

/** Seconds of a fresh agent's first calls that the fresh-agent measure counts. */
export const FRESH_WINDOW = 10;
/** The fleet verdict: overloaded for at least this share of the agents calling a host... */
export const FLEET_SHARE = 0.5;
/** ...and at least this many of them. */
export const FLEET_MIN_CALLERS = 2;

/** Calls per second each agent makes. */
export const CALLS_PER_AGENT = 50;
/** Agents in every scenario. */
export const AGENTS = 20;
/** Capacity of a healthy host, in calls per second (fleet demand / hosts * 1.5). */
export const HOST_CAPACITY = 150;

/**
 * Load of one host over a sliding one-second window, from the calls it got
 * in the current and the previous whole second.
 */
export class HostLoad {
  #second = -1;
  #current = 0;
  #previous = 0;

  /** Counts one call at `t` and answers the load (calls per second) including it. */
  add(t: number): number {
    const second = Math.floor(t);
    if (second !== this.#second) {
      this.#previous = second === this.#second + 1 ? this.#current : 0;
      this.#current = 0;
      this.#second = second;
    }
    this.#current++;
    return this.#current + this.#previous * (1 - (t - second));
  }
}

/**
 * Whether a call to a host in `condition` at `load` calls per second fails:
 * a fault failure, or the share of calls above capacity.
 */
export function callFails(condition: HostCondition, load: number, random: () => number): boolean {
  if (random() < condition.errorRate) return true;
  if (load <= condition.capacity) return false;
  return random() < 1 - condition.capacity / load;
}

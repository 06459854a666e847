/**
 * Named monotonically increasing counters, exposed by services for monitoring.
 *
 * @module
 */

/**
 * A fixed set of named counters.
 *
 * @example
 * ```ts
 * import { Counters } from "./counters.ts";
 * const c = new Counters(["framesIn", "badFrames"] as const);
 * c.inc("framesIn");
 * console.log(c.snapshot()); // { framesIn: 1, badFrames: 0 }
 * ```
 */
export class Counters<K extends string> {
  #values: Record<K, number>;

  /** Creates the counters, all at zero. */
  constructor(names: readonly K[]) {
    this.#values = Object.fromEntries(names.map((n) => [n, 0])) as Record<K, number>;
  }

  /** Adds `by` (default 1) to `name`. */
  inc(name: K, by = 1): void {
    this.#values[name] += by;
  }

  /** Current value of `name`. */
  get(name: K): number {
    return this.#values[name];
  }

  /** A copy of every counter. */
  snapshot(): Record<K, number> {
    return { ...this.#values };
  }
}

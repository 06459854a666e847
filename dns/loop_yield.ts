/**
 * Lets a long piece of work in the DNS service (packing a table of 100,000
 * hosts, writing one push to 1,000 connections) give the event loop a turn
 * every few milliseconds, so requests that arrived meanwhile are answered
 * between slices instead of after the whole piece.
 *
 * The turn is a 0 ms timer. A message through a `MessageChannel` is faster
 * (tens of microseconds against about a millisecond), but measured with
 * `bench/dns_change_stall.ts`, GetRoute requests that arrived during a push
 * sliced with such turns were still answered only after its last slice; with
 * timer turns they were answered between slices. So the timer is taken, and
 * only once a slice has used its time budget.
 *
 * @module
 */

/** Time a slice may take before the work gives the loop a turn, in ms. */
export const SLICE_BUDGET_MS = 2;

/**
 * Measures the current slice of work and yields to the event loop when it
 * has used its budget.
 *
 * @example
 * ```ts
 * import { LoopYielder } from "./loop_yield.ts";
 * const yielder = new LoopYielder();
 * for (let item = 0; item < 1000; item++) {
 *   // ... a small piece of work ...
 *   if (yielder.due) await yielder.yield();
 * }
 * ```
 */
export class LoopYielder {
  #budgetMs: number;
  #sliceStart = performance.now();

  /** Starts the first slice now; `budgetMs` is how long a slice may run. */
  constructor(budgetMs: number = SLICE_BUDGET_MS) {
    this.#budgetMs = budgetMs;
  }

  /** True when the current slice has run for its budget: time to {@linkcode yield}. */
  get due(): boolean {
    return performance.now() - this.#sliceStart >= this.#budgetMs;
  }

  /**
   * Resolves on a later turn of the event loop, after timers and pending I/O
   * have been handled, and starts a new slice.
   */
  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.#sliceStart = performance.now();
  }
}

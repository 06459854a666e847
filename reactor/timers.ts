/**
 * Loop helpers: a repeating task that never overlaps itself, an abortable delay and
 * exponential backoff with full jitter (for reconnecting clients).
 *
 * @module
 */

/** Options for {@linkcode every}. */
export interface EveryOptions {
  /** Stops the loop; a run in progress is not interrupted but gets the signal. */
  signal: AbortSignal;
  /**
   * Receives what a run threw or rejected with; the loop goes on.
   * @default logs it with `console.error`
   */
  onError?: (error: unknown) => void;
  /** Runs `fn` once at the start instead of waiting `ms` first. @default false */
  immediate?: boolean;
  /**
   * Waits `ms` between runs, resolving early once `signal` is aborted;
   * injectable so tests can step the loop without a clock.
   * @default quietDelay
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Runs `fn` every `ms` milliseconds until `options.signal` aborts. The next run is timed from
 * the end of the previous one, so an async `fn` never overlaps itself. Errors from `fn` go to
 * `options.onError` and do not stop the loop.
 *
 * Returns a promise that resolves once the signal has aborted and the run in progress, if
 * any, has finished: await it for a graceful stop.
 *
 * @throws {RangeError} if `ms` is not a finite number >= 0
 */
export function every(
  ms: number,
  fn: (signal: AbortSignal) => void | Promise<void>,
  options: EveryOptions,
): Promise<void> {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`Cannot start repeating task: ms must be a finite number >= 0, got ${ms}`);
  }
  const { signal, immediate = false, sleep = quietDelay } = options;
  const onError = options.onError ??
    ((err: unknown) => console.error("Repeating task failed:", err));
  return (async () => {
    if (!immediate) await sleep(ms, signal);
    while (!signal.aborted) {
      try {
        await fn(signal);
      } catch (err) {
        try {
          onError(err);
        } catch (inner) {
          console.error("Repeating task error handler failed:", inner);
        }
      }
      await sleep(ms, signal);
    }
  })();
}

/**
 * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts
 * (at once if it already has). The timer is cleared on abort.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Like {@linkcode delay}, but resolves (early) instead of rejecting on abort. */
export async function quietDelay(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, signal);
  } catch {
    // Aborted: the caller checks `signal.aborted`.
  }
}

/** Options for {@linkcode Backoff}. */
export interface BackoffOptions {
  /** The first delay (its upper bound with jitter), > 0. @default 100 */
  initialMs?: number;
  /** The largest delay (upper bound with jitter), >= `initialMs`. @default 10_000 */
  maxMs?: number;
  /** Growth of the delay per attempt, >= 1. @default 2 */
  factor?: number;
  /**
   * Full jitter: each delay is drawn uniformly from `[0, cap)` where `cap` is the un-jittered
   * delay, so reconnecting clients spread out instead of retrying in step.
   * @default true
   */
  jitter?: boolean;
  /** Source of uniform numbers in `[0, 1)`, injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter. Attempt `n` (from 0) waits
 * `min(maxMs, initialMs * factor ** n)`, or a uniform draw below it with `jitter`.
 *
 * @example
 * ```ts
 * import { Backoff } from "./timers.ts";
 * const backoff = new Backoff({ initialMs: 100, maxMs: 400, jitter: false });
 * console.log(backoff.next(), backoff.next(), backoff.next(), backoff.next()); // 100 200 400 400
 * backoff.reset(); // after a successful connect
 * ```
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: boolean;
  readonly #random: () => number;
  #attempt = 0;
  #cap: number;

  /**
   * Creates a backoff at attempt 0.
   * @throws {RangeError} for an option outside its documented range
   */
  constructor(options: BackoffOptions = {}) {
    const { initialMs = 100, maxMs = 10_000, factor = 2, jitter = true } = options;
    if (!(Number.isFinite(initialMs) && initialMs > 0)) {
      throw new RangeError(`Cannot create backoff: initialMs must be > 0, got ${initialMs}`);
    }
    if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) {
      throw new RangeError(`Cannot create backoff: maxMs must be >= initialMs, got ${maxMs}`);
    }
    if (!(Number.isFinite(factor) && factor >= 1)) {
      throw new RangeError(`Cannot create backoff: factor must be >= 1, got ${factor}`);
    }
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#factor = factor;
    this.#jitter = jitter;
    this.#random = options.random ?? Math.random;
    this.#cap = initialMs;
  }

  /** Number of delays handed out since creation or the last {@linkcode Backoff.reset}. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay in milliseconds before the next attempt. */
  next(): number {
    const cap = this.#cap;
    this.#attempt++;
    // Grow step by step (not `factor ** attempt`), so many attempts never overflow.
    this.#cap = Math.min(this.#maxMs, cap * this.#factor);
    if (!this.#jitter) return cap;
    const r = this.#random();
    if (!(r >= 0 && r < 1)) {
      throw new RangeError(`Cannot compute backoff: random() must return [0, 1), got ${r}`);
    }
    return r * cap;
  }

  /** Starts again from `initialMs`, e.g. after a successful connect. */
  reset(): void {
    this.#attempt = 0;
    this.#cap = this.#initialMs;
  }
}

/** Lets the process exit while `timer` is pending (Deno, Node and Bun). */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno && typeof timer === "number") deno.unrefTimer(timer);
  else (timer as { unref?: () => void }).unref?.();
}

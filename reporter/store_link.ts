/**
 * What the report writers share about the database: its schema is created
 * once (retried like any write while the database is down), and going down or
 * coming back is logged once, not once per writer and retry.
 *
 * @module
 */
import { errorText } from "../reactor/framed_connection.ts";
import type { Logger } from "../reactor/log.ts";
import type { ReportStore } from "../store/types.ts";

/** The store of the report writers, with its up/down state. */
export class StoreLink {
  /** The store written to. */
  readonly store: ReportStore;
  readonly #log: Logger;
  #initialized = false;
  #initializing: Promise<void> | null = null;
  #down = false;
  #downSince = 0;
  #failures = 0;
  #lastError = "";

  /** Wraps `store`; nothing is sent until {@linkcode ready}. */
  constructor(store: ReportStore, log: Logger) {
    this.store = store;
    this.#log = log;
  }

  /** True once the tables have been created (or found). */
  get initialized(): boolean {
    return this.#initialized;
  }

  /** The error of the latest failure, while {@linkcode isDown}; else empty. */
  get lastError(): string {
    return this.#down ? this.#lastError : "";
  }

  /** When the store went down (ms since the epoch), while {@linkcode isDown}; else 0. */
  get downSince(): number {
    return this.#down ? this.#downSince : 0;
  }

  /** True after a failure and until the next success. */
  get isDown(): boolean {
    return this.#down;
  }

  /**
   * Creates the tables when missing, once for all writers; concurrent callers
   * share one attempt. Rejects (and records the failure) when it fails.
   */
  async ready(): Promise<void> {
    if (this.#initialized) return;
    this.#initializing ??= this.store.init().then(
      () => {
        this.#initialized = true;
        this.#initializing = null;
      },
      (err) => {
        this.#initializing = null;
        throw err;
      },
    );
    await this.#initializing;
  }

  /** Records a successful write; logs once when the database is back. */
  succeeded(): void {
    if (!this.#down) return;
    this.#down = false;
    const seconds = ((Date.now() - this.#downSince) / 1000).toFixed(1);
    this.#log.info(
      `database reachable again after ${seconds} s and ${this.#failures} failed attempts`,
    );
    this.#failures = 0;
  }

  /** Records a failed write; logs once when the database goes down. */
  failed(err: unknown): void {
    this.#failures++;
    this.#lastError = errorText(err);
    if (this.#down) return;
    this.#down = true;
    this.#downSince = Date.now();
    this.#log.warn(
      `cannot write reports: ${errorText(err)}; keeping them queued and retrying with backoff`,
    );
  }
}

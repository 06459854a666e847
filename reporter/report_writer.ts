/**
 * A database writer of the report service: drains one {@linkcode WriteQueue}
 * into the store in batches. It waits up to `flushMs` after the first row
 * arrives (or until `batchRows` rows wait), then writes up to `batchRows`
 * status rows as one multi-row transaction, then the queued history sums.
 * Under load the queue is never empty, so batches are full and there is no
 * waiting at all.
 *
 * A batch that fails with a `StoreError` (database down, connection lost,
 * lock timeout) goes back into the queue without overwriting newer snapshots,
 * and the writer retries with exponential backoff and jitter. The service runs
 * one writer per shard of keys, so the snapshots of one key are always written
 * in order by one writer. The writers of one service share one
 * {@linkcode SharedStore}: tables created once, an outage logged once.
 *
 * @module
 */
import { errorText } from "../reactor/text.ts";
import type { Logger } from "../reactor/log.ts";
import { Backoff } from "../reactor/timers.ts";
import { type ReportStore, StoreError } from "../store/types.ts";
import type { ReporterCounters } from "./counters.ts";
import type { WriteQueue } from "./write_queue.ts";

/** Options of a {@linkcode ReportWriter}. */
export interface ReportWriterOptions {
  /** The queue this writer drains (and alone drains). */
  queue: WriteQueue;
  /** The store, shared with the service's other writers. */
  store: SharedStore;
  /** Counters for `rowsWritten`, `batches`, `retries`, `rejected`, `historyRowsWritten`. */
  counters: ReporterCounters;
  /** Logger. */
  log: Logger;
  /**
   * How long rows may wait for more to join their batch, in ms.
   * @default 50
   */
  flushMs?: number;
  /**
   * Most rows per write transaction; a full batch is written at once.
   * @default 1000
   */
  batchRows?: number;
  /**
   * First retry delay in ms after a failed write (doubles, with full jitter);
   * at most `retryMaxMs`.
   * @default 100
   */
  retryInitialMs?: number;
  /**
   * Longest retry delay in ms.
   * @default 5000
   */
  retryMaxMs?: number;
}

interface _Wait {
  ms: number;
  rows: number;
  /** Whether flush() and stop() cut it short (not for a retry backoff). */
  interruptible: boolean;
}

/** Drains one queue into the store; see the module documentation. */
export class ReportWriter {
  readonly #queue: WriteQueue;
  readonly #store: SharedStore;
  readonly #counters: ReporterCounters;
  readonly #log: Logger;
  readonly #flushMs: number;
  readonly #batchRows: number;
  readonly #backoff: Backoff;
  #loop: Promise<void> | null = null;
  #ended = false;
  #inFlight = 0;
  #stopping = false;
  #hardStop = false;
  #flushWaiters: { upTo: number; wake: () => void }[] = [];
  #interrupt: ((hard: boolean) => void) | null = null;

  /**
   * Creates the writer; {@linkcode start} starts it.
   * @throws {RangeError} for an option outside its range
   */
  constructor(options: ReportWriterOptions) {
    this.#queue = options.queue;
    this.#store = options.store;
    this.#counters = options.counters;
    this.#log = options.log;
    this.#flushMs = options.flushMs ?? 50;
    this.#batchRows = options.batchRows ?? 1000;
    if (!Number.isFinite(this.#flushMs) || this.#flushMs < 0) {
      throw new RangeError(
        `Cannot create report writer: flushMs must be >= 0, got ${this.#flushMs}`,
      );
    }
    if (!Number.isInteger(this.#batchRows) || this.#batchRows < 1) {
      throw new RangeError(
        `Cannot create report writer: batchRows must be >= 1, got ${this.#batchRows}`,
      );
    }
    const maxMs = options.retryMaxMs ?? 5000;
    this.#backoff = new Backoff({
      initialMs: Math.min(options.retryInitialMs ?? 100, maxMs),
      maxMs,
    });
  }

  /** Status rows being written right now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Starts the write loop. */
  start(): void {
    this.#loop ??= this.#run().finally(() => {
      this.#ended = true;
      this.#wakeFlushWaiters(Infinity);
    });
  }

  /**
   * Writes what is queued now without waiting for the flush window; resolves
   * once it is written (retrying with backoff while the database is down; a
   * batch in flight now is part of it), or once the writer has stopped.
   * What arrives meanwhile is not waited for.
   */
  flush(): Promise<void> {
    if (this.#loop === null || this.#ended || (this.#queue.isEmpty && this.#inFlight === 0)) {
      return Promise.resolve();
    }
    const upTo = this.#queue.lastSeq;
    return new Promise((wake) => {
      this.#flushWaiters.push({ upTo, wake });
      this.#interrupt?.(false);
    });
  }

  /**
   * Writes everything queued, then stops. At `deadline` (ms since the epoch)
   * it stops retrying: what is still queued then stays in the queue, unwritten.
   * Resolves when the loop has ended.
   */
  async stop(deadline: number = Infinity): Promise<void> {
    this.#stopping = true;
    this.#interrupt?.(false);
    const timer = Number.isFinite(deadline)
      ? setTimeout(() => {
        this.#hardStop = true;
        this.#interrupt?.(true);
      }, Math.max(0, deadline - Date.now()))
      : undefined;
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
    }
  }

  async #run(): Promise<void> {
    const queue = this.#queue;
    while (!this.#hardStop) {
      // Nothing is in flight here: what is not queued any more is written.
      if (this.#flushWaiters.length > 0) this.#wakeFlushWaiters(queue.oldestSeq());
      if (queue.isEmpty) {
        if (this.#stopping) return;
        await this.#wait({ ms: Infinity, rows: 1, interruptible: true });
        continue;
      }
      if (!this.#stopping && this.#flushWaiters.length === 0) {
        await this.#wait({ ms: this.#flushMs, rows: this.#batchRows, interruptible: true });
        if (this.#hardStop) return;
      }
      if (!(await this.#writeOnce())) {
        await this.#wait({ ms: this.#backoff.next(), rows: Infinity, interruptible: false });
      }
    }
  }

  /** One batch of status rows, then one of history sums. False when a write failed. */
  async #writeOnce(): Promise<boolean> {
    try {
      await this.#store.ready();
    } catch (err) {
      this.#counters.inc("retries");
      this.#store.failed(err);
      return false;
    }
    return await this.#writeStatus() && await this.#writeHistory();
  }

  async #writeStatus(): Promise<boolean> {
    const entries = this.#queue.takeStatus(this.#batchRows);
    if (entries.length === 0) return true;
    const rows = entries.map((e) => e.row);
    const store = this.#store.store;
    this.#inFlight = rows.length;
    try {
      await store.upsertStatus(rows);
      this.#counters.inc("rowsWritten", rows.length);
      this.#counters.inc("batches");
      this.#succeeded();
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) {
        this.#reject("status", rows.length, err);
        return true;
      }
      this.#queue.requeueStatus(entries);
      this.#failed(err);
      return false;
    } finally {
      this.#inFlight = 0;
    }
  }

  async #writeHistory(): Promise<boolean> {
    const entries = this.#queue.takeHistory(this.#batchRows);
    if (entries.length === 0) return true;
    const rows = entries.map((e) => e.row);
    try {
      await this.#store.store.addHistory(rows);
      this.#counters.inc("historyRowsWritten", rows.length);
      this.#succeeded();
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) {
        this.#reject("history", rows.length, err);
        return true;
      }
      this.#queue.requeueHistory(entries);
      this.#failed(err);
      return false;
    }
  }

  #succeeded(): void {
    this.#backoff.reset();
    this.#store.succeeded();
  }

  #failed(err: StoreError): void {
    this.#counters.inc("retries");
    this.#store.failed(err);
  }

  /** Rows the store refused before sending anything: retrying cannot help. */
  #reject(what: string, count: number, err: unknown): void {
    this.#counters.inc("rejected", count);
    this.#log.error(`dropping ${count} ${what} rows the store rejected: ${errorText(err)}`);
  }

  #wait(wait: _Wait): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#interrupt = null;
        this.#queue.cancelWait();
        resolve();
      };
      if (Number.isFinite(wait.ms)) timer = setTimeout(done, wait.ms);
      this.#interrupt = (hard) => {
        if (hard || wait.interruptible) done();
      };
      if (Number.isFinite(wait.rows)) this.#queue.onRows(wait.rows, done);
    });
  }

  /** Wakes the flush() calls whose rows are all written: queued before `oldestQueued`. */
  #wakeFlushWaiters(oldestQueued: number): void {
    const done = this.#flushWaiters.filter((w) => w.upTo < oldestQueued);
    if (done.length === 0) return;
    this.#flushWaiters = this.#flushWaiters.filter((w) => w.upTo >= oldestQueued);
    for (const waiter of done) waiter.wake();
  }
}

/**
 * The store all writers of one service share, with its up/down state: its
 * tables are created once (retried like any write while the database is down),
 * and going down or coming back is logged once, not once per writer and retry.
 */
export class SharedStore {
  /** The store written to. */
  readonly store: ReportStore;
  readonly #log: Logger;
  #initialized = false;
  #initializing: Promise<void> | null = null;
  #down = false;
  #downSince = 0;
  #failures = 0;
  #lastError = "";
  #lastAttemptAt = 0;
  #probing: Promise<void> | null = null;

  /** Wraps `store`; nothing is sent until {@linkcode ready}. */
  constructor(store: ReportStore, log: Logger) {
    this.store = store;
    this.#log = log;
  }

  /** True after a failure and until the next success. */
  get isDown(): boolean {
    return this.#down;
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
        this.#lastAttemptAt = Date.now();
      },
      (err) => {
        this.#initializing = null;
        throw err;
      },
    );
    await this.#initializing;
  }

  /**
   * Makes sure the up/down state is at most `maxAgeMs` old: when neither a
   * write nor a table creation was tried since, reads one (empty) module of
   * `ServerCallStatus`. Concurrent callers share one probe; never rejects.
   */
  async probe(maxAgeMs = 10_000): Promise<void> {
    if (Date.now() - this.#lastAttemptAt < maxAgeMs) return;
    this.#probing ??= (async () => {
      try {
        if (this.#initialized) await this.store.listStatus({ modid: 0, cmdid: 0 });
        else await this.ready();
        this.succeeded();
      } catch (err) {
        this.failed(err);
      } finally {
        this.#probing = null;
      }
    })();
    await this.#probing;
  }

  /** When the store was last tried (ms since the epoch; 0: never). */
  get lastAttemptAt(): number {
    return this.#lastAttemptAt;
  }

  /** Records a successful write; logs once when the database is back. */
  succeeded(): void {
    this.#lastAttemptAt = Date.now();
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
    this.#lastAttemptAt = Date.now();
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

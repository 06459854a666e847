/**
 * The coalescing write queue between the TCP handler and one database writer.
 *
 * Status: a map keyed by `(modid, cmdid, ip, port, caller)`. A snapshot for a
 * key that is already queued replaces the queued one in place (last value per
 * key wins; a snapshot with an older `ts` than the queued one is the one
 * dropped), so memory grows with distinct keys, not with reports. Keys leave
 * in the order they were first queued, so a key reported all the time is still
 * written once per pass. When `maxRows` keys are queued, the key queued
 * longest ago is dropped to make room (counted as `dropped`): its next report
 * brings it back.
 *
 * History: per-minute deltas (see `history.ts`) keyed by key and minute; a
 * delta for a queued key and minute is added to it. Bounded by
 * `maxHistoryRows` the same way (counted as `historyDropped`).
 *
 * @module
 */
import type { HistoryRow, StatusRow } from "../store/types.ts";
import type { ReporterCounters } from "./counters.ts";
import { StatusSlots } from "./status_slots.ts";

/** The map key of a status row: its primary key as text. */
export function statusKey(row: StatusRow | HistoryRow): string {
  return `${row.modid}:${row.cmdid}:${row.ip}:${row.port}:${row.caller}`;
}

/**
 * A 32-bit hash (unsigned) of the primary key of `row`. The service gives each
 * key to writer `statusKeyHash(row) % writers`, so all snapshots of one key go
 * through one writer, in order.
 */
export function statusKeyHash(row: StatusRow): number {
  let h = Math.imul(row.modid ^ 0x9E3779B9, 0x85EBCA6B);
  h = Math.imul(h ^ row.cmdid, 0xC2B2AE35);
  h = Math.imul(h ^ row.ip, 0x85EBCA6B);
  h = Math.imul(h ^ row.port, 0xC2B2AE35);
  h = Math.imul(h ^ row.caller, 0x85EBCA6B);
  h ^= h >>> 15;
  return h >>> 0;
}

/** A status snapshot taken from the queue (queued keys are packed, see `status_slots.ts`). */
export interface StatusEntry {
  /** {@linkcode statusKey} of `row`. */
  key: string;
  /** The newest snapshot of the key. */
  row: StatusRow;
  /** When the key was first queued (ms since the epoch), for the lag gauge. */
  queuedAt: number;
  /** Queueing order (see {@linkcode WriteQueue.lastSeq}). */
  seq: number;
}

/** A queued history sum. */
export interface HistoryEntry {
  /** Key and minute of `row`. */
  key: string;
  /** The calls of the key in the minute, summed while queued. */
  row: HistoryRow;
  /** Queueing order (see {@linkcode WriteQueue.lastSeq}). */
  seq: number;
}

/** Options of a {@linkcode WriteQueue}. */
export interface WriteQueueOptions {
  /** Counters for `coalesced`, `dropped` and `historyDropped`. */
  counters: ReporterCounters;
  /**
   * Most distinct keys queued; past this the key queued longest ago is dropped.
   * @default 100000
   */
  maxRows?: number;
  /**
   * Most (key, minute) history sums queued; past this the oldest is dropped.
   * @default 100000
   */
  maxHistoryRows?: number;
  /** Clock in ms, for `queuedAt`. @default Date.now */
  now?: () => number;
}

function _checkBound(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot create write queue: ${name} must be >= 1, got ${value}`);
  }
  return value;
}

/**
 * A bounded, coalescing queue of status snapshots and history sums.
 *
 * @example
 * ```ts
 * import { createReporterCounters } from "./counters.ts";
 * import { WriteQueue } from "./write_queue.ts";
 * const counters = createReporterCounters();
 * const queue = new WriteQueue({ counters });
 * const row = { modid: 1, cmdid: 1, ip: 1, port: 80, caller: 2, err: 0, overload: false };
 * queue.putStatus({ ...row, succ: 1, ts: 100 });
 * queue.putStatus({ ...row, succ: 2, ts: 101 });
 * console.log(queue.size, queue.takeStatus(10)[0].row.succ, counters.get("coalesced")); // 1 2 1
 * ```
 */
export class WriteQueue {
  readonly #counters: ReporterCounters;
  readonly #maxRows: number;
  readonly #maxHistoryRows: number;
  readonly #now: () => number;
  /** Queued keys in queueing order, each to its slot in {@linkcode #slots}. */
  #status = new Map<string, number>();
  #slots = new StatusSlots();
  #history = new Map<string, HistoryEntry>();
  #seq = 0;
  #waiter: { rows: number; wake: () => void } | null = null;

  /**
   * Creates an empty queue.
   * @throws {RangeError} when a bound is not a positive integer
   */
  constructor(options: WriteQueueOptions) {
    this.#counters = options.counters;
    this.#maxRows = _checkBound("maxRows", options.maxRows ?? 100_000);
    this.#maxHistoryRows = _checkBound("maxHistoryRows", options.maxHistoryRows ?? 100_000);
    this.#now = options.now ?? Date.now;
  }

  /** Status keys queued. */
  get size(): number {
    return this.#status.size;
  }

  /** History (key, minute) sums queued. */
  get historySize(): number {
    return this.#history.size;
  }

  /** True when nothing is queued. */
  get isEmpty(): boolean {
    return this.#status.size === 0 && this.#history.size === 0;
  }

  /** Number of the last key (or history sum) queued; grows by one per new key. */
  get lastSeq(): number {
    return this.#seq;
  }

  /**
   * The lowest {@linkcode lastSeq} number still queued (`Infinity` when the
   * queue is empty): everything queued up to `n` is written once it is above `n`.
   */
  oldestSeq(): number {
    let oldest = Infinity;
    for (const slot of this.#status.values()) {
      oldest = this.#slots.seq(slot);
      break;
    }
    for (const entry of this.#history.values()) return Math.min(oldest, entry.seq);
    return oldest;
  }

  /** Age in ms of the key queued longest ago (0 when none is): how far writing lags. */
  oldestAgeMs(): number {
    for (const slot of this.#status.values()) {
      return Math.max(0, this.#now() - this.#slots.queuedAt(slot));
    }
    return 0;
  }

  /** Queues the newest snapshot of a key (see the module documentation). */
  putStatus(row: StatusRow, key: string = statusKey(row)): void {
    const status = this.#status;
    const queued = status.get(key);
    if (queued !== undefined) {
      this.#counters.inc("coalesced");
      if (row.ts >= this.#slots.ts(queued)) this.#slots.write(queued, row);
      return;
    }
    if (status.size >= this.#maxRows) this.#dropOldestStatus();
    status.set(key, this.#slots.add(row, this.#now(), ++this.#seq));
    this.#notify();
  }

  /** Adds a history delta to the queued sum of its key and minute. */
  addHistory(row: HistoryRow): void {
    const key = `${statusKey(row)}@${row.minute}`;
    const queued = this.#history.get(key);
    if (queued !== undefined) {
      queued.row.succ += row.succ;
      queued.row.err += row.err;
      return;
    }
    if (this.#history.size >= this.#maxHistoryRows) this.#dropOldestHistory();
    this.#history.set(key, { key, row: { ...row }, seq: ++this.#seq });
    this.#notify();
  }

  /** Removes and returns up to `max` status entries, first queued first. */
  takeStatus(max: number): StatusEntry[] {
    const out: StatusEntry[] = [];
    const slots = this.#slots;
    for (const [key, slot] of this.#status) {
      if (out.length >= max) break;
      out.push({ key, row: slots.row(slot), queuedAt: slots.queuedAt(slot), seq: slots.seq(slot) });
      this.#status.delete(key);
      slots.free(slot);
    }
    if (this.#status.size === 0) slots.clear();
    return out;
  }

  /** Removes and returns up to `max` history sums, first queued first. */
  takeHistory(max: number): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (const [key, entry] of this.#history) {
      if (out.length >= max) break;
      out.push(entry);
      this.#history.delete(key);
    }
    return out;
  }

  /**
   * Puts back entries whose write failed, ahead of everything queued since
   * (they are older). A key queued again meanwhile keeps its queued snapshot
   * unless the returned one has a newer `ts`. The bound then applies as usual.
   */
  requeueStatus(entries: readonly StatusEntry[]): void {
    if (entries.length === 0) return;
    const merged = new Map<string, number>();
    const slots = this.#slots;
    for (const entry of entries) {
      const newer = this.#status.get(entry.key);
      if (newer === undefined) {
        merged.set(entry.key, slots.add(entry.row, entry.queuedAt, entry.seq));
      } else {
        if (entry.row.ts > slots.ts(newer)) slots.write(newer, entry.row);
        slots.setQueuedAt(newer, Math.min(slots.queuedAt(newer), entry.queuedAt));
        merged.set(entry.key, newer);
      }
    }
    for (const [key, slot] of this.#status) if (!merged.has(key)) merged.set(key, slot);
    this.#status = merged;
    while (this.#status.size > this.#maxRows) this.#dropOldestStatus();
    this.#notify();
  }

  /**
   * Puts back history sums whose write failed (the failed transaction added
   * nothing), ahead of everything queued since; calls of the same key and
   * minute queued meanwhile are added to them.
   */
  requeueHistory(entries: readonly HistoryEntry[]): void {
    if (entries.length === 0) return;
    const merged = new Map<string, HistoryEntry>();
    for (const entry of entries) {
      const since = this.#history.get(entry.key);
      if (since !== undefined) {
        entry.row.succ += since.row.succ;
        entry.row.err += since.row.err;
      }
      merged.set(entry.key, entry);
    }
    for (const [key, entry] of this.#history) if (!merged.has(key)) merged.set(key, entry);
    this.#history = merged;
    while (this.#history.size > this.#maxHistoryRows) this.#dropOldestHistory();
    this.#notify();
  }

  /**
   * Calls `wake` once, as soon as at least `rows` status keys or `rows`
   * history sums are queued (at once if they are now). Replaces an earlier
   * waiter; {@linkcode cancelWait} removes it.
   */
  onRows(rows: number, wake: () => void): void {
    this.#waiter = { rows, wake };
    this.#notify();
  }

  /** Removes the waiter set by {@linkcode onRows}. */
  cancelWait(): void {
    this.#waiter = null;
  }

  #dropOldestStatus(): void {
    const [key, slot] = this.#status.entries().next().value!;
    this.#status.delete(key);
    this.#slots.free(slot);
    this.#counters.inc("dropped");
  }

  #dropOldestHistory(): void {
    this.#history.delete(this.#history.keys().next().value!);
    this.#counters.inc("historyDropped");
  }

  #notify(): void {
    const waiter = this.#waiter;
    if (waiter === null) return;
    if (this.#status.size >= waiter.rows || this.#history.size >= waiter.rows) {
      this.#waiter = null;
      waiter.wake();
    }
  }
}

/**
 * The storage of the write queue's status snapshots: one slot of 11 numbers per
 * queued key (the row's 9 fields, when it was first queued, its queueing
 * number) in one growing `Float64Array`, with a free list of slots.
 *
 * Why not one object per key: at full rate (50,000 host results/s) every
 * snapshot waits in the queue for a flush window or longer, long enough to
 * outlive V8's young generation, so each queued row object was promoted to the
 * old generation and died there. With tens of thousands of keys queued while
 * the database lags, that was ~270 bytes of old-generation heap per key plus
 * the garbage between major collections. A slot is 88 bytes outside the V8
 * heap, and the row objects built from a report die young.
 *
 * @module
 */
import type { StatusRow } from "../store/types.ts";

const FIELDS = 11;
const QUEUED_AT = 9;
const SEQ = 10;
const INITIAL_SLOTS = 1024;

/** Packed status rows in numbered slots; see the module documentation. */
export class StatusSlots {
  #data = new Float64Array(INITIAL_SLOTS * FIELDS);
  #free: number[] = [];
  #next = 0;

  /** Takes a free slot (growing the storage when none is) and writes `row` into it. */
  add(row: StatusRow, queuedAt: number, seq: number): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#next++;
      if (slot * FIELDS >= this.#data.length) {
        const grown = new Float64Array(this.#data.length * 2);
        grown.set(this.#data);
        this.#data = grown;
      }
    }
    this.write(slot, row);
    this.#data[slot * FIELDS + QUEUED_AT] = queuedAt;
    this.#data[slot * FIELDS + SEQ] = seq;
    return slot;
  }

  /** Overwrites the row of `slot` (its queueing time and number stay). */
  write(slot: number, row: StatusRow): void {
    const d = this.#data;
    const i = slot * FIELDS;
    d[i] = row.modid;
    d[i + 1] = row.cmdid;
    d[i + 2] = row.ip;
    d[i + 3] = row.port;
    d[i + 4] = row.caller;
    d[i + 5] = row.succ;
    d[i + 6] = row.err;
    d[i + 7] = row.ts;
    d[i + 8] = row.overload ? 1 : 0;
  }

  /** The row of `slot`, as a new object. */
  row(slot: number): StatusRow {
    const d = this.#data;
    const i = slot * FIELDS;
    return {
      modid: d[i],
      cmdid: d[i + 1],
      ip: d[i + 2],
      port: d[i + 3],
      caller: d[i + 4],
      succ: d[i + 5],
      err: d[i + 6],
      ts: d[i + 7],
      overload: d[i + 8] === 1,
    };
  }

  /** The `ts` of the row in `slot`. */
  ts(slot: number): number {
    return this.#data[slot * FIELDS + 7];
  }

  /** When the key of `slot` was first queued (ms since the epoch). */
  queuedAt(slot: number): number {
    return this.#data[slot * FIELDS + QUEUED_AT];
  }

  /** Sets when the key of `slot` was first queued. */
  setQueuedAt(slot: number, queuedAt: number): void {
    this.#data[slot * FIELDS + QUEUED_AT] = queuedAt;
  }

  /** The queueing number of `slot`. */
  seq(slot: number): number {
    return this.#data[slot * FIELDS + SEQ];
  }

  /** Gives `slot` back. */
  free(slot: number): void {
    this.#free.push(slot);
  }

  /**
   * Frees every slot (the queue is empty); storage grown past 16 times the
   * initial size for a backlog is released.
   */
  clear(): void {
    this.#free.length = 0;
    this.#next = 0;
    if (this.#data.length > 16 * INITIAL_SLOTS * FIELDS) {
      this.#data = new Float64Array(INITIAL_SLOTS * FIELDS);
    }
  }
}

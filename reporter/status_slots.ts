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
import {
  readStatusRow,
  STATUS_FIELDS,
  STATUS_TS,
  writeStatusRow,
} from "./store_worker_protocol.ts";

/** The row's fields as the store worker packs them, then when it was queued and its number. */
const QUEUED_AT = STATUS_FIELDS;
const SEQ = STATUS_FIELDS + 1;
const FIELDS = STATUS_FIELDS + 2;
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
    writeStatusRow(this.#data, slot * FIELDS, row);
  }

  /** The row of `slot`, as a new object. */
  row(slot: number): StatusRow {
    return readStatusRow(this.#data, slot * FIELDS);
  }

  /** The `ts` of the row in `slot`. */
  ts(slot: number): number {
    return this.#data[slot * FIELDS + STATUS_TS];
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

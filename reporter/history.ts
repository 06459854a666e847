/**
 * Per-minute call history from cumulative snapshots.
 *
 * An agent reports, per host, `succ`/`err` counted since that host's window
 * last reset (`rsucc`/`rerr`: set to 0 when the idle or overload window ends
 * or the host changes state), not the calls since its previous report. The
 * history table wants calls per minute, so the reporter turns consecutive
 * snapshots of one key `(modid, cmdid, ip, port, caller)` into deltas:
 *
 * - next snapshot with both counters >= the previous ones: the delta is the
 *   difference (calls made between the two reports);
 * - either counter smaller than before: the window was reset in between, and
 *   the new values count the calls since that reset, so they are the delta;
 * - first snapshot of a key (new host, or first one since the reporter
 *   started): its values are the delta (the calls of the window so far);
 * - a snapshot with an older `ts` than the last one seen is out of date and
 *   adds nothing.
 *
 * The delta goes to the minute of the snapshot's `ts` (`floor(ts / 60) * 60`),
 * so a sum is "calls reported during that minute". Deltas of one key and
 * minute add up while queued and in the table (`succ_sum += delta`).
 *
 * Known limits: after a reporter restart (or when a key was evicted from the
 * bounded tracker) the first snapshot counts its window again, so up to one
 * window of calls (the agent's `idle_timeout`, 15 s by default) may be counted
 * twice; a reset followed by more calls than before the reset, both between
 * two reports, is seen as growth and undercounts. The status table is exact;
 * the history is for drawing trends.
 *
 * @module
 */
import type { HistoryRow, StatusRow } from "../store/types.ts";
import { statusKey } from "./write_queue.ts";

interface _Seen {
  succ: number;
  err: number;
  ts: number;
}

/** Options of a {@linkcode HistoryTracker}. */
export interface HistoryTrackerOptions {
  /**
   * Most keys whose last snapshot is remembered; past this the least recently
   * reported key is forgotten (its next snapshot then counts as a first one).
   * @default 200000
   */
  maxKeys?: number;
}

/**
 * Remembers the last snapshot per key and turns each new snapshot into the
 * calls made since the previous one (see the module documentation).
 *
 * @example
 * ```ts
 * import { HistoryTracker } from "./history.ts";
 * const tracker = new HistoryTracker();
 * const row = { modid: 1, cmdid: 1, ip: 1, port: 80, caller: 2, overload: false };
 * tracker.observe({ ...row, succ: 10, err: 1, ts: 120 }); // first: 10 / 1 in minute 120
 * const next = tracker.observe({ ...row, succ: 15, err: 1, ts: 130 });
 * console.log(next?.succ, next?.err, next?.minute); // 5 0 120
 * console.log(tracker.observe({ ...row, succ: 3, err: 0, ts: 185 })?.succ); // 3 (window reset)
 * ```
 */
export class HistoryTracker {
  readonly #maxKeys: number;
  readonly #seen = new Map<string, _Seen>();

  /**
   * Creates an empty tracker.
   * @throws {RangeError} when `maxKeys` is not a positive integer
   */
  constructor(options: HistoryTrackerOptions = {}) {
    const maxKeys = options.maxKeys ?? 200_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RangeError(`Cannot create history tracker: maxKeys must be >= 1, got ${maxKeys}`);
    }
    this.#maxKeys = maxKeys;
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records `row` and returns the calls it adds to its minute, or null when it
   * adds none (no new calls, or an out-of-date snapshot). `key` may be passed
   * when the caller has it already.
   */
  observe(row: StatusRow, key: string = statusKey(row)): HistoryRow | null {
    const seen = this.#seen;
    const last = seen.get(key);
    if (last !== undefined && row.ts < last.ts) return null;
    let succ = row.succ;
    let err = row.err;
    if (last !== undefined) {
      if (row.succ >= last.succ && row.err >= last.err) {
        succ -= last.succ;
        err -= last.err;
      }
      // Least recently reported first: re-insert to move the key to the end.
      seen.delete(key);
    } else if (seen.size >= this.#maxKeys) {
      seen.delete(seen.keys().next().value!);
    }
    seen.set(key, { succ: row.succ, err: row.err, ts: row.ts });
    if (succ === 0 && err === 0) return null;
    return {
      modid: row.modid,
      cmdid: row.cmdid,
      ip: row.ip,
      port: row.port,
      caller: row.caller,
      minute: Math.floor(row.ts / 60) * 60,
      succ,
      err,
    };
  }
}

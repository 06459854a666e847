/**
 * What crosses the worker boundary between the main isolate
 * (`store_worker_client.ts`) and the store worker (`store_worker.ts`): one request per store call, one reply per request. Rows travel packed
 * in a `Float64Array` (9 numbers per status row, 8 per history row), which
 * clones far faster than arrays of objects.
 *
 * @module
 */
import type { HistoryFilter, HistoryRow, StatusRow } from "../store/types.ts";

/** How the worker opens its store (the options of `WorkerReportStore`). */
export interface StoreWorkerOpen {
  /** Store URL (`sqlite:PATH` or `mysql://user:pass@host:port/db`). */
  url: string;
  /** Create and write `ServerCallHistory`. */
  history: boolean;
  /**
   * MySQL: most pooled connections (give one per writer).
   * @default 4
   */
  connectionLimit?: number;
  /**
   * MySQL: how long opening one connection may take, in ms.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * SQLite: how long a write waits for another connection's lock, in ms.
   * @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * URL of a module whose `createReportStore(url, options)` builds the store
   * instead of `store/url.ts`'s (the benchmark's one-statement-per-row baseline).
   */
  storeModule?: string;
}

/** A request from the main isolate. */
export type StoreRequest =
  | { id: number; op: "open"; open: StoreWorkerOpen }
  | { id: number; op: "init" | "close" }
  | { id: number; op: "upsertStatus" | "addHistory"; rows: Float64Array }
  | { id: number; op: "listStatus" | "listHistory"; filter: HistoryFilter };

/** An error as it crosses to the main isolate. */
export interface StoreErrorData {
  /** `StoreError`, `TypeError`, `RangeError` or another error name. */
  name: string;
  /** The message. */
  message: string;
}

/** The worker's reply to request `id`. */
export type StoreReply =
  | { id: number; ok: true; rows?: Float64Array }
  | { id: number; ok: false; error: StoreErrorData };

/** Numbers per status row in a packed array ({@linkcode writeStatusRow}). */
export const STATUS_FIELDS = 9;
/** Index of `ts` within a packed status row. */
export const STATUS_TS = 7;
const HISTORY_FIELDS = 8;

/** Writes `row` as {@linkcode STATUS_FIELDS} numbers into `out` from index `at`. */
export function writeStatusRow(out: Float64Array, at: number, row: StatusRow): void {
  out[at] = row.modid;
  out[at + 1] = row.cmdid;
  out[at + 2] = row.ip;
  out[at + 3] = row.port;
  out[at + 4] = row.caller;
  out[at + 5] = row.succ;
  out[at + 6] = row.err;
  out[at + STATUS_TS] = row.ts;
  out[at + 8] = row.overload ? 1 : 0;
}

/** Reads the status row that {@linkcode writeStatusRow} wrote at index `at`. */
export function readStatusRow(data: Float64Array, at: number): StatusRow {
  return {
    modid: data[at],
    cmdid: data[at + 1],
    ip: data[at + 2],
    port: data[at + 3],
    caller: data[at + 4],
    succ: data[at + 5],
    err: data[at + 6],
    ts: data[at + STATUS_TS],
    overload: data[at + 8] === 1,
  };
}

/** Packs status rows, {@linkcode STATUS_FIELDS} numbers each. */
export function packStatus(rows: readonly StatusRow[]): Float64Array {
  const out = new Float64Array(rows.length * STATUS_FIELDS);
  for (let r = 0; r < rows.length; r++) writeStatusRow(out, r * STATUS_FIELDS, rows[r]);
  return out;
}

/** Unpacks what {@linkcode packStatus} packed. */
export function unpackStatus(data: Float64Array): StatusRow[] {
  const rows: StatusRow[] = [];
  for (let i = 0; i + STATUS_FIELDS <= data.length; i += STATUS_FIELDS) {
    rows.push(readStatusRow(data, i));
  }
  return rows;
}

/** Packs history rows, 8 numbers each. */
export function packHistory(rows: readonly HistoryRow[]): Float64Array {
  const out = new Float64Array(rows.length * HISTORY_FIELDS);
  let i = 0;
  for (const r of rows) {
    out[i++] = r.modid;
    out[i++] = r.cmdid;
    out[i++] = r.ip;
    out[i++] = r.port;
    out[i++] = r.caller;
    out[i++] = r.minute;
    out[i++] = r.succ;
    out[i++] = r.err;
  }
  return out;
}

/** Unpacks what {@linkcode packHistory} packed. */
export function unpackHistory(data: Float64Array): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (let i = 0; i + HISTORY_FIELDS <= data.length; i += HISTORY_FIELDS) {
    rows.push({
      modid: data[i],
      cmdid: data[i + 1],
      ip: data[i + 2],
      port: data[i + 3],
      caller: data[i + 4],
      minute: data[i + 5],
      succ: data[i + 6],
      err: data[i + 7],
    });
  }
  return rows;
}

/**
 * Turns a ReportStatusRequest from the wire into `ServerCallStatus` rows,
 * checking every field against its column: a result that does not fit is
 * dropped (and counted by the caller), never sent to the database.
 *
 * @module
 */
import { isPort, isUint32 } from "../proto/ip.ts";
import type { HostCallResult, ReportStatusRequest } from "../proto/messages.ts";
import type { StatusRow } from "../store/types.ts";

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7FFFFFFF;

/**
 * How far ahead of the reporter's clock a report's `ts` may be by default, in
 * seconds (`[reporter] max_future_skew`). A report with a later `ts` is
 * rejected: the store keeps the newest `ts` per key, so one such report (from
 * a host with a wrong clock, or forged) would otherwise freeze that key's row
 * until the clock catches up.
 */
export const DEFAULT_MAX_FUTURE_SKEW_SECONDS = 300;

/** The rows of one report and what was dropped or fixed on the way. */
export interface IngestResult {
  /** One row per valid result, in report order. */
  rows: StatusRow[];
  /** Results dropped because a field does not fit its column. */
  invalid: number;
  /** Rows whose `ts` was 0 and got `nowSeconds` instead. */
  clockFixes: number;
  /** True when the whole report was rejected for a `ts` too far in the future. */
  future: boolean;
}

function _isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

function _fitsCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= INT32_MAX;
}

/** True when `result` fits the `ServerCallStatus` columns. */
export function isValidResult(result: HostCallResult): boolean {
  return isUint32(result.ip) && isPort(result.port) && _fitsCount(result.succ) &&
    _fitsCount(result.err) && typeof result.overload === "boolean";
}

/**
 * The rows of `request`. Results with a port outside `1..65535`, or `succ`/`err`
 * above `2^31-1` (the `int` columns), are dropped; a request whose `modid`,
 * `cmdid` or `caller` does not fit drops all of its results. `ts` 0 becomes
 * `nowSeconds`; a `ts` more than `maxFutureSkew` seconds ahead of it rejects
 * the whole report (`future: true`, no rows).
 *
 * @example
 * ```ts
 * import { toStatusRows } from "./ingest.ts";
 * const { rows, invalid } = toStatusRows({
 *   modid: 1, cmdid: 2, caller: 0x7F000001, ts: 0,
 *   results: [
 *     { ip: 0x0A000001, port: 9000, succ: 5, err: 1, overload: false },
 *     { ip: 0x0A000002, port: 0, succ: 5, err: 1, overload: false },
 *   ],
 * }, 1_700_000_000);
 * console.log(rows.length, rows[0].ts, invalid); // 1 1700000000 1
 * ```
 */
export function toStatusRows(
  request: ReportStatusRequest,
  nowSeconds: number,
  maxFutureSkew: number = DEFAULT_MAX_FUTURE_SKEW_SECONDS,
): IngestResult {
  const { modid, cmdid, caller, results } = request;
  if (!_isInt32(modid) || !_isInt32(cmdid) || !isUint32(caller)) {
    return { rows: [], invalid: results.length, clockFixes: 0, future: false };
  }
  let ts = request.ts;
  let fixed = false;
  if (ts > nowSeconds + maxFutureSkew) return { rows: [], invalid: 0, clockFixes: 0, future: true };
  if (!Number.isInteger(ts) || ts <= 0) {
    ts = nowSeconds;
    fixed = true;
  }
  const rows: StatusRow[] = [];
  let invalid = 0;
  for (const r of results) {
    if (!isValidResult(r)) {
      invalid++;
      continue;
    }
    rows.push({
      modid,
      cmdid,
      ip: r.ip,
      port: r.port,
      caller,
      succ: r.succ,
      err: r.err,
      ts,
      overload: r.overload,
    });
  }
  return { rows, invalid, clockFixes: fixed ? rows.length : 0, future: false };
}

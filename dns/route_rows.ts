/**
 * Which `RouteData` rows the DNS service may serve. The original served every
 * row as it was, so a port of 0 or 70,000 or an address of 0.0.0.0 reached
 * applications (port -1 on the wire). Rows written by other tools (the
 * original's web admin, hand-written SQL) can hold such values; the DNS
 * service skips them, counts them and logs each one once
 * ({@linkcode InvalidRowLog}).
 *
 * @module
 */
import { intToIp, isUint32 } from "../proto/ip.ts";
import type { RouteRow } from "../store/types.ts";

const INT32_MAX = 0x7FFFFFFF;

/** Why a module key cannot be served (ids outside `0..2^31-1`), or null when it can. */
export function moduleKeyProblem(modid: number, cmdid: number): string | null {
  if (!Number.isInteger(modid) || modid < 0 || modid > INT32_MAX) {
    return `modid ${modid} is outside 0..${INT32_MAX}`;
  }
  if (!Number.isInteger(cmdid) || cmdid < 0 || cmdid > INT32_MAX) {
    return `cmdid ${cmdid} is outside 0..${INT32_MAX}`;
  }
  return null;
}

/** Why `row` must not be served, or null when it may. */
export function routeRowProblem(row: RouteRow): string | null {
  const { modid, cmdid, ip, port } = row;
  const keyProblem = moduleKeyProblem(modid, cmdid);
  if (keyProblem !== null) return keyProblem;
  if (!isUint32(ip)) return `ip ${ip} is not an IPv4 address`;
  if (ip === 0 || ip === 0xFFFFFFFF) return `ip ${intToIp(ip)} is not a host address`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return `port ${port} is outside 1..65535`;
  }
  return null;
}

/** Options of an {@linkcode InvalidRowLog}. */
export interface InvalidRowLogOptions {
  /** Called once per distinct invalid row with a one-line description. */
  report: (line: string) => void;
  /**
   * Most distinct rows remembered; beyond it rows are still skipped and
   * counted, but reported again after the memory is cleared.
   * @default 10000
   */
  maxRemembered?: number;
}

/**
 * Filters invalid rows out of loads and remembers which ones it has reported,
 * so each is logged and counted once however often the table is reloaded.
 */
export class InvalidRowLog {
  #seen = new Set<string>();
  #report: (line: string) => void;
  #max: number;
  /** Distinct invalid rows found so far. */
  count = 0;

  /** Creates an empty log. */
  constructor(options: InvalidRowLogOptions) {
    this.#report = options.report;
    this.#max = options.maxRemembered ?? 10_000;
  }

  /** `rows` without the invalid ones (the same array when every row is valid). */
  filter(rows: readonly RouteRow[]): readonly RouteRow[] {
    let kept: RouteRow[] | null = null;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const problem = routeRowProblem(row);
      if (problem === null) {
        kept?.push(row);
        continue;
      }
      if (kept === null) kept = rows.slice(0, i);
      this.#note(row, problem);
    }
    return kept ?? rows;
  }

  #note(row: RouteRow, problem: string): void {
    const key = `${row.modid},${row.cmdid},${row.ip},${row.port}`;
    if (this.#seen.has(key)) return;
    if (this.#seen.size >= this.#max) this.#seen.clear();
    this.#seen.add(key);
    this.count++;
    this.#report(
      `skipping RouteData row modid ${row.modid} cmdid ${row.cmdid} ip ${row.ip} ` +
        `port ${row.port}: ${problem}`,
    );
  }
}

/**
 * The DNS route table in a form without one object per host: every valid
 * `RouteData` row checked, grouped by module, each module's hosts sorted by
 * address and port with duplicates dropped, and the whole held in two
 * `Float64Array`s. A table of 100,000 hosts is then two buffers instead of
 * 100,000 objects, which is what the garbage collector would otherwise walk
 * on every major collection of the DNS service's heap, and it crosses from
 * the table loader's worker to the service by transfer, not by copy.
 *
 * The packing runs as steps ({@linkcode packSteps}) so the same code packs
 * in one go ({@linkcode packRows}: in the loader's worker, and for a few
 * changed modules) and in slices between event-loop turns
 * ({@linkcode packRowsInSlices}: a whole MySQL table on the service's loop).
 *
 * @module
 */
import type { RouteRow } from "../store/types.ts";
import { LoopYielder } from "./loop_yield.ts";
import { routeRowProblem } from "./route_rows.ts";

/** Numbers per host in {@linkcode PackedTable.hosts}: ip, port, weight (NaN when absent), flags. */
export const HOST_FIELDS = 4;
/** Numbers per module in {@linkcode PackedTable.modules}: modid, cmdid, first host, host count. */
export const MODULE_FIELDS = 4;
/** Bit of a host's flags: the fleet sees the host overloaded (`HostInfo.fleetOverload`). */
export const FLEET_OVERLOAD = 1;
/** Most invalid rows a {@linkcode PackedTable} lists (the rest are counted only). */
export const MAX_INVALID_LISTED = 10_000;

/** A packed route table; see the module doc. */
export interface PackedTable {
  /** Per module: modid, cmdid, index of its first host, number of hosts. */
  modules: Float64Array;
  /** Per host, modules one after another: ip, port, weight (NaN: none), flags. */
  hosts: Float64Array;
  /** Rows skipped as invalid (at most {@linkcode MAX_INVALID_LISTED}), for the caller to report. */
  invalid: RouteRow[];
  /** Rows skipped as invalid, all of them. */
  invalidCount: number;
}

/** Orders host rows by address, then port. */
function compareRows(a: RouteRow, b: RouteRow): number {
  return a.ip - b.ip || a.port - b.port;
}

/**
 * Packs `rows` as steps: the generator yields after about every `slice` rows
 * of work and returns the table. Drive it with {@linkcode packRows} or
 * {@linkcode packRowsInSlices}.
 */
export function* packSteps(
  rows: readonly RouteRow[],
  slice = 1000,
): Generator<void, PackedTable, void> {
  const byModule = new Map<string, RouteRow[]>();
  const invalid: RouteRow[] = [];
  let invalidCount = 0;
  let valid = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (routeRowProblem(row) !== null) {
      invalidCount++;
      if (invalid.length < MAX_INVALID_LISTED) invalid.push(row);
    } else {
      const key = `${row.modid},${row.cmdid}`;
      let list = byModule.get(key);
      if (!list) byModule.set(key, list = []);
      list.push(row);
      valid++;
    }
    if (i % slice === slice - 1) yield;
  }
  yield;
  const modules = new Float64Array(byModule.size * MODULE_FIELDS);
  let hosts = new Float64Array(valid * HOST_FIELDS);
  let m = 0;
  let h = 0;
  let done = 0;
  for (const list of byModule.values()) {
    list.sort(compareRows); // stable: of duplicate rows the first read is kept
    const first = h;
    for (let i = 0; i < list.length; i++) {
      const row = list[i];
      if (i > 0 && compareRows(row, list[i - 1]) === 0) continue;
      const at = h++ * HOST_FIELDS;
      hosts[at] = row.ip;
      hosts[at + 1] = row.port;
      hosts[at + 2] = row.weight ?? NaN;
      hosts[at + 3] = 0;
    }
    modules[m++] = list[0].modid;
    modules[m++] = list[0].cmdid;
    modules[m++] = first;
    modules[m++] = h - first;
    done += list.length;
    if (done >= slice) {
      done = 0;
      yield;
    }
  }
  if (h < valid) hosts = hosts.slice(0, h * HOST_FIELDS); // duplicates were dropped
  return { modules, hosts, invalid, invalidCount };
}

/** Packs `rows` in one go. */
export function packRows(rows: readonly RouteRow[]): PackedTable {
  const steps = packSteps(rows, Number.MAX_SAFE_INTEGER);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Packs `rows`, giving the event loop a turn every few milliseconds
 * ({@linkcode LoopYielder}), so a table of 100,000 hosts does not stall answers.
 */
export async function packRowsInSlices(rows: readonly RouteRow[]): Promise<PackedTable> {
  const steps = packSteps(rows);
  const yielder = new LoopYielder();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (yielder.due) await yielder.yield();
  }
}

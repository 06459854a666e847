/**
 * The DNS service's in-memory route table: `(modid, cmdid) -> hosts`. It is
 * built whole from `RouteData` and then updated module by module as changes
 * arrive. Each module's hosts are kept sorted by address and port (duplicate
 * rows collapse, as in the original's set), so answers are stable, and encoded
 * answer frames are cached per module: a push to 1,000 subscribers encodes
 * once.
 *
 * Hosts are held packed ({@linkcode PackedTable}): one `Float64Array` view
 * per module, no object per host, so 100,000 hosts add little for the garbage
 * collector to walk. {@linkcode RouteMap.hosts} makes `HostInfo` objects on
 * demand (logs, the admin API, tests); answers are encoded from them once per
 * change and then served from the cached frame.
 *
 * A module whose answer would exceed the frame limit is served a stable
 * subset that fits (the first hosts in that order), and
 * {@linkcode RouteMapOptions.onOversized} is told.
 *
 * @module
 */
import { encodeFrame } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteResponseCodec, type HostInfo } from "../proto/messages.ts";
import type { RouteRow } from "../store/types.ts";
import { hostsThatFit, responseBodySize } from "./frame_budget.ts";
import { LoopYielder } from "./loop_yield.ts";
import {
  FLEET_OVERLOAD,
  HOST_FIELDS,
  MODULE_FIELDS,
  type PackedTable,
  packRows,
  packRowsInSlices,
} from "./packed_table.ts";

/** Map key of a module. */
export function moduleKey(modid: number, cmdid: number): string {
  return `${modid},${cmdid}`;
}

/** The module of a key made by {@linkcode moduleKey}. */
export function parseModuleKey(key: string): { modid: number; cmdid: number } {
  const comma = key.indexOf(",");
  return { modid: Number(key.slice(0, comma)), cmdid: Number(key.slice(comma + 1)) };
}

/** A module whose answer does not fit in one frame. */
export interface OversizedModule {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Hosts the module has. */
  hosts: number;
  /** Hosts served (the first ones by address and port). */
  served: number;
  /** Size the full answer body would have, in bytes. */
  bytes: number;
}

/** Options of a {@linkcode RouteMap}. */
export interface RouteMapOptions {
  /** Called whenever an answer frame is cut to fit (once per encoding; frames are cached). */
  onOversized?: (module: OversizedModule) => void;
  /** Hosts this answers true for carry `fleetOverload` (see `fleet_health.ts`). */
  fleetOverloaded?: (modid: number, cmdid: number, ip: number, port: number) => boolean;
}

const NO_HOSTS = new Float64Array(0);

type FleetCheck = RouteMapOptions["fleetOverloaded"];

/** Weight as served: absent means 1. */
function servedWeight(w: number): number {
  return Number.isNaN(w) ? 1 : w;
}

/** Sets or clears the fleet flag of every host of one module. */
function markFleet(hosts: Float64Array, modid: number, cmdid: number, fleet: FleetCheck): void {
  for (let at = 0; at < hosts.length; at += HOST_FIELDS) {
    const overloaded = fleet?.(modid, cmdid, hosts[at], hosts[at + 1]) ?? false;
    hosts[at + 3] = overloaded ? FLEET_OVERLOAD : 0;
  }
}

/** The first `limit` hosts of one packed module as `HostInfo` objects. */
function hostInfos(hosts: Float64Array, limit = Infinity): HostInfo[] {
  const out: HostInfo[] = new Array(Math.min(limit, hosts.length / HOST_FIELDS));
  for (let i = 0, at = 0; i < out.length; i++, at += HOST_FIELDS) {
    const host: HostInfo = { ip: hosts[at], port: hosts[at + 1] };
    if (!Number.isNaN(hosts[at + 2])) host.weight = hosts[at + 2];
    if (hosts[at + 3] & FLEET_OVERLOAD) host.fleetOverload = true;
    out[i] = host;
  }
  return out;
}

/**
 * Adds the modules of `table` to `into`, as views of its buffer, setting the
 * fleet flags; yields after about every `slice` modules. Returns the hosts added.
 */
function* adoptSteps(
  into: Map<string, Float64Array>,
  table: PackedTable,
  fleet: FleetCheck,
  slice: number,
): Generator<void, number, void> {
  const { modules, hosts } = table;
  let added = 0;
  for (let m = 0, n = 0; m < modules.length; m += MODULE_FIELDS, n++) {
    const modid = modules[m];
    const cmdid = modules[m + 1];
    const first = modules[m + 2] * HOST_FIELDS;
    const count = modules[m + 3];
    const view = hosts.subarray(first, first + count * HOST_FIELDS);
    if (fleet) markFleet(view, modid, cmdid, fleet);
    into.set(moduleKey(modid, cmdid), view);
    added += count;
    if (n % slice === slice - 1) yield;
  }
  return added;
}

/** Every module's hosts, with cached answer frames. */
export class RouteMap {
  #hosts = new Map<string, Float64Array>();
  #frames = new Map<string, Uint8Array>();
  #hostCount = 0;
  #onOversized: ((module: OversizedModule) => void) | undefined;
  #fleet: FleetCheck;

  /**
   * Builds the map from `RouteData` rows in one go (invalid rows are dropped
   * silently; the service reports them through `route_rows.ts` first).
   */
  constructor(rows: readonly RouteRow[] = [], options: RouteMapOptions = {}) {
    this.#onOversized = options.onOversized;
    this.#fleet = options.fleetOverloaded;
    if (rows.length > 0) this.#adoptAll(packRows(rows));
  }

  #adoptAll(table: PackedTable): void {
    const steps = adoptSteps(this.#hosts, table, this.#fleet, Number.MAX_SAFE_INTEGER);
    for (;;) {
      const step = steps.next();
      if (step.done) {
        this.#hostCount += step.value;
        return;
      }
    }
  }

  /**
   * Builds the same map as the constructor, giving the event loop a turn
   * every few milliseconds, so a table of 100,000 hosts does not stall answers.
   */
  static async build(rows: readonly RouteRow[], options: RouteMapOptions = {}): Promise<RouteMap> {
    return RouteMap.fromPacked(await packRowsInSlices(rows), options);
  }

  /**
   * Builds a map from a packed table (e.g. from the table loader's worker),
   * taking its buffer over, giving the event loop a turn every few milliseconds.
   */
  static async fromPacked(table: PackedTable, options: RouteMapOptions = {}): Promise<RouteMap> {
    const map = new RouteMap([], options);
    const steps = adoptSteps(map.#hosts, table, options.fleetOverloaded, 200);
    const yielder = new LoopYielder();
    for (;;) {
      const step = steps.next();
      if (step.done) {
        map.#hostCount = step.value;
        return map;
      }
      if (yielder.due) await yielder.yield();
    }
  }

  /** Number of hosts over all modules. */
  get hostCount(): number {
    return this.#hostCount;
  }

  /** Number of modules. */
  get moduleCount(): number {
    return this.#hosts.size;
  }

  /** Keys ({@linkcode moduleKey}) of every module. */
  keys(): IterableIterator<string> {
    return this.#hosts.keys();
  }

  /** Number of hosts of a module; 0 when unknown. */
  hostsOf(modid: number, cmdid: number): number {
    return this.hostsOfKey(moduleKey(modid, cmdid));
  }

  /** Number of hosts of the module with key `key` ({@linkcode moduleKey}); 0 when unknown. */
  hostsOfKey(key: string): number {
    return (this.#hosts.get(key)?.length ?? 0) / HOST_FIELDS;
  }

  /**
   * Hosts of a module (the first `limit` of them), sorted by address and
   * port; empty when unknown. Made afresh on each call: for logs, tools and
   * tests, not for answers.
   */
  hosts(modid: number, cmdid: number, limit?: number): HostInfo[] {
    return hostInfos(this.#hosts.get(moduleKey(modid, cmdid)) ?? NO_HOSTS, limit);
  }

  /**
   * Replaces the hosts of the modules in `keys` with those in `rows` (a module
   * with no rows becomes unknown). Rows of modules not in `keys` are ignored.
   */
  replaceModules(keys: Iterable<string>, rows: readonly RouteRow[]): void {
    const fresh = new Map<string, Float64Array>();
    const steps = adoptSteps(fresh, packRows(rows), this.#fleet, Number.MAX_SAFE_INTEGER);
    while (!steps.next().done) { /* one go */ }
    for (const key of keys) {
      const old = this.#hosts.get(key);
      if (old) this.#hostCount -= old.length / HOST_FIELDS;
      this.#frames.delete(key);
      const list = fresh.get(key);
      if (list) {
        this.#hosts.set(key, list);
        this.#hostCount += list.length / HOST_FIELDS;
      } else {
        this.#hosts.delete(key);
      }
    }
  }

  /**
   * Sets `fleetOverload` afresh on the hosts of these modules (after the fleet
   * verdicts changed) and drops their cached answers.
   */
  refreshFleet(keys: Iterable<string>): void {
    for (const key of keys) {
      const list = this.#hosts.get(key);
      if (!list) continue;
      this.#frames.delete(key);
      const { modid, cmdid } = parseModuleKey(key);
      markFleet(list, modid, cmdid, this.#fleet);
    }
  }

  /** True when module `key` has the same hosts (and weights) here and in `other`. */
  sameModule(other: RouteMap, key: string): boolean {
    const a = this.#hosts.get(key) ?? NO_HOSTS;
    const b = other.#hosts.get(key) ?? NO_HOSTS;
    if (a.length !== b.length) return false;
    for (let at = 0; at < a.length; at += HOST_FIELDS) {
      if (
        a[at] !== b[at] || a[at + 1] !== b[at + 1] ||
        servedWeight(a[at + 2]) !== servedWeight(b[at + 2])
      ) return false;
    }
    return true;
  }

  /**
   * The GetRouteResponse frame for a module. Known modules' frames are encoded
   * once and cached; an unknown module's (empty) answer is not cached, so
   * requests for made-up modules cannot grow the cache.
   */
  responseFrame(modid: number, cmdid: number): Uint8Array {
    const key = moduleKey(modid, cmdid);
    const cached = this.#frames.get(key);
    if (cached) return cached;
    const packed = this.#hosts.get(key);
    if (!packed) {
      return encodeFrame(
        MessageId.GetRouteResponse,
        GetRouteResponseCodec.encode({ modid, cmdid, host: [] }),
      );
    }
    const all = hostInfos(packed);
    let host = all;
    const fit = hostsThatFit(modid, cmdid, all);
    if (fit < all.length) {
      host = all.slice(0, fit);
      this.#onOversized?.({
        modid,
        cmdid,
        hosts: all.length,
        served: fit,
        bytes: responseBodySize(modid, cmdid, all),
      });
    }
    const frame = encodeFrame(
      MessageId.GetRouteResponse,
      GetRouteResponseCodec.encode({ modid, cmdid, host }),
    );
    this.#frames.set(key, frame);
    return frame;
  }
}

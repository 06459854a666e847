/**
 * The DNS service's in-memory route table: `(modid, cmdid) -> hosts`. It is
 * built whole from `RouteData` and then updated module by module as changes
 * arrive. Each module's hosts are kept sorted by address and port (duplicate
 * rows collapse, as in the original's set), so answers are stable, and encoded
 * answer frames are cached per module: a push to 1,000 subscribers encodes
 * once.
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

const NO_HOSTS: readonly HostInfo[] = Object.freeze([]);

function compareHosts(a: HostInfo, b: HostInfo): number {
  return a.ip - b.ip || a.port - b.port;
}

/** Whether two hosts are served alike (address, port and weight; the fleet flag aside). */
function sameHost(a: HostInfo, b: HostInfo): boolean {
  return a.ip === b.ip && a.port === b.port && (a.weight ?? 1) === (b.weight ?? 1);
}

type FleetCheck = RouteMapOptions["fleetOverloaded"];

/** Adds `rows[from..to)` to their modules' lists (unsorted). */
function addRows(
  hosts: Map<string, HostInfo[]>,
  rows: readonly RouteRow[],
  from: number,
  to: number,
  fleet: FleetCheck,
): void {
  for (let i = from; i < to; i++) {
    const row = rows[i];
    const key = moduleKey(row.modid, row.cmdid);
    let list = hosts.get(key);
    if (!list) hosts.set(key, list = []);
    const host: HostInfo = { ip: row.ip, port: row.port };
    if (row.weight !== undefined) host.weight = row.weight;
    if (fleet?.(row.modid, row.cmdid, row.ip, row.port)) host.fleetOverload = true;
    list.push(host);
  }
}

/** Sorts a module's hosts by address and port and drops duplicates, in place. */
function sortHosts(list: HostInfo[]): void {
  list.sort(compareHosts);
  let n = 1;
  for (let i = 1; i < list.length; i++) {
    if (compareHosts(list[i], list[n - 1]) !== 0) list[n++] = list[i];
  }
  list.length = Math.min(n, list.length);
}

/** Groups rows by module; each list sorted by address and port, duplicates dropped. */
function groupRows(rows: readonly RouteRow[], fleet: FleetCheck): Map<string, HostInfo[]> {
  const hosts = new Map<string, HostInfo[]>();
  addRows(hosts, rows, 0, rows.length, fleet);
  for (const list of hosts.values()) sortHosts(list);
  return hosts;
}

/** Every module's hosts, with cached answer frames. */
export class RouteMap {
  #hosts: Map<string, HostInfo[]>;
  #frames = new Map<string, Uint8Array>();
  #hostCount = 0;
  #onOversized: ((module: OversizedModule) => void) | undefined;
  #fleet: FleetCheck;

  /** Builds the map from `RouteData` rows (which must be valid; see `route_rows.ts`). */
  constructor(rows: readonly RouteRow[] = [], options: RouteMapOptions = {}) {
    this.#hosts = groupRows(rows, options.fleetOverloaded);
    for (const list of this.#hosts.values()) this.#hostCount += list.length;
    this.#onOversized = options.onOversized;
    this.#fleet = options.fleetOverloaded;
  }

  /**
   * Builds the same map as the constructor, yielding to the event loop after
   * every `chunk` rows, so a table of 100,000 hosts does not stall answers.
   */
  static async build(
    rows: readonly RouteRow[],
    options: RouteMapOptions = {},
    chunk = 10_000,
  ): Promise<RouteMap> {
    const hosts = new Map<string, HostInfo[]>();
    const yielder = new LoopYielder();
    try {
      for (let from = 0; from < rows.length; from += chunk) {
        addRows(hosts, rows, from, Math.min(rows.length, from + chunk), options.fleetOverloaded);
        await yielder.yield();
      }
      let sorted = 0;
      for (const list of hosts.values()) {
        sortHosts(list);
        sorted += list.length;
        if (sorted >= chunk) {
          sorted = 0;
          await yielder.yield();
        }
      }
    } finally {
      yielder.close();
    }
    const map = new RouteMap([], options);
    map.#hosts = hosts;
    for (const list of hosts.values()) map.#hostCount += list.length;
    return map;
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

  /** Hosts of a module, sorted by address and port; empty when unknown. */
  hosts(modid: number, cmdid: number): readonly HostInfo[] {
    return this.#hosts.get(moduleKey(modid, cmdid)) ?? NO_HOSTS;
  }

  /**
   * Replaces the hosts of the modules in `keys` with those in `rows` (a module
   * with no rows becomes unknown). Rows of modules not in `keys` are ignored.
   */
  replaceModules(keys: Iterable<string>, rows: readonly RouteRow[]): void {
    const fresh = groupRows(rows, this.#fleet);
    for (const key of keys) {
      const old = this.#hosts.get(key);
      if (old) this.#hostCount -= old.length;
      this.#frames.delete(key);
      const list = fresh.get(key);
      if (list) {
        this.#hosts.set(key, list);
        this.#hostCount += list.length;
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
      for (const host of list) {
        if (this.#fleet?.(modid, cmdid, host.ip, host.port)) host.fleetOverload = true;
        else delete host.fleetOverload;
      }
    }
  }

  /** True when module `key` has the same hosts (and weights) here and in `other`. */
  sameModule(other: RouteMap, key: string): boolean {
    const a = this.#hosts.get(key) ?? NO_HOSTS;
    const b = other.#hosts.get(key) ?? NO_HOSTS;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameHost(a[i], b[i])) return false;
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
    const all = this.#hosts.get(key);
    if (!all) {
      return encodeFrame(
        MessageId.GetRouteResponse,
        GetRouteResponseCodec.encode({ modid, cmdid, host: [] }),
      );
    }
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

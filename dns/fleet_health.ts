/**
 * The fleet's verdict per host, from the reporter's `ServerCallStatus`: a
 * host is "fleet-overloaded" when enough of the agents that called it lately
 * last reported it overloaded. The DNS service sends the verdict with each
 * route (`HostInfo.fleetOverload`), and an agent that has not called such a
 * host yet starts it in probing state (docs/balancing.md).
 *
 * @module
 */
import type { FleetHostRow } from "../store/types.ts";
import { moduleKey } from "./route_map.ts";

/** Tuning of the fleet verdict (`[dns] fleet_*`). */
export interface FleetHealthOptions {
  /** Only reports of the last this many seconds count (`fleet_window`). */
  windowSeconds: number;
  /** Share of those callers that must see the host overloaded (`fleet_overload_share`). */
  overloadShare: number;
  /** Fewest callers that must see it overloaded (`fleet_min_callers`). */
  minCallers: number;
  /** How often the verdicts are read again, in ms (`fleet_interval`, in seconds there). */
  intervalMs: number;
}

/** The defaults of `[dns] fleet_*`. */
export const DEFAULT_FLEET_HEALTH: Readonly<FleetHealthOptions> = Object.freeze({
  windowSeconds: 30,
  overloadShare: 0.5,
  minCallers: 2,
  intervalMs: 5000,
});

/** `modid/cmdid/ip:port`. */
function _hostKey(modid: number, cmdid: number, ip: number, port: number): string {
  return `${moduleKey(modid, cmdid)}/${ip >>> 0}:${port}`;
}

/** The current set of fleet-overloaded hosts. */
export class FleetVerdicts {
  /** The tuning in use. */
  readonly options: Readonly<FleetHealthOptions>;
  #overloaded = new Map<string, { modid: number; cmdid: number }>();

  /** An empty verdict set. */
  constructor(options: Partial<FleetHealthOptions> = {}) {
    this.options = { ...DEFAULT_FLEET_HEALTH, ...options };
  }

  /** Number of fleet-overloaded hosts. */
  get size(): number {
    return this.#overloaded.size;
  }

  /** Whether the fleet sees this host of this module overloaded. */
  isOverloaded(modid: number, cmdid: number, ip: number, port: number): boolean {
    return this.#overloaded.has(_hostKey(modid, cmdid, ip, port));
  }

  /** The `since` to read rows for at `nowSeconds`. */
  since(nowSeconds: number): number {
    return Math.floor(nowSeconds - this.options.windowSeconds);
  }

  /**
   * Replaces the verdicts from the fleet's rows; answers the modules whose
   * set of fleet-overloaded hosts changed (to push them).
   */
  apply(rows: readonly FleetHostRow[]): { modid: number; cmdid: number }[] {
    const { overloadShare, minCallers } = this.options;
    const next = new Map<string, { modid: number; cmdid: number }>();
    for (const row of rows) {
      if (row.overloaded < minCallers || row.overloaded < overloadShare * row.callers) continue;
      next.set(_hostKey(row.modid, row.cmdid, row.ip, row.port), {
        modid: row.modid,
        cmdid: row.cmdid,
      });
    }
    const changed = new Map<string, { modid: number; cmdid: number }>();
    for (const [key, module] of next) {
      if (!this.#overloaded.has(key)) changed.set(moduleKey(module.modid, module.cmdid), module);
    }
    for (const [key, module] of this.#overloaded) {
      if (!next.has(key)) changed.set(moduleKey(module.modid, module.cmdid), module);
    }
    this.#overloaded = next;
    return [...changed.values()];
  }
}

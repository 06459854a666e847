/**
 * The agent's view of every module it has asked DNS for, kept in the main
 * isolate: the last hosts DNS sent, when, and the empty-route hold. Pure and
 * synchronous like {@linkcode RouteTable}: it sends nothing itself, but tells
 * the agent what to forward to the shards, what to pull again after a DNS
 * reconnect, and which module to probe as a heartbeat.
 *
 * **Empty-route hold**: when a module that had hosts comes back empty (a
 * wiped or half-written table), the last hosts stay in service until DNS sends
 * hosts again or the empty answer has held for `emptyRouteHoldSeconds`.
 * With a hold of 0 an empty answer removes the module at once, as the
 * original did.
 *
 * **Time**: every `now` is Unix time in **seconds**.
 *
 * @module
 */
import type { HostInfo } from "../proto/messages.ts";
import type { ModuleId } from "./route_table.ts";

/** A module the agent knows, with its last route from DNS. */
export interface KnownRoute {
  /** Module id. */
  readonly modid: number;
  /** Command id. */
  readonly cmdid: number;
  /** Last non-empty hosts from DNS (empty while the first pull runs). */
  hosts: HostInfo[];
  /** Unix time in seconds when DNS last sent hosts (0: never). */
  updatedAt: number;
  /** Since when DNS has answered empty for a module that had hosts (undefined: not held). */
  emptySince?: number;
}

/**
 * What to do with a DNS answer (see {@linkcode KnownRoutes.onRoute}):
 * send `hosts` to the module's shard. `changed` says whether the module's
 * hosts differ from before (the route cache must be written), `held` that an
 * empty answer was replaced by the last hosts.
 */
export interface RouteDecision {
  /** Hosts for the shard; empty removes the module there. */
  readonly hosts: HostInfo[];
  /** The module's stored hosts changed. */
  readonly changed: boolean;
  /** An empty answer is being held: `hosts` are the last non-empty ones. */
  readonly held: boolean;
}

/** Empty-route events since the last {@linkcode KnownRoutes.takeEmptySummary}. */
export interface EmptyRouteSummary {
  /** Modules that came back empty and are now held. */
  held: number;
  /** Modules with hosts removed at once by an empty answer (hold of 0). */
  removed: number;
  /** Held modules removed because the hold expired. */
  expired: number;
  /** Held modules that got hosts again. */
  recovered: number;
}

/** Options of {@linkcode KnownRoutes}. */
export interface KnownRoutesOptions {
  /** Seconds an empty answer is held for a module that had hosts; 0 applies it at once. */
  emptyRouteHoldSeconds: number;
  /**
   * Most modules known at once; {@linkcode KnownRoutes.pulled} refuses new ones past it.
   * @default Infinity
   */
  maxModules?: number;
}

function moduleKey(modid: number, cmdid: number): string {
  return `${modid},${cmdid}`;
}

/** True when both lists hold the same hosts with the same weights, in any order. */
export function sameHosts(a: readonly HostInfo[], b: readonly HostInfo[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map((h) => `${h.ip}:${h.port}:${h.weight ?? 1}`));
  return b.every((h) => keys.has(`${h.ip}:${h.port}:${h.weight ?? 1}`));
}

/**
 * Every module the agent knows, keyed by `(modid, cmdid)`.
 *
 * @example
 * ```ts
 * import { KnownRoutes } from "./known_routes.ts";
 * const known = new KnownRoutes({ emptyRouteHoldSeconds: 300 });
 * known.pulled(1, 1);
 * known.onRoute(1, 1, [{ ip: 2130706433, port: 9000 }], 100);
 * console.log(known.onRoute(1, 1, [], 101).held); // true: the last host is kept
 * console.log(known.expireHolds(401)); // [{ modid: 1, cmdid: 1 }]
 * ```
 */
export class KnownRoutes {
  readonly #hold: number;
  readonly #maxModules: number;
  readonly #routes = new Map<string, KnownRoute>();
  readonly #held = new Set<string>();
  #summary: EmptyRouteSummary = { held: 0, removed: 0, expired: 0, recovered: 0 };
  #probe: Iterator<KnownRoute> | null = null;

  /** An empty set. @throws {RangeError} for a negative or non-finite hold */
  constructor(options: KnownRoutesOptions) {
    const hold = options.emptyRouteHoldSeconds;
    if (!Number.isFinite(hold) || hold < 0) {
      throw new RangeError(`emptyRouteHoldSeconds must be a number >= 0, got ${hold}`);
    }
    this.#hold = hold;
    const max = options.maxModules ?? Infinity;
    if (!(max >= 1)) throw new RangeError(`maxModules must be >= 1, got ${max}`);
    this.#maxModules = max;
  }

  /** Number of known modules. */
  get size(): number {
    return this.#routes.size;
  }

  /** Number of modules whose empty answer is being held. */
  get heldCount(): number {
    return this.#held.size;
  }

  /** The module, or `undefined` when unknown. */
  get(modid: number, cmdid: number): Readonly<KnownRoute> | undefined {
    return this.#routes.get(moduleKey(modid, cmdid));
  }

  /**
   * A pull for the module is due: an unknown module becomes known, without
   * hosts. Answers false, changing nothing, when the module is unknown and
   * `maxModules` are known already: the pull must not be sent. A module DNS
   * answers empty (and that never had hosts) is forgotten again at once, so
   * modules that do not exist do not pile up.
   */
  pulled(modid: number, cmdid: number): boolean {
    const key = moduleKey(modid, cmdid);
    if (this.#routes.has(key)) return true;
    if (this.#routes.size >= this.#maxModules) return false;
    this.#routes.set(key, { modid, cmdid, hosts: [], updatedAt: 0 });
    return true;
  }

  /** A route from the cache at start. Ignored when empty, or when `maxModules` are known. */
  restore(route: { modid: number; cmdid: number; hosts: HostInfo[]; updatedAt: number }): void {
    if (route.hosts.length === 0 || this.#routes.size >= this.#maxModules) return;
    const { modid, cmdid, hosts, updatedAt } = route;
    this.#routes.set(moduleKey(modid, cmdid), { modid, cmdid, hosts, updatedAt });
  }

  /** A DNS answer (reply or push) for a module: what to send to its shard. */
  onRoute(modid: number, cmdid: number, hosts: HostInfo[], now: number): RouteDecision {
    const key = moduleKey(modid, cmdid);
    const known = this.#routes.get(key);
    if (hosts.length > 0) {
      // A route for a module nobody asked for, with the table full: passed on, not kept.
      if (!known && this.#routes.size >= this.#maxModules) {
        return { hosts, changed: false, held: false };
      }
      const changed = !known || !sameHosts(known.hosts, hosts);
      if (this.#held.delete(key)) this.#summary.recovered++;
      // A copy of the exact length: the decoder's array has room for 16 more hosts, and
      // this one is kept for as long as the module is known.
      this.#routes.set(key, { modid, cmdid, hosts: hosts.slice(), updatedAt: now });
      return { hosts, changed, held: false };
    }
    if (!known) return { hosts, changed: false, held: false };
    if (known.hosts.length > 0 && this.#hold > 0) {
      if (known.emptySince === undefined) {
        known.emptySince = now;
        this.#held.add(key);
        this.#summary.held++;
      }
      if (now - known.emptySince < this.#hold) {
        return { hosts: known.hosts, changed: false, held: true };
      }
      this.#remove(key);
      this.#summary.expired++;
      return { hosts, changed: true, held: false };
    }
    this.#remove(key);
    if (known.hosts.length > 0) this.#summary.removed++;
    return { hosts, changed: known.hosts.length > 0, held: false };
  }

  /** Removes every held module whose hold has run out by `now`; answers them. */
  expireHolds(now: number): ModuleId[] {
    const expired: ModuleId[] = [];
    for (const key of this.#held) {
      const route = this.#routes.get(key)!;
      if (now - route.emptySince! < this.#hold) continue;
      this.#remove(key);
      this.#summary.expired++;
      expired.push({ modid: route.modid, cmdid: route.cmdid });
    }
    return expired;
  }

  /** Empty-route events since the last call (for one summary log line), then resets them. */
  takeEmptySummary(): EmptyRouteSummary {
    const summary = this.#summary;
    this.#summary = { held: 0, removed: 0, expired: 0, recovered: 0 };
    return summary;
  }

  /** Every known module (to pull again after a DNS reconnect). */
  modules(): ModuleId[] {
    return Array.from(this.#routes.values(), ({ modid, cmdid }) => ({ modid, cmdid }));
  }

  /** Every known module that has hosts (for the route cache and for restoring a shard). */
  *withHosts(): IterableIterator<Readonly<KnownRoute>> {
    for (const route of this.#routes.values()) if (route.hosts.length > 0) yield route;
  }

  /**
   * The next module for a heartbeat pull, round-robin over the known modules;
   * `undefined` when none is known.
   */
  nextProbe(): ModuleId | undefined {
    for (let pass = 0; pass < 2; pass++) {
      this.#probe ??= this.#routes.values();
      const next = this.#probe.next();
      if (!next.done) return { modid: next.value.modid, cmdid: next.value.cmdid };
      this.#probe = null;
    }
    return undefined;
  }

  #remove(key: string): void {
    this.#routes.delete(key);
    this.#held.delete(key);
  }
}

/**
 * Which connections subscribed to which modules. A connection subscribes to a
 * module by asking for its route once; closing it drops all of its
 * subscriptions.
 *
 * Memory is bounded by configuration, not by what peers ask: each connection
 * holds at most `maxPerConnection` subscriptions, and at most
 * `maxUnknownPerConnection` of them may be to modules that did not exist when
 * asked (such a subscription still gets the push when the module is
 * created). Past either cap the request is answered but not subscribed.
 *
 * @module
 */

/** Per-connection caps of a {@linkcode Subscriptions}. */
export interface SubscriptionLimits {
  /**
   * Most subscriptions of one connection.
   * @default 200000
   */
  maxPerConnection?: number;
  /**
   * Most subscriptions of one connection to modules unknown when asked.
   * @default 1000
   */
  maxUnknownPerConnection?: number;
}

/** What {@linkcode Subscriptions.add} did. */
export type AddResult =
  /** Newly subscribed. */
  | "added"
  /** Was subscribed already. */
  | "already"
  /** Not subscribed: the connection holds `maxPerConnection` subscriptions. */
  | "full"
  /** Not subscribed: the connection holds `maxUnknownPerConnection` to unknown modules. */
  | "unknown-full";

interface ConnSubs {
  keys: Set<string>;
  unknown: number;
}

/** Subscriptions of connections of type `C` to module keys. */
export class Subscriptions<C> {
  /** Module key to its subscriber, or a set of them (most modules have one or a few). */
  #byModule = new Map<string, C | Set<C>>();
  #byConn = new Map<C, ConnSubs>();
  #size = 0;
  readonly #max: number;
  readonly #maxUnknown: number;

  /**
   * Creates an empty registry.
   * @throws {RangeError} for a cap that is not a positive integer (unknown: >= 0)
   */
  constructor(limits: SubscriptionLimits = {}) {
    this.#max = limits.maxPerConnection ?? 200_000;
    this.#maxUnknown = limits.maxUnknownPerConnection ?? 1000;
    if (!Number.isInteger(this.#max) || this.#max < 1) {
      throw new RangeError(`maxPerConnection must be an integer >= 1, got ${this.#max}`);
    }
    if (!Number.isInteger(this.#maxUnknown) || this.#maxUnknown < 0) {
      throw new RangeError(
        `maxUnknownPerConnection must be an integer >= 0, got ${this.#maxUnknown}`,
      );
    }
  }

  /**
   * Subscribes `conn` to `key`, within the connection's caps; `known` says
   * whether the module exists now.
   */
  add(conn: C, key: string, known = true): AddResult {
    let subs = this.#byConn.get(conn);
    if (subs?.keys.has(key)) return "already";
    if (subs && subs.keys.size >= this.#max) return "full";
    if (!known && (subs?.unknown ?? 0) >= this.#maxUnknown) return "unknown-full";
    if (!subs) this.#byConn.set(conn, subs = { keys: new Set(), unknown: 0 });
    subs.keys.add(key);
    if (!known) subs.unknown++;
    this.#size++;
    const held = this.#byModule.get(key);
    if (held === undefined) this.#byModule.set(key, conn);
    else if (held instanceof Set) held.add(conn);
    else this.#byModule.set(key, new Set([held, conn]));
    return "added";
  }

  /** Drops every subscription of `conn`. */
  removeConnection(conn: C): void {
    const subs = this.#byConn.get(conn);
    if (!subs) return;
    this.#byConn.delete(conn);
    this.#size -= subs.keys.size;
    for (const key of subs.keys) {
      const held = this.#byModule.get(key);
      if (held === conn) {
        this.#byModule.delete(key);
      } else if (held instanceof Set) {
        held.delete(conn);
        if (held.size === 0) this.#byModule.delete(key);
        else if (held.size === 1) this.#byModule.set(key, held.values().next().value!);
      }
    }
  }

  /** Connections subscribed to `key` (a copy, safe to iterate while others change). */
  subscribers(key: string): C[] {
    const held = this.#byModule.get(key);
    if (held === undefined) return [];
    return held instanceof Set ? [...held] : [held];
  }

  /** Number of (connection, module) subscriptions. */
  get size(): number {
    return this.#size;
  }

  /** Number of modules with at least one subscriber. */
  get moduleCount(): number {
    return this.#byModule.size;
  }

  /** Modules `conn` is subscribed to. */
  modulesOf(conn: C): ReadonlySet<string> {
    return this.#byConn.get(conn)?.keys ?? new Set();
  }

  /** Subscriptions of `conn` made to modules unknown when asked. */
  unknownOf(conn: C): number {
    return this.#byConn.get(conn)?.unknown ?? 0;
  }
}

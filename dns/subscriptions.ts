/**
 * Which connections subscribed to which modules. A connection subscribes to a
 * module by asking for its route once; closing it drops all of its
 * subscriptions.
 *
 * @module
 */

/** Subscriptions of connections of type `C` to module keys. */
export class Subscriptions<C> {
  #byModule = new Map<string, Set<C>>();
  #byConn = new Map<C, Set<string>>();

  /** Subscribes `conn` to `key`; returns false when it already was. */
  add(conn: C, key: string): boolean {
    let keys = this.#byConn.get(conn);
    if (!keys) this.#byConn.set(conn, keys = new Set());
    if (keys.has(key)) return false;
    keys.add(key);
    let conns = this.#byModule.get(key);
    if (!conns) this.#byModule.set(key, conns = new Set());
    conns.add(conn);
    return true;
  }

  /** Drops every subscription of `conn`. */
  removeConnection(conn: C): void {
    const keys = this.#byConn.get(conn);
    if (!keys) return;
    this.#byConn.delete(conn);
    for (const key of keys) {
      const conns = this.#byModule.get(key);
      if (!conns) continue;
      conns.delete(conn);
      if (conns.size === 0) this.#byModule.delete(key);
    }
  }

  /** Connections subscribed to `key` (a copy, safe to iterate while others change). */
  subscribers(key: string): C[] {
    const conns = this.#byModule.get(key);
    return conns ? [...conns] : [];
  }

  /** Number of (connection, module) subscriptions. */
  get size(): number {
    let n = 0;
    for (const keys of this.#byConn.values()) n += keys.size;
    return n;
  }

  /** Modules `conn` is subscribed to. */
  modulesOf(conn: C): ReadonlySet<string> {
    return this.#byConn.get(conn) ?? new Set();
  }
}

/**
 * Per-host balancing state and the round-robin ring the balancer keeps its idle
 * and overload lists in. Internal to the agent: `mod.ts` does not re-export it.
 *
 * @module
 */
import type { HostInfo } from "../proto/mod.ts";
import { HostHealth } from "./host_health.ts";

/** Read-only view of one host's counters and state, as the balancer keeps them. */
export interface HostStats {
  /** IPv4 address, unsigned. */
  readonly ip: number;
  /** Port. */
  readonly port: number;
  /** Virtual successes: start at `initSuccCnt` when idle; decide state changes. */
  readonly vsucc: number;
  /** Virtual errors: start at `initErrCnt` when overloaded; decide state changes. */
  readonly verr: number;
  /** Real successes since the last `set_idle` / `set_overload`; reported. */
  readonly rsucc: number;
  /** Real errors since the last `set_idle` / `set_overload`; reported. */
  readonly rerr: number;
  /** Current streak of successes. */
  readonly continSucc: number;
  /** Current streak of errors. */
  readonly continErr: number;
  /** Whether the host is in the overload list (else in the idle list). */
  readonly overload: boolean;
  /** When the current idle window started, in seconds (the caller's clock). */
  readonly idleTs: number;
  /** When the host was last declared overloaded, in seconds (the caller's clock). */
  readonly overloadTs: number;
  /** When the host entered its current state (idle or overload), in seconds. */
  readonly stateSince: number;
  /** Why the host last changed state (null while it never did). */
  readonly reason: StateReason | null;
}

/**
 * Why a host changed state: taken out (`err_rate`, `contin_err`,
 * `window_err_rate`; ours: `fleet_overload`, the DNS service's fleet verdict)
 * or put back (`succ_rate`, `contin_succ`, `overload_timeout`), with the
 * numbers that decided it.
 */
export interface StateReason {
  /** The rule that fired, named after its `[loadbalance]` key. */
  readonly rule:
    | "err_rate"
    | "contin_err"
    | "window_err_rate"
    | "succ_rate"
    | "contin_succ"
    | "overload_timeout"
    | "fleet_overload";
  /** The rule and its numbers, for people. */
  readonly text: string;
}

/**
 * One host of a module: counters, state, and the links of the ring it is in
 * (a host is in exactly one ring at a time, so the links live on the host).
 * Its {@linkcode HostHealth} fields (our rules) are its own fields too: one
 * object per host instead of two (the agent holds one per host of every
 * module it serves).
 */
export class HostState extends HostHealth implements HostStats {
  /** The host's address, allocated once and handed out by every pick. */
  readonly info: HostInfo;
  vsucc = 0;
  verr = 0;
  rsucc = 0;
  rerr = 0;
  continSucc = 0;
  continErr = 0;
  overload = false;
  idleTs = 0;
  overloadTs = 0;
  stateSince = 0;
  reason: StateReason | null = null;
  /** Previous host in its ring; `null` while in no ring. */
  prev: HostState | null = null;
  /** Next host in its ring; `null` while in no ring. */
  next: HostState | null = null;
  /** A host with zero counters, in no ring; call {@linkcode setIdle} next. */
  constructor(readonly ip: number, readonly port: number) {
    super();
    this.info = Object.freeze({ ip, port });
  }

  /** Weight, repeat ejections, probe pacing, slow start (our rules): this host itself. */
  get health(): HostHealth {
    return this;
  }

  /** The original's `set_idle`: fresh window, `vsucc = initSuccCnt`, `idleTs = now`. */
  setIdle(initSuccCnt: number, now: number): void {
    this.#resetCounters(initSuccCnt, 0);
    this.overload = false;
    this.idleTs = now;
  }

  /** The original's `set_overload`: `verr = initErrCnt`, `overloadTs = now`. */
  setOverload(initErrCnt: number, now: number): void {
    this.#resetCounters(0, initErrCnt);
    this.overload = true;
    this.overloadTs = now;
  }

  /** Counts one successful call. */
  countSuccess(): void {
    this.vsucc++;
    this.rsucc++;
    this.continSucc++;
    this.continErr = 0;
  }

  /** Counts one failed call. */
  countFailure(): void {
    this.verr++;
    this.rerr++;
    this.continErr++;
    this.continSucc = 0;
  }

  /** A detached copy of the counters and state. */
  stats(): HostStats {
    const { ip, port, vsucc, verr, rsucc, rerr, continSucc, continErr } = this;
    const { overload, idleTs, overloadTs, stateSince, reason } = this;
    return {
      ip,
      port,
      vsucc,
      verr,
      rsucc,
      rerr,
      continSucc,
      continErr,
      overload,
      idleTs,
      overloadTs,
      stateSince,
      reason,
    };
  }

  #resetCounters(vsucc: number, verr: number): void {
    this.vsucc = vsucc;
    this.verr = verr;
    this.rsucc = 0;
    this.rerr = 0;
    this.continSucc = 0;
    this.continErr = 0;
  }
}

/** Map key of a host: one number for valid ports, text otherwise (never collides). */
export type HostKey = number | string;

/** The key of `ip:port` (`ip` taken as unsigned): equal keys, same host. */
export function hostKey(ip: number, port: number): HostKey {
  const unsignedIp = ip >>> 0;
  if (Number.isInteger(port) && port >= 0 && port <= 0xFFFF) return unsignedIp * 0x10000 + port;
  return `${unsignedIp}:${port}`;
}

/** Most hosts a {@linkcode HostIndex} finds by scanning a list; beyond, it keeps a Map. */
const HOST_INDEX_LIST_MAX = 8;

/**
 * A module's hosts by address, in the order they joined. Most modules have a
 * few hosts: up to {@linkcode HOST_INDEX_LIST_MAX} they are a plain list that
 * lookups scan (as fast as a Map for so few, and a fraction of a Map's
 * memory, which the agent pays for every module it serves); past that, a Map
 * by {@linkcode hostKey}.
 */
export class HostIndex {
  #list: HostState[] | null = [];
  #map: Map<HostKey, HostState> | null = null;

  /** Number of hosts. */
  get size(): number {
    return this.#list !== null ? this.#list.length : this.#map!.size;
  }

  /** The host at `ip:port`, if any. */
  get(ip: number, port: number): HostState | undefined {
    const list = this.#list;
    if (list === null) return this.#map!.get(hostKey(ip, port));
    const key = hostKey(ip, port);
    for (let i = 0; i < list.length; i++) {
      const host = list[i];
      if (hostKey(host.ip, host.port) === key) return host;
    }
    return undefined;
  }

  /** Adds a host not in the index yet, as the last one. */
  add(host: HostState): void {
    const list = this.#list;
    if (list === null) {
      this.#map!.set(hostKey(host.ip, host.port), host);
    } else if (list.length < HOST_INDEX_LIST_MAX) {
      // A copy of the exact length (push() and spreading leave room for 16 more).
      this.#list = list.concat([host]);
    } else {
      this.#map = new Map(list.map((h) => [hostKey(h.ip, h.port), h]));
      this.#map.set(hostKey(host.ip, host.port), host);
      this.#list = null;
    }
  }

  /** Removes a host (the others keep their order). */
  delete(host: HostState): void {
    const list = this.#list;
    if (list === null) this.#map!.delete(hostKey(host.ip, host.port));
    else if (list.includes(host)) list.splice(list.indexOf(host), 1);
  }

  /** The hosts, in the order they joined. */
  values(): IterableIterator<HostState> {
    return this.#list !== null ? this.#list.values() : this.#map!.values();
  }
}

/**
 * A circular doubly linked list of hosts with a head pointer. Taking the head
 * and moving it to the tail is one pointer step; append and remove are O(1).
 */
export class HostRing {
  #head: HostState | null = null;
  #size = 0;

  /** Number of hosts in the ring. */
  get size(): number {
    return this.#size;
  }

  /** True when the ring holds no host. */
  isEmpty(): boolean {
    return this.#head === null;
  }

  /** Appends `host` at the tail. `host` must be in no ring. */
  push(host: HostState): void {
    const head = this.#head;
    if (head === null) {
      host.prev = host;
      host.next = host;
      this.#head = host;
    } else {
      const tail = head.prev as HostState;
      host.prev = tail;
      host.next = head;
      tail.next = host;
      head.prev = host;
    }
    this.#size++;
  }

  /** Unlinks `host`, which must be in this ring. */
  remove(host: HostState): void {
    const next = host.next as HostState;
    if (next === host) {
      this.#head = null;
    } else {
      const prev = host.prev as HostState;
      prev.next = next;
      next.prev = prev;
      if (this.#head === host) this.#head = next;
    }
    host.prev = null;
    host.next = null;
    this.#size--;
  }

  /**
   * Round-robin step: answers the head and makes it the tail.
   *
   * @throws {RangeError} when the ring is empty
   */
  rotate(): HostState {
    const head = this.#head;
    if (head === null) throw new RangeError("Cannot rotate an empty host ring");
    this.#head = head.next;
    return head;
  }

  /** The hosts from head to tail. */
  *[Symbol.iterator](): IterableIterator<HostState> {
    let host = this.#head;
    for (let i = 0; i < this.#size && host !== null; i++) {
      yield host;
      host = host.next;
    }
  }
}

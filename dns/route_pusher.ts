/**
 * Writes changed routes to the connections subscribed to them (the DNS
 * service's push), a slice of connections per event-loop turn, and counts,
 * reports and logs each pushed module.
 *
 * @module
 */
import { intToIp } from "../proto/ip.ts";
import { LogBudget, type Logger } from "../reactor/log.ts";
import { LoopYielder } from "./loop_yield.ts";
import { parseModuleKey, type RouteMap } from "./route_map.ts";
import type { ChangedModule } from "./route_sync.ts";
import type { Subscriptions } from "./subscriptions.ts";

/** A module pushed to its subscribers; see `DnsService.addPushListener`. */
export interface RoutePush {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Hosts in the pushed route. */
  hosts: number;
  /** Connections the route was written to. */
  subscribers: number;
  /**
   * Seconds from the change's commit (its `RouteChange` version, a Unix time
   * in whole seconds) to the write; `null` when the version is not a time, or
   * when a whole-table reload found the change (no change row to date it).
   */
  delaySeconds: number | null;
}

/**
 * Connections a push is written to per event-loop turn (see `RoutePusher.push`):
 * about a quarter of a millisecond of socket writes on loopback. Measured with
 * `bench/dns_load.ts` (1,000 subscribers): 100 per turn left a GetRoute p99 of
 * 10 ms during a change, 25 per turn 4.5 ms, for 60 ms more to the last
 * subscriber (each turn waits for a timer, 1-2 ms).
 */
const WRITES_PER_TURN = 25;

/** Versions below this are not Unix times (tests and hand-made tables use small ones). */
const MIN_TIME_VERSION = 1_000_000_000;

/** A connection a push can be written to. */
export interface PushTarget {
  /** True once closed. */
  readonly isClosed: boolean;
  /** Queues an encoded frame; false when it was not queued. */
  sendFrame(frame: Uint8Array): boolean;
}

/** Options of a {@linkcode RoutePusher}. */
export interface RoutePusherOptions<C extends PushTarget> {
  /** Who is subscribed to what. */
  subscriptions: Subscriptions<C>;
  /** The current route table. */
  table: () => RouteMap;
  /** Where pushes are logged (in bounded volume). */
  log: Logger;
  /** Counts `pushes` (frames) and `pushedModules`. */
  count: (name: "pushes" | "pushedModules", by?: number) => void;
}

/** Pushes changed modules to their subscribers. */
export class RoutePusher<C extends PushTarget> {
  #subs: Subscriptions<C>;
  #table: () => RouteMap;
  #count: (name: "pushes" | "pushedModules", by?: number) => void;
  #pushLog: LogBudget;
  #listeners: ((push: RoutePush) => void)[] = [];

  /** Creates the pusher. */
  constructor(options: RoutePusherOptions<C>) {
    this.#subs = options.subscriptions;
    this.#table = options.table;
    this.#count = options.count;
    this.#pushLog = new LogBudget(options.log, "route push lines");
  }

  /** Calls `listener` once per module pushed to at least one subscriber. */
  addListener(listener: (push: RoutePush) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Pushes each changed module to its subscribers, {@linkcode WRITES_PER_TURN}
   * connections per event-loop turn. A socket write is done by the event
   * loop after the call returns, so writing one push to 1,000 connections in
   * one go holds the loop for 10-40 ms in a single turn, and requests that
   * arrive meanwhile wait for all of it; in slices they are answered between
   * two slices.
   */
  async push(changed: readonly ChangedModule[]): Promise<void> {
    const yielder = new LoopYielder();
    let issued = 0;
    for (const { key, version } of changed) {
      const subscribers = this.#subs.subscribers(key);
      if (subscribers.length === 0) continue;
      const { modid, cmdid } = parseModuleKey(key);
      // The table does not change while a poll pushes; fleet refreshes come after.
      const frame = this.#table().responseFrame(modid, cmdid);
      let written = 0;
      for (const conn of subscribers) {
        if (!conn.isClosed && conn.sendFrame(frame)) written++;
        if (++issued % WRITES_PER_TURN === 0) await yielder.yield();
      }
      this.#pushed(modid, cmdid, written, version);
    }
  }

  /** Counts, reports and logs one module pushed to `written` connections. */
  #pushed(modid: number, cmdid: number, written: number, version: number | null): void {
    this.#count("pushes", written);
    this.#count("pushedModules");
    const table = this.#table();
    const count = table.hostsOf(modid, cmdid);
    const shownHosts = table.hosts(modid, cmdid, 5); // for the log line, not the whole route
    const delaySeconds = version !== null && version >= MIN_TIME_VERSION
      ? Math.max(0, Date.now() / 1000 - version)
      : null;
    const push = { modid, cmdid, hosts: count, subscribers: written, delaySeconds };
    for (const listener of this.#listeners) listener(push);
    const shown = shownHosts.map((h) => `${intToIp(h.ip)}:${h.port}`).join(", ");
    const more = count > 5 ? ` and ${count - 5} more` : "";
    this.#pushLog.info(
      `pushed ${modid}/${cmdid} to ${written} subscribers: ` +
        (count === 0 ? "no hosts" : `${shown}${more}`) +
        (delaySeconds === null ? "" : `, ${delaySeconds.toFixed(1)} s after the change`),
      { modid, cmdid, hosts: count, subscribers: written, delaySeconds },
    );
  }
}

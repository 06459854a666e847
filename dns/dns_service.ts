/**
 * The DNS service: answers GetRouteRequest from its in-memory route table,
 * subscribes the asking connection to the module, and every second checks
 * `RouteVersion`; on a change it reloads the table, swaps it in and pushes
 * the changed modules to their subscribers (docs/schema.md, "Routes").
 *
 * Unlike the original, a database that is down at start or later is retried
 * with backoff while the last good table keeps serving.
 *
 * @module
 */
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec } from "../proto/messages.ts";
import { Counters } from "../reactor/counters.ts";
import { addrText, errorText } from "../reactor/text.ts";
import { intToIp } from "../proto/ip.ts";
import { createLogger, LogBudget, type Logger } from "../reactor/log.ts";
import type { ServerLimits } from "../reactor/server_settings.ts";
import { type ServerConnection, TcpServer } from "../reactor/tcp_server.ts";
import { Backoff, quietDelay } from "../reactor/timers.ts";
import type { NetAddress, Transport } from "../reactor/transport.ts";
import type { RouteRow, RouteStore } from "../store/types.ts";
import { moduleKey, RouteMap } from "./route_map.ts";
import { type FleetHealthOptions, FleetVerdicts } from "./fleet_health.ts";
import { type SubscriptionLimits, Subscriptions } from "./subscriptions.ts";

/** Options of a {@linkcode DnsService}. */
export interface DnsServiceOptions {
  /** Where routes are read from. */
  store: RouteStore;
  /** Sockets to use. */
  transport: Transport;
  /**
   * Listen address.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /**
   * Listen port (0 picks a free one).
   * @default 7778
   */
  port?: number;
  /**
   * Most agent connections at once.
   * @default 1024
   */
  maxConn?: number;
  /** Per-address limit, frame deadline and allow-list (`[reactor]`); `maxConn` above wins. */
  limits?: Partial<ServerLimits>;
  /** Caps of subscriptions per connection (`[dns]`); past them requests are answered only. */
  subscriptions?: SubscriptionLimits;
  /**
   * How often `RouteVersion` is read, in ms.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Reload the whole table after this many ms without a version change.
   * @default 10000
   */
  reloadIntervalMs?: number;
  /**
   * Longest wait between retries while the database is down, in ms.
   * @default 10000
   */
  maxRetryMs?: number;
  /**
   * The fleet verdict sent with routes (`HostInfo.fleetOverload`), read from
   * the reporter's `ServerCallStatus` in the same database; `false` turns it
   * off. A missing table is logged once and read again later.
   * @default DEFAULT_FLEET_HEALTH
   */
  fleet?: Partial<FleetHealthOptions> | false;
  /** Logger. */
  log?: Logger;
}

/** A module pushed to its subscribers; see {@linkcode DnsService.addPushListener}. */
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
   * in whole seconds) to the write; `null` when the version is not a time.
   */
  delaySeconds: number | null;
}

/** Versions below this are not Unix times (tests and hand-made tables use small ones). */
const MIN_TIME_VERSION = 1_000_000_000;

/** Names of the DNS service's own counters. */
export const DNS_COUNTER_NAMES = [
  "requests",
  "pushes",
  "pushedModules",
  "reloads",
  "versionChanges",
  "dbErrors",
  "subscriptionsRefused",
] as const;

/** The DNS service. */
export class DnsService {
  /** Requests, pushes, reloads and database errors. */
  readonly counters: Counters<typeof DNS_COUNTER_NAMES[number]> = new Counters(DNS_COUNTER_NAMES);
  /** The TCP server; its counters hold connection and frame numbers. */
  readonly server: TcpServer;

  #options: DnsServiceOptions;
  #log: Logger;
  #table = new RouteMap([]);
  #rows: readonly RouteRow[] = [];
  #fleet: FleetVerdicts | null;
  #lastFleet = 0;
  #fleetFailing = false;
  #version = -1;
  #lastLoad = 0;
  #subs: Subscriptions<ServerConnection>;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #backoff: Backoff;
  #pushLog: LogBudget;
  #storeError: string | null = null;
  #pushListeners: ((push: RoutePush) => void)[] = [];

  /** Creates the service; {@linkcode start} loads routes and starts listening. */
  constructor(options: DnsServiceOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger("dns");
    this.#subs = new Subscriptions(options.subscriptions);
    this.#backoff = new Backoff({ initialMs: 200, maxMs: options.maxRetryMs ?? 10_000 });
    this.#fleet = options.fleet === false ? null : new FleetVerdicts(options.fleet);
    this.#pushLog = new LogBudget(this.#log, "route push lines");
    this.server = new TcpServer({
      transport: options.transport,
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 7778,
      ...options.limits,
      maxConn: options.maxConn ?? options.limits?.maxConn,
      name: "dns",
      log: this.#log,
      onClose: (conn) => this.#subs.removeConnection(conn),
    });
    this.server.router.on(MessageId.GetRouteRequest, GetRouteRequestCodec, (req, { conn }) => {
      this.counters.inc("requests");
      const known = this.#table.hosts(req.modid, req.cmdid).length > 0;
      const added = this.#subs.add(conn, moduleKey(req.modid, req.cmdid), known);
      if (added === "full" || added === "unknown-full") this.#refused(conn, added);
      conn.sendFrame(this.#table.responseFrame(req.modid, req.cmdid));
    });
  }

  #refused(conn: ServerConnection, why: "full" | "unknown-full"): void {
    this.counters.inc("subscriptionsRefused");
    const cap = why === "full"
      ? `${this.#subs.modulesOf(conn).size} subscriptions reach max_subscriptions`
      : `${this.#subs.unknownOf(conn)} subscriptions to unknown modules reach ` +
        "max_unknown_subscriptions";
    this.#log.warnThrottled(
      `subs-${why}`,
      `answering connection #${conn.id} from ${
        addrText(conn.remoteAddr)
      } without subscribing: ${cap}`,
    );
  }

  /** The route version the table was loaded at (-1 before the first load). */
  get version(): number {
    return this.#version;
  }

  /** The current route table. */
  get table(): RouteMap {
    return this.#table;
  }

  /** Calls `listener` once per module pushed to at least one subscriber (for metrics). */
  addPushListener(listener: (push: RoutePush) => void): void {
    this.#pushListeners.push(listener);
  }

  /** True once a route table has been loaded (the service answers from it). */
  get loaded(): boolean {
    return this.#lastLoad > 0;
  }

  /** When the table was last loaded (ms since the epoch; 0 before the first load). */
  get loadedAt(): number {
    return this.#lastLoad;
  }

  /** The error of the latest database attempt, or null when it succeeded. */
  get storeError(): string | null {
    return this.#storeError;
  }

  /** Number of (connection, module) subscriptions. */
  get subscriptionCount(): number {
    return this.#subs.size;
  }

  /** The listen address; throws before {@linkcode start} has finished. */
  get addr(): NetAddress {
    return this.server.addr;
  }

  /**
   * Creates the schema when missing, loads the routes (retrying with backoff
   * while the database is unreachable), clears `RouteChange`, then listens
   * and starts the version poll. Resolves to the listen address, or to null
   * when {@linkcode stop} came first; rejects when the address cannot be bound.
   */
  async start(): Promise<NetAddress | null> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.#options.store.init();
        const version = await this.#options.store.version();
        await this.#load(version);
        await this.#options.store.deleteAllChanges();
        this.#backoff.reset();
        this.#storeError = null;
        break;
      } catch (err) {
        this.counters.inc("dbErrors");
        this.#storeError = errorText(err);
        const wait = this.#backoff.next();
        this.#log.warn(`cannot load routes: ${errorText(err)}; retrying in ${Math.round(wait)} ms`);
        await quietDelay(wait, signal);
      }
    }
    if (signal.aborted) return null;
    this.server.listen();
    const addr = await this.server.bound; // the real port (0 asks for any), once bound
    this.#log.info(
      `listening on ${addrText(addr)}: ${this.#table.moduleCount} modules, ` +
        `${this.#table.hostCount} hosts, version ${this.#version}`,
    );
    this.#loop = this.#pollLoop();
    return addr;
  }

  /** Stops polling and closes every connection. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#loop) await this.server.close({ graceful: true });
  }

  /** One poll step: reload and push when the version changed; exposed for tests. */
  async poll(): Promise<void> {
    const store = this.#options.store;
    const version = await store.version();
    if (version !== this.#version) {
      this.counters.inc("versionChanges");
      // Read everything before swapping, so a failure leaves the old version
      // in place and the next poll tries the whole step again.
      const rows = await store.loadRoutes();
      const changes = await store.changesUpTo(version);
      const previous = this.#version;
      this.#swap(rows, version);
      this.#log.info(
        `routes reloaded: version ${previous} -> ${version}, ${this.#table.moduleCount} ` +
          `modules, ${this.#table.hostCount} hosts, ${changes.length} changes`,
        { version, modules: this.#table.moduleCount, hosts: this.#table.hostCount },
      );
      this.#push(changes);
      await store.deleteChangesUpTo(version);
    } else if (Date.now() - this.#lastLoad >= (this.#options.reloadIntervalMs ?? 10_000)) {
      const before = this.#table;
      await this.#load(version);
      const after = this.#table;
      if (before.moduleCount !== after.moduleCount || before.hostCount !== after.hostCount) {
        this.#log.info(
          `routes reloaded at version ${version}: ${after.moduleCount} modules, ` +
            `${after.hostCount} hosts (were ${before.moduleCount} and ${before.hostCount})`,
          { version, modules: after.moduleCount, hosts: after.hostCount },
        );
      }
    }
    await this.#refreshFleet();
  }

  /** Reads the fleet verdicts when due; pushes the modules whose verdicts changed. */
  async #refreshFleet(): Promise<void> {
    const fleet = this.#fleet;
    if (fleet === null || Date.now() - this.#lastFleet < fleet.options.intervalMs) return;
    this.#lastFleet = Date.now();
    let rows;
    try {
      rows = await this.#options.store.fleetHosts(fleet.since(Date.now() / 1000));
    } catch (err) {
      if (!this.#fleetFailing) {
        this.#log.info(`fleet health unavailable (routes go without it): ${errorText(err)}`);
      }
      this.#fleetFailing = true;
      return;
    }
    this.#fleetFailing = false;
    const changed = fleet.apply(rows);
    if (changed.length === 0) return;
    this.#table = this.#buildTable(this.#rows);
    this.#log.info(`fleet health: ${fleet.size} hosts overloaded for the fleet`);
    // Version 0: not a route-table change, so no "seconds after the change" in the push log.
    this.#push(changed.map((module) => ({ ...module, version: 0 })));
  }

  #buildTable(rows: readonly RouteRow[]): RouteMap {
    const fleet = this.#fleet;
    if (fleet === null || fleet.size === 0) return new RouteMap(rows);
    return new RouteMap(
      rows,
      (modid, cmdid, ip, port) => fleet.isOverloaded(modid, cmdid, ip, port),
    );
  }

  async #load(version: number): Promise<void> {
    this.#swap(await this.#options.store.loadRoutes(), version);
  }

  #swap(rows: readonly RouteRow[], version: number): void {
    this.#rows = rows;
    this.#table = this.#buildTable(rows);
    this.#version = version;
    this.#lastLoad = Date.now();
    this.counters.inc("reloads");
  }

  #push(changes: readonly { modid: number; cmdid: number; version: number }[]): void {
    const seen = new Set<string>();
    // Oldest first, so the first change of a module is the one that waited longest.
    for (const { modid, cmdid, version } of changes) {
      const key = moduleKey(modid, cmdid);
      if (seen.has(key)) continue;
      seen.add(key);
      const subscribers = this.#subs.subscribers(key);
      if (subscribers.length === 0) continue;
      const frame = this.#table.responseFrame(modid, cmdid);
      let written = 0;
      for (const conn of subscribers) {
        if (!conn.isClosed && conn.sendFrame(frame)) written++;
      }
      this.counters.inc("pushes", written);
      this.counters.inc("pushedModules");
      const hosts = this.#table.hosts(modid, cmdid);
      const delaySeconds = version >= MIN_TIME_VERSION
        ? Math.max(0, Date.now() / 1000 - version)
        : null;
      const push = { modid, cmdid, hosts: hosts.length, subscribers: written, delaySeconds };
      for (const listener of this.#pushListeners) listener(push);
      const shown = hosts.slice(0, 5).map((h) => `${intToIp(h.ip)}:${h.port}`).join(", ");
      const more = hosts.length > 5 ? ` and ${hosts.length - 5} more` : "";
      this.#pushLog.info(
        `pushed ${modid}/${cmdid} to ${written} subscribers: ` +
          (hosts.length === 0 ? "no hosts" : `${shown}${more}`) +
          (delaySeconds === null ? "" : `, ${delaySeconds.toFixed(1)} s after the change`),
        { modid, cmdid, hosts: hosts.length, subscribers: written, delaySeconds },
      );
    }
  }

  async #pollLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const interval = this.#options.pollIntervalMs ?? 1000;
    let failing = false;
    while (!signal.aborted) {
      const started = Date.now();
      let wait = interval;
      try {
        await this.poll();
        // Fixed rate: a slow reload does not stretch the period.
        wait = Math.max(0, interval - (Date.now() - started));
        if (failing) this.#log.info(`database reachable again; route version ${this.#version}`);
        failing = false;
        this.#storeError = null;
        this.#backoff.reset();
      } catch (err) {
        this.counters.inc("dbErrors");
        this.#storeError = errorText(err);
        wait = Math.max(interval, this.#backoff.next());
        if (!failing) {
          this.#log.warn(
            `route poll failed: ${errorText(err)}; serving the last table ` +
              `(version ${this.#version}) and retrying with backoff`,
          );
        }
        failing = true;
      }
      await quietDelay(wait, signal);
    }
  }
}

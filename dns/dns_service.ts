/**
 * The DNS service: answers GetRouteRequest from its in-memory route table,
 * subscribes the asking connection to the module, and pushes every change of
 * a module to its subscribers (docs/schema.md, "Routes").
 *
 * Unlike the original:
 * - Every 100 ms it reads `RouteVersion`; on a change it reloads only the
 *   modules named in new `RouteChange` rows and pushes them
 *   ({@linkcode RouteSync}). The whole table is reloaded as a safety net.
 * - Any number of instances may share one store: none deletes change rows at
 *   start, and rows older than the retention window are deleted only by a
 *   serving instance, so each instance pushes every change.
 * - A database that is down at start or later is retried with backoff while
 *   the last good table keeps serving.
 * - Invalid rows are never served; a module too big for a frame is served a
 *   subset that fits.
 *
 * @module
 */
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec } from "../proto/messages.ts";
import { Counters } from "../reactor/counters.ts";
import { addrText, errorText } from "../reactor/text.ts";
import { createLogger, type Logger } from "../reactor/log.ts";
import type { ServerLimits } from "../reactor/server_settings.ts";
import { type ServerConnection, TcpServer } from "../reactor/tcp_server.ts";
import { Backoff, quietDelay } from "../reactor/timers.ts";
import type { NetAddress, Transport } from "../reactor/transport.ts";
import type { RouteStore } from "../store/types.ts";
import { moduleKey, type RouteMap } from "./route_map.ts";
import { type RoutePush, RoutePusher } from "./route_pusher.ts";
import { RouteSync } from "./route_sync.ts";
import { type FleetHealthOptions, FleetVerdicts } from "./fleet_health.ts";
import { type SubscriptionLimits, Subscriptions } from "./subscriptions.ts";
import type { TableLoader } from "./table_loader.ts";

export type { RoutePush };

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
   * @default 100
   */
  pollIntervalMs?: number;
  /**
   * Reload the whole table at least this often, in ms (a safety net; changes
   * reload only their modules).
   * @default 60000
   */
  reloadIntervalMs?: number;
  /**
   * Delete `RouteChange` rows older than this many seconds (by version, which
   * is a time in seconds). Other instances on the same store read the rows
   * too, so keep it longer than any instance may be unable to read.
   * @default 600
   */
  changeRetentionS?: number;
  /**
   * How often the retention clean-up runs, in ms.
   * @default 60000
   */
  cleanupIntervalMs?: number;
  /**
   * New change rows naming more modules than this (a bulk import) make a
   * whole-table reload instead of module-by-module reads.
   * @default 2000
   */
  bulkModules?: number;
  /**
   * Reads the whole table for start-up and safety-net reloads, e.g. a
   * `WorkerTableLoader` (`table_loader.ts`), so a SQLite read does not block answers
   * (default: `store.loadRoutes()` on this thread). The caller closes it.
   */
  tableLoader?: TableLoader;
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

/**
 * Names of the DNS service's own counters: requests; pushes (frames) and
 * pushed modules; whole-table reloads and per-module reloads; version
 * changes, change rows read and gaps (whole reloads forced by a version no
 * change row explains); invalid rows and oversized modules (each counted
 * once); change rows deleted by retention; database errors; requests
 * answered without subscribing because a connection reached its caps.
 */
export const DNS_COUNTER_NAMES = [
  "requests",
  "pushes",
  "pushedModules",
  "reloads",
  "moduleReloads",
  "versionChanges",
  "changesRead",
  "gaps",
  "invalidRows",
  "oversizedModules",
  "changesDeleted",
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
  #sync: RouteSync;
  #lastCleanup = 0;
  #lastPoll = 0;
  #fleet: FleetVerdicts | null;
  #lastFleet = 0;
  #fleetFailing = false;
  #subs: Subscriptions<ServerConnection>;
  #pusher: RoutePusher<ServerConnection>;
  #storeError: string | null = null;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #backoff: Backoff;

  /** Creates the service; {@linkcode start} loads routes and starts listening. */
  constructor(options: DnsServiceOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger("dns");
    this.#subs = new Subscriptions(options.subscriptions);
    this.#pusher = new RoutePusher({
      subscriptions: this.#subs,
      table: () => this.#sync.table,
      log: this.#log,
      count: (name, by) => this.counters.inc(name, by),
    });
    this.#backoff = new Backoff({ initialMs: 200, maxMs: options.maxRetryMs ?? 10_000 });
    const fleet = options.fleet === false ? null : new FleetVerdicts(options.fleet);
    this.#fleet = fleet;
    this.#sync = new RouteSync({
      fleetOverloaded: fleet
        ? (modid, cmdid, ip, port) => fleet.size > 0 && fleet.isOverloaded(modid, cmdid, ip, port)
        : undefined,
      store: options.store,
      log: this.#log,
      count: (name, by) => this.counters.inc(name, by),
      reloadIntervalMs: options.reloadIntervalMs,
      loadAll: options.tableLoader && (() => options.tableLoader!.load()),
      bulkModules: options.bulkModules,
    });
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
      const table = this.#sync.table;
      const known = table.hostsOf(req.modid, req.cmdid) > 0;
      const added = this.#subs.add(conn, moduleKey(req.modid, req.cmdid), known);
      if (added === "full" || added === "unknown-full") this.#refused(conn, added);
      conn.sendFrame(table.responseFrame(req.modid, req.cmdid));
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
    return this.#sync.version;
  }

  /** The current route table. */
  get table(): RouteMap {
    return this.#sync.table;
  }

  /** Calls `listener` once per module pushed to at least one subscriber (for metrics). */
  addPushListener(listener: (push: RoutePush) => void): void {
    this.#pusher.addListener(listener);
  }

  /** True once a route table has been loaded (the service answers from it). */
  get loaded(): boolean {
    return this.#lastPoll > 0;
  }

  /**
   * When the table was last known to be current: the end of the latest
   * successful poll (ms since the epoch; 0 before the first load). Changes are
   * applied module by module, so this, not the last whole-table reload, is
   * the table's age.
   */
  get loadedAt(): number {
    return this.#lastPoll;
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
   * Creates the schema when missing and loads the routes (retrying with
   * backoff while the database is unreachable), then listens and starts the
   * version poll. Deletes nothing: other instances may share the store, and
   * an instance that fails to bind must not disturb them. Resolves to the
   * listen address, or to null when {@linkcode stop} came first; rejects when
   * the address cannot be bound.
   */
  async start(): Promise<NetAddress | null> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.#options.store.init();
        await this.#sync.poll();
        this.#lastPoll = Date.now();
        this.#storeError = null;
        this.#backoff.reset();
        break;
      } catch (err) {
        this.counters.inc("dbErrors");
        this.#storeError = errorText(err);
        this.#sync.markGap();
        const wait = this.#backoff.next();
        this.#log.warn(`cannot load routes: ${errorText(err)}; retrying in ${Math.round(wait)} ms`);
        await quietDelay(wait, signal);
      }
    }
    if (signal.aborted) return null;
    this.server.listen();
    const addr = await this.server.bound; // the real port (0 asks for any), once bound
    const table = this.#sync.table;
    this.#log.info(
      `listening on ${addrText(addr)}: ${table.moduleCount} modules, ` +
        `${table.hostCount} hosts, version ${this.version}`,
    );
    // The first clean-up waits a whole interval: a replica that just started
    // (or restarted in a loop) does not delete anything at once.
    this.#lastCleanup = Date.now();
    this.#loop = this.#pollLoop();
    return addr;
  }

  /** Stops polling and closes every connection. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#loop) await this.server.close({ graceful: true });
  }

  /**
   * One poll step: reads the version and changes, reloads what changed and
   * pushes it; now and then deletes change rows past the retention window.
   * Exposed for tests; throws on a store error (the next step reloads all).
   */
  async poll(): Promise<void> {
    let result;
    try {
      result = await this.#sync.poll();
    } catch (err) {
      this.#sync.markGap();
      throw err;
    }
    this.#lastPoll = Date.now();
    await this.#pusher.push(result.changed);
    await this.#refreshFleet();
    const cleanupMs = this.#options.cleanupIntervalMs ?? 60_000;
    if (Date.now() - this.#lastCleanup >= cleanupMs) {
      this.#lastCleanup = Date.now();
      const retentionS = this.#options.changeRetentionS ?? 600;
      const before = Math.floor(Date.now() / 1000) - retentionS;
      const deleted = await this.#options.store.deleteChangesBefore(before);
      this.counters.inc("changesDeleted", deleted);
      if (deleted > 0) this.#log.debug(`deleted ${deleted} change rows older than ${retentionS} s`);
    }
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
    const changed = fleet.apply(rows).map(({ modid, cmdid }) => moduleKey(modid, cmdid));
    if (changed.length === 0) return;
    this.#sync.table.refreshFleet(changed);
    this.#log.info(`fleet health: ${fleet.size} hosts overloaded for the fleet`);
    // No change row: not a route-table change, so no "seconds after the change".
    await this.#pusher.push(changed.map((key) => ({ key, version: null })));
  }

  async #pollLoop(): Promise<void> {
    const signal = this.#stop.signal;
    const interval = this.#options.pollIntervalMs ?? 100;
    let failing = false;
    while (!signal.aborted) {
      const started = Date.now();
      let wait = interval;
      try {
        await this.poll();
        // Fixed rate: a slow reload does not stretch the period.
        wait = Math.max(0, interval - (Date.now() - started));
        if (failing) this.#log.info(`database reachable again; route version ${this.version}`);
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
              `(version ${this.version}) and retrying with backoff`,
          );
        }
        failing = true;
      }
      await quietDelay(wait, signal);
    }
  }
}

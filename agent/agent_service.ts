/**
 * The load-balance agent's main isolate. It wires the parts together: three
 * supervised shards (one UDP server each, all in one worker, see {@linkcode ShardSupervisor}),
 * the DNS client, the report client, the route cache, and the known routes
 * ({@linkcode KnownRoutes}: the state and rules, kept pure and unit-tested).
 *
 * @module
 */
import { MessageId } from "../proto/ids.ts";
import { intToIp } from "../proto/ip.ts";
import {
  GetRouteRequestCodec,
  GetRouteResponseCodec,
  type HostInfo,
  ReportStatusRequestCodec,
} from "../proto/messages.ts";
import { shardOf } from "../proto/shard.ts";
import { Counters } from "../reactor/counters.ts";
import { createLogger, LogBudget, type Logger } from "../reactor/log.ts";
import { TcpClient } from "../reactor/tcp_client.ts";
import type { Transport } from "../reactor/transport.ts";
import type { AgentSettings } from "./config.ts";
import { KnownRoutes } from "./known_routes.ts";
import { RouteCache } from "./route_cache.ts";
import type { FromShard, InspectRequest, ShardInspection, ShardStats } from "./shard_protocol.ts";
import { ShardSupervisor } from "./shard_supervisor.ts";

/** Names of the agent's counters. */
export const AGENT_COUNTER_NAMES = [
  "pulls",
  "routeUpdates",
  "emptyRoutesHeld",
  "emptyRoutesApplied",
  "reportsSent",
  "shardRestarts",
  "modulesRefused",
] as const;

/** Options of an {@linkcode AgentService}. */
export interface AgentServiceOptions {
  /** Settings from the config file. */
  settings: AgentSettings;
  /** Sockets for the DNS and report clients; the shard workers use the transport of this name. */
  transport: Transport;
  /** The agent's IPv4 address (unsigned), sent as `caller`. */
  caller: number;
  /** Logger. */
  log?: Logger;
}

/** Unix time in seconds, the clock of {@linkcode KnownRoutes}. */
function nowSeconds(): number {
  return Date.now() / 1000;
}

/** The load-balance agent. */
export class AgentService {
  /** Pulls, route updates, empty-route holds, reports and shard restarts. */
  readonly counters: Counters<typeof AGENT_COUNTER_NAMES[number]> = new Counters(
    AGENT_COUNTER_NAMES,
  );
  /** Client of the DNS service. */
  readonly dns: TcpClient;
  /** Client of the report service. */
  readonly reporter: TcpClient;
  /** The modules the agent knows and their last routes. */
  readonly known: KnownRoutes;

  #options: AgentServiceOptions;
  #log: Logger;
  #shards: ShardSupervisor;
  #cache: RouteCache | null;
  #tick: ReturnType<typeof setInterval> | undefined;
  #routeLog: LogBudget;

  /** Creates the agent; {@linkcode start} runs it. */
  constructor(options: AgentServiceOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger("agent");
    this.#routeLog = new LogBudget(this.#log, "route update lines");
    const { settings, transport } = options;
    this.known = new KnownRoutes({
      emptyRouteHoldSeconds: settings.emptyRouteHoldSeconds,
      maxModules: settings.maxModules,
    });
    this.#cache = settings.cacheDir
      ? new RouteCache(settings.cacheDir, this.#log, () => this.known.withHosts())
      : null;
    const halfTimeoutMs = settings.peerTimeoutSeconds * 500;
    this.dns = new TcpClient({
      transport,
      hostname: settings.dns.hostname,
      port: settings.dns.port,
      name: "agent-dns-client",
      log: createLogger("agent-dns-client"),
      onConnect: () => this.#onDnsConnect(),
      heartbeat: {
        idleMs: halfTimeoutMs,
        timeoutMs: halfTimeoutMs,
        probe: () => {
          // Re-pulling one known module: a request every DNS, the C++ one included, answers.
          const module = this.known.nextProbe();
          if (module) this.#sendPull(module.modid, module.cmdid);
          return module !== undefined;
        },
      },
    });
    this.dns.router.on(MessageId.GetRouteResponse, GetRouteResponseCodec, (res) => {
      this.#onRoute(res.modid, res.cmdid, res.host);
    });
    this.reporter = new TcpClient({
      transport,
      hostname: settings.reporter.hostname,
      port: settings.reporter.port,
      name: "agent-report-client",
      log: createLogger("agent-report-client"),
      // The reporter answers nothing, so no heartbeat. TCP keepalive with short timings where
      // the transport can set them (Bun, Node); otherwise (Deno's TcpConn takes no timings) a
      // connection idle for peer_timeout / 2 is replaced: a reporter that died without a FIN
      // fails that connect, within 0.75 * peer_timeout + the 3 s connect timeout.
      keepAliveMs: Math.max(1000, settings.peerTimeoutSeconds * 250),
      refreshIdleMs: settings.peerTimeoutSeconds * 500,
    });
    this.#shards = new ShardSupervisor({
      settings,
      caller: options.caller,
      transport: options.transport.name,
      log: this.#log,
      onMessage: (msg) => this.#onShardMessage(msg),
      routesOf: (index) => this.#routesOfShard(index),
      onRestart: () => this.counters.inc("shardRestarts"),
    });
  }

  /** UDP ports of the three shards, once started. */
  get ports(): readonly number[] {
    return this.#shards.ports;
  }

  /**
   * Loads the route cache, starts the shard worker (each shard binds its UDP port)
   * and connects to DNS and the reporter. Resolves once every shard listens.
   *
   * @throws {Error} when a shard cannot bind its port
   */
  async start(): Promise<void> {
    const { settings, caller } = this.#options;
    const cached = (await this.#cache?.load()) ?? [];
    for (const route of cached) this.known.restore(route);
    await this.#shards.start();
    if (cached.length > 0) {
      const oldest = cached.reduce((min, r) => Math.min(min, r.updatedAt), Infinity);
      this.#log.info(
        `serving ${cached.length} routes from cache ${this.#cache!.path} ` +
          `(oldest confirmed ${Math.round(nowSeconds() - oldest)} s ago)`,
      );
    }
    this.#tick = setInterval(() => this.#onTick(), 1000);
    this.dns.start();
    this.reporter.start();
    this.#log.info(
      `UDP ${settings.hostname}:${this.ports.join(",")}; DNS ${settings.dns.hostname}:` +
        `${settings.dns.port}; reporter ${settings.reporter.hostname}:${settings.reporter.port}; ` +
        `caller ${intToIp(caller)}`,
    );
  }

  /** Asks every shard what it holds; null for a shard that did not answer within 1 s. */
  inspectShards(request: InspectRequest): Promise<(ShardInspection | null)[]> {
    return this.#shards.inspect(request);
  }

  /**
   * Makes shard `index` throw an uncaught error inside its worker, as a bug
   * would; the supervisor then restarts it. For tests and failure drills.
   */
  failShard(index: number, reason = "failure injected"): void {
    this.#shards.fail(index, reason);
  }

  /**
   * Stops the shards (each commits its last statistics), sends those to the
   * reporter, writes the route cache and closes the clients. Resolves to the
   * shards' final counters (those that answered within 2 s).
   */
  async stop(): Promise<ShardStats[]> {
    clearInterval(this.#tick);
    const stats = await this.#shards.stop();
    await this.#cache?.flush();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      // Pending reports (e.g. while an idle connection is being replaced) wait for the connection.
      this.reporter.whenConnected().then(() => this.reporter.drain()),
      new Promise((r) => timer = setTimeout(r, 2000)),
    ]);
    clearTimeout(timer);
    await this.reporter.close({ graceful: true });
    await this.dns.close();
    return stats;
  }

  #onShardMessage(msg: FromShard): void {
    switch (msg.type) {
      case "pull":
        return this.#pull(msg.modid, msg.cmdid);
      case "report":
        for (const req of msg.requests) {
          this.reporter.send(MessageId.ReportStatusRequest, ReportStatusRequestCodec.encode(req));
        }
        this.counters.inc("reportsSent", msg.requests.length);
        return;
    }
  }

  /** The routes a restarted shard gets back. */
  #routesOfShard(index: number) {
    const routes = [];
    for (const route of this.known.withHosts()) {
      if (shardOf(route.modid, route.cmdid) === index) routes.push(route);
    }
    return routes;
  }

  /**
   * A shard asks for a module. While DNS is down nothing is queued: the
   * reconnect pulls every known module once.
   */
  #pull(modid: number, cmdid: number): void {
    if (!this.known.pulled(modid, cmdid)) {
      // Full: no pull, and the shard drops the module it created for the request.
      this.counters.inc("modulesRefused");
      this.#log.warnThrottled(
        "max_modules",
        `${this.known.size} modules known (max_modules ${this.#options.settings.maxModules}): ` +
          `refused ${this.counters.get("modulesRefused")} pulls of new modules so far`,
      );
      this.#shards.send(modid, cmdid, { type: "forget", modid, cmdid });
      return;
    }
    if (this.dns.connected) this.#sendPull(modid, cmdid);
  }

  #sendPull(modid: number, cmdid: number): void {
    this.counters.inc("pulls");
    this.dns.send(MessageId.GetRouteRequest, GetRouteRequestCodec.encode({ modid, cmdid }));
  }

  /** DNS (re)connected: pulls in flight were lost, so every known module is pulled once. */
  #onDnsConnect(): void {
    const modules = this.known.modules();
    for (const { modid, cmdid } of modules) this.#sendPull(modid, cmdid);
    this.#log.info(`DNS connected; pulled ${modules.length} known modules`);
  }

  #onRoute(modid: number, cmdid: number, hosts: HostInfo[]): void {
    const decision = this.known.onRoute(modid, cmdid, hosts, nowSeconds());
    this.counters.inc("routeUpdates");
    if (decision.changed) {
      this.#routeLog.info(
        `route ${modid}/${cmdid} from DNS: ${decision.hosts.length} hosts`,
        { modid, cmdid, hosts: decision.hosts.length },
      );
      this.#cache?.changed();
    } else if (!decision.held) this.#cache?.refreshed();
    this.#shards.send(modid, cmdid, { type: "route", modid, cmdid, hosts: decision.hosts });
  }

  /** Once a second: expired empty-route holds, and one summary line per kind of event. */
  #onTick(): void {
    const expired = this.known.expireHolds(nowSeconds());
    for (const { modid, cmdid } of expired) {
      this.#shards.send(modid, cmdid, { type: "route", modid, cmdid, hosts: [] });
    }
    if (expired.length > 0) this.#cache?.changed();
    const { held, removed, expired: expiredCount, recovered } = this.known.takeEmptySummary();
    const hold = this.#options.settings.emptyRouteHoldSeconds;
    if (held > 0) {
      this.counters.inc("emptyRoutesHeld", held);
      this.#log.warn(
        `${held} modules came back empty from DNS; holding their last hosts for ${hold} s ` +
          `(${this.known.heldCount} held in all)`,
      );
    }
    if (removed > 0) {
      this.counters.inc("emptyRoutesApplied", removed);
      this.#log.warn(`${removed} modules came back empty from DNS; removed them`);
    }
    if (expiredCount > 0) {
      this.counters.inc("emptyRoutesApplied", expiredCount);
      this.#log.warn(`${expiredCount} modules stayed empty for ${hold} s; removed them`);
    }
    if (recovered > 0) {
      this.#log.info(`${recovered} held modules got hosts from DNS again`);
    }
  }
}

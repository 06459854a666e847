/**
 * The load-balance agent's main isolate: starts three shard workers (one UDP
 * server each), runs the DNS client and the report client, keeps the route
 * cache, and carries pulls, routes and statistics between them.
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
import { Counters } from "../reactor/counters.ts";
import { createLogger, type Logger } from "../reactor/log.ts";
import { TcpClient } from "../reactor/tcp_client.ts";
import type { Transport } from "../reactor/transport.ts";
import { WorkerPool } from "../reactor/worker_pool.ts";
import type { AgentSettings } from "./config.ts";
import { RouteCache } from "./route_cache.ts";
import { type FromShard, shardOf, type ShardStats, type ToShard } from "./shard_protocol.ts";

const SHARDS = 3;

/** Names of the agent's counters. */
export const AGENT_COUNTER_NAMES = [
  "pulls",
  "routeUpdates",
  "emptyRoutesHeld",
  "emptyRoutesApplied",
  "reportsSent",
] as const;

/** Options of an {@linkcode AgentService}. */
export interface AgentServiceOptions {
  /** Settings from the config file. */
  settings: AgentSettings;
  /** Sockets for the DNS and report clients (workers use the Deno transport). */
  transport: Transport;
  /** The agent's IPv4 address (unsigned), sent as `caller`. */
  caller: number;
  /** Logger. */
  log?: Logger;
}

/** A module the agent knows, with its last route from DNS (empty while the first pull runs). */
interface KnownModule {
  modid: number;
  cmdid: number;
  hosts: HostInfo[];
  /** Unix time in seconds when DNS last sent the route (0: never). */
  updatedAt: number;
}

/** True when both lists hold the same hosts, in any order. */
function sameHosts(a: readonly HostInfo[], b: readonly HostInfo[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map((h) => `${h.ip}:${h.port}:${h.weight ?? 1}`));
  return b.every((h) => keys.has(`${h.ip}:${h.port}:${h.weight ?? 1}`));
}

/** The load-balance agent. */
export class AgentService {
  /** Pulls, route updates and reports. */
  readonly counters: Counters<typeof AGENT_COUNTER_NAMES[number]> = new Counters(
    AGENT_COUNTER_NAMES,
  );
  /** Client of the DNS service. */
  readonly dns: TcpClient;
  /** Client of the report service. */
  readonly reporter: TcpClient;

  #options: AgentServiceOptions;
  #log: Logger;
  #pool: WorkerPool<ToShard, FromShard> | null = null;
  #cache: RouteCache | null;
  #known = new Map<string, KnownModule>();
  #emptyPending = new Set<string>();
  #ports: number[] = [];
  #stoppedWaiters: ((stats: ShardStats | null) => void)[] = [];
  #shardFailed: ((err: Error) => void)[] = [];

  /** Creates the agent; {@linkcode start} runs it. */
  constructor(options: AgentServiceOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger("agent");
    const { settings, transport } = options;
    this.#cache = settings.cacheDir
      ? new RouteCache(settings.cacheDir, this.#log, () => this.#cachedRoutes())
      : null;
    this.dns = new TcpClient({
      transport,
      hostname: settings.dns.hostname,
      port: settings.dns.port,
      name: "agent-dns-client",
      log: createLogger("agent-dns-client"),
      onConnect: () => this.#onDnsConnect(),
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
    });
  }

  /** UDP ports of the three shards, once started. */
  get ports(): readonly number[] {
    return this.#ports;
  }

  /**
   * Loads the route cache, starts the shard workers (each binds its UDP port)
   * and connects to DNS and the reporter. Resolves once every shard listens.
   *
   * @throws {Error} when a shard cannot bind its port
   */
  async start(): Promise<void> {
    const { settings, caller } = this.#options;
    const cached = (await this.#cache?.load()) ?? [];
    const pool = new WorkerPool<ToShard, FromShard>({
      url: new URL("./shard_worker.ts", import.meta.url),
      size: SHARDS,
      name: "agent-shard",
      onError: (err, index) => {
        this.#log.error(`shard ${index} failed: ${err.message}`);
        this.#shardFailed[index]?.(err);
      },
    });
    this.#pool = pool;
    const ready: Promise<number>[] = [];
    for (let index = 0; index < SHARDS; index++) {
      ready.push(this.#listenToShard(index));
      pool.channel(index).send({
        type: "start",
        settings: {
          index,
          hostname: settings.hostname,
          port: settings.port + index,
          loadBalance: settings.loadBalance,
          caller,
          reportIntervalMs: settings.reportIntervalSeconds * 1000,
        },
      });
    }
    try {
      this.#ports = await Promise.all(ready);
    } catch (err) {
      pool.terminate();
      throw err;
    }
    for (const route of cached) {
      this.#known.set(`${route.modid},${route.cmdid}`, { ...route });
      this.#shard(route.modid, route.cmdid).send({ type: "restore", ...route });
    }
    if (cached.length > 0) {
      const oldest = cached.reduce((min, r) => Math.min(min, r.updatedAt), Infinity);
      this.#log.info(
        `serving ${cached.length} routes from cache ${this.#cache!.path} ` +
          `(oldest confirmed ${Math.round(Date.now() / 1000 - oldest)} s ago)`,
      );
    }
    this.dns.start();
    this.reporter.start();
    this.#log.info(
      `UDP ${settings.hostname}:${this.#ports.join(",")}; DNS ${settings.dns.hostname}:` +
        `${settings.dns.port}; reporter ${settings.reporter.hostname}:${settings.reporter.port}; ` +
        `caller ${intToIp(caller)}`,
    );
  }

  /**
   * Stops the shards (each commits its last statistics), sends those to the
   * reporter, writes the route cache and closes the clients. Resolves to the
   * shards' final counters (those that answered within 2 s).
   */
  async stop(): Promise<ShardStats[]> {
    const pool = this.#pool;
    const stats: ShardStats[] = [];
    if (pool) {
      const stopped = Array.from(
        { length: SHARDS },
        () =>
          new Promise<void>((resolve) =>
            this.#stoppedWaiters.push((s) => {
              if (s) stats.push(s);
              resolve();
            })
          ),
      );
      pool.broadcast({ type: "stop" });
      await Promise.race([Promise.all(stopped), new Promise((r) => setTimeout(r, 2000))]);
      pool.terminate();
    }
    await this.#cache?.flush();
    await Promise.race([this.reporter.drain(), new Promise((r) => setTimeout(r, 2000))]);
    await this.reporter.close({ graceful: true });
    await this.dns.close();
    return stats;
  }

  /** What the route cache stores: every known module that has hosts. */
  *#cachedRoutes(): Iterable<KnownModule> {
    for (const module of this.#known.values()) if (module.hosts.length > 0) yield module;
  }

  #listenToShard(index: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#shardFailed[index] = (err) =>
        reject(new Error(`shard ${index} failed: ${err.message}`));
      this.#pool!.channel(index).onMessage((msg) => {
        switch (msg.type) {
          case "ready":
            return resolve(msg.port);
          case "startFailed":
            return reject(new Error(`shard ${index} cannot start: ${msg.error}`));
          case "pull":
            return this.#pull(msg.modid, msg.cmdid);
          case "report":
            for (const req of msg.requests) {
              this.reporter.send(
                MessageId.ReportStatusRequest,
                ReportStatusRequestCodec.encode(req),
              );
            }
            this.counters.inc("reportsSent", msg.requests.length);
            return;
          case "stopped":
            this.#stoppedWaiters.pop()?.(msg.stats);
            return;
        }
      });
    });
  }

  #shard(modid: number, cmdid: number) {
    return this.#pool!.channel(shardOf(modid, cmdid, SHARDS));
  }

  #pull(modid: number, cmdid: number): void {
    const key = `${modid},${cmdid}`;
    if (!this.#known.has(key)) this.#known.set(key, { modid, cmdid, hosts: [], updatedAt: 0 });
    this.counters.inc("pulls");
    this.dns.send(MessageId.GetRouteRequest, GetRouteRequestCodec.encode({ modid, cmdid }));
  }

  /** DNS (re)connected: pulls in flight are lost, so reset them and pull every known module. */
  #onDnsConnect(): void {
    this.#pool?.broadcast({ type: "resetPulling" });
    for (const { modid, cmdid } of this.#known.values()) this.#pull(modid, cmdid);
    this.#log.info(`DNS connected; pulled ${this.#known.size} known modules`);
  }

  #onRoute(modid: number, cmdid: number, hosts: HostInfo[]): void {
    const key = `${modid},${cmdid}`;
    const known = this.#known.get(key);
    if (hosts.length === 0 && known && known.hosts.length > 0 && !this.#emptyPending.has(key)) {
      // Guard against a wiped table: apply an empty route only once the next pull confirms it.
      this.#emptyPending.add(key);
      this.counters.inc("emptyRoutesHeld");
      this.#log.warn(
        `DNS sent no hosts for ${modid}/${cmdid}, which had ${known.hosts.length}; ` +
          `keeping them until a second pull confirms`,
      );
      this.#pull(modid, cmdid);
      return;
    }
    const changed = !known || !sameHosts(known.hosts, hosts);
    if (hosts.length === 0) {
      if (this.#emptyPending.delete(key)) this.counters.inc("emptyRoutesApplied");
      this.#known.delete(key);
    } else {
      this.#emptyPending.delete(key);
      this.#known.set(key, { modid, cmdid, hosts, updatedAt: Date.now() / 1000 });
    }
    this.counters.inc("routeUpdates");
    if (changed) this.#cache?.changed();
    else this.#cache?.refreshed();
    this.#shard(modid, cmdid).send({ type: "route", modid, cmdid, hosts });
  }
}

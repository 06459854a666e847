/**
 * The agent's shards, run in one Web Worker: each shard is a UDP server on
 * `[agent] port + index` that answers GetHost, Report and API_GetRoute from
 * its own {@linkcode RouteTable}. The worker hosts every shard it is sent a
 * `start` for (one isolate for all of them: each further isolate would cost
 * 7-16 MiB of RSS). Each shard keeps its own socket, table and timer. Pulls
 * and statistics go to the main isolate, routes come back from it. A `get_route` reply too big for one datagram is
 * cut to the hosts that fit ({@linkcode encodeRouteReply}) and logged once per
 * module and route.
 *
 * @module
 */
import { MessageId, RetCode } from "../proto/ids.ts";
import {
  GetHostRequestCodec,
  GetHostResponseCodec,
  GetRouteRequestCodec,
  ReportRequestCodec,
} from "../proto/messages.ts";
import { isPort } from "../proto/ip.ts";
import type { HostInfo } from "../proto/messages.ts";
import { createLogger, type Logger, setLogFormat } from "../reactor/log.ts";
import { loadTransport } from "../reactor/transport_runtime.ts";
import type { Transport } from "../reactor/transport.ts";
import { UdpServer } from "../reactor/udp_endpoint.ts";
import { WorkerChannel, workerScope } from "../reactor/worker_channel.ts";
import { encodeRouteReply, MAX_DATAGRAM_FRAME, type RouteReply } from "./route_reply.ts";
import { RouteTable } from "./route_table.ts";
import { ShardWatch } from "./shard_inspect.ts";
import type { FromShard, ShardSettings, ShardStats, ToShard } from "./shard_protocol.ts";
import { errorText } from "../reactor/text.ts";
import { shardOf } from "../proto/shard.ts";

const channel = new WorkerChannel<FromShard, ToShard>(workerScope());
/** The shards of this worker, by index. */
const shards = new Map<number, Shard>();

/** Unix time in seconds, the balancer's clock. */
function nowSeconds(): number {
  return Date.now() / 1000;
}

class Shard {
  readonly table: RouteTable;
  readonly server: UdpServer;
  readonly stats: ShardStats;
  #timer: ReturnType<typeof setInterval>;
  #invalidReports = 0;
  #log: Logger;
  /** GetHost results and host state changes, for the admin endpoint. */
  readonly watch: ShardWatch;
  /** Cut replies of modules too big for a datagram, with the route update they belong to. */
  #cutReplies = new Map<string, { lastUpdate: number; reply: RouteReply }>();

  constructor(readonly settings: ShardSettings, transport: Transport) {
    if (settings.logFormat) setLogFormat(settings.logFormat);
    const log = createLogger(`agent-shard-${settings.index}`);
    this.#log = log;
    this.watch = new ShardWatch(settings.index, log);
    this.table = new RouteTable(settings.loadBalance, this.watch.onTransition, {
      maxModules: settings.maxModules,
    });
    this.stats = {
      index: settings.index,
      modules: 0,
      getHost: 0,
      report: 0,
      getRoute: 0,
      getRouteCut: 0,
      badDatagrams: 0,
      unknownReports: 0,
      modulesRefused: 0,
    };
    this.server = new UdpServer({
      transport,
      hostname: settings.hostname,
      port: settings.port,
      name: `agent-udp-${settings.port}`,
      log,
    });
    this.#route();
    this.#timer = setInterval(() => this.commitStatistics(), settings.reportIntervalMs);
  }

  #pull(modid: number, cmdid: number): void {
    channel.send({ type: "pull", modid, cmdid });
  }

  /** A new module was refused (table full): one throttled line with the running count. */
  #refused(): void {
    this.#log.warnThrottled(
      "max_modules",
      `module table full (max_modules ${this.table.maxModules}): refused ${this.table.refused} ` +
        "requests for new modules so far; they answer RET_NOEXIST without a pull",
    );
  }

  #route(): void {
    const { router } = this.server;
    router.on(MessageId.GetHostRequest, GetHostRequestCodec, (req, peer) => {
      this.stats.getHost++;
      const result = this.table.getHost(req.modid, req.cmdid, nowSeconds());
      this.watch.countGetHost(result.code);
      if (result.pull) this.#pull(req.modid, req.cmdid);
      else if (result.refused) this.#refused();
      peer.reply(
        MessageId.GetHostResponse,
        GetHostResponseCodec.encode({
          seq: req.seq,
          modid: req.modid,
          cmdid: req.cmdid,
          retcode: result.code,
          host: result.code === RetCode.SUCC ? result.host : undefined,
        }),
      );
    });
    router.on(MessageId.ReportRequest, ReportRequestCodec, (req) => {
      const host = req.host;
      if (!host || !isPort(host.port)) {
        this.#invalidReports++;
        return;
      }
      this.stats.report++;
      const known = this.table.report(
        req.modid,
        req.cmdid,
        host.ip,
        host.port,
        req.retcode,
        nowSeconds(),
      );
      if (!known) this.stats.unknownReports++;
    });
    router.on(MessageId.ApiGetRouteRequest, GetRouteRequestCodec, (req, peer) => {
      this.stats.getRoute++;
      const result = this.table.getRoute(req.modid, req.cmdid, nowSeconds());
      if (result.pull) this.#pull(req.modid, req.cmdid);
      else if (result.refused) this.#refused();
      peer.reply(
        MessageId.ApiGetRouteResponse,
        this.#routeReply(req.modid, req.cmdid, result.hosts),
      );
    });
  }

  /** The reply body, cut to one datagram when needed (cached per route update, logged once). */
  #routeReply(modid: number, cmdid: number, hosts: HostInfo[]): Uint8Array {
    const cut = this.#cutReplies;
    const key = cut.size > 0 ? `${modid},${cmdid}` : "";
    const lastUpdate = this.table.get(modid, cmdid)?.lastUpdate ?? 0;
    const cached = cut.size > 0 ? cut.get(key) : undefined;
    if (cached && cached.lastUpdate === lastUpdate && cached.reply.total === hosts.length) {
      this.stats.getRouteCut++;
      return cached.reply.body;
    }
    const reply = encodeRouteReply(modid, cmdid, hosts);
    if (reply.served === reply.total) {
      if (cached) cut.delete(key);
      return reply.body;
    }
    this.stats.getRouteCut++;
    const before = cached?.reply;
    if (!before || before.total !== reply.total || before.served !== reply.served) {
      this.#log.warn(
        `get_route ${modid}/${cmdid}: ${reply.total} hosts do not fit one datagram ` +
          `(${MAX_DATAGRAM_FRAME} bytes); answering with the first ${reply.served} by address`,
      );
    }
    cut.set(`${modid},${cmdid}`, { lastUpdate, reply });
    return reply.body;
  }

  /** Sends the statistics of every module reported on since the last commit. */
  commitStatistics(): void {
    const requests = this.table.takeDirtySnapshots(this.settings.caller, nowSeconds());
    if (requests.length > 0) channel.send({ type: "report", requests });
  }

  currentStats(): ShardStats {
    this.stats.modules = this.table.size;
    this.stats.modulesRefused = this.table.refused;
    this.stats.badDatagrams = this.server.counters.get("badFrames") +
      this.server.counters.get("unknownMsgid") + this.#invalidReports;
    return { ...this.stats };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.server.close();
    this.commitStatistics();
  }
}

/** The shard that serves a module (routes are sent to the worker hosting it). */
function shardFor(modid: number, cmdid: number): Shard | undefined {
  return shards.get(shardOf(modid, cmdid));
}

/** The shards' transport, loaded at the first `start` (only the one named: see loadTransport). */
let transport: Transport | null = null;
/** Messages that arrived while the transport loads, in order; null when not loading. */
let waiting: ToShard[] | null = null;

channel.onMessage((msg) => {
  if (waiting !== null) {
    waiting.push(msg);
  } else if (msg.type === "start" && transport === null) {
    const queued: ToShard[] = [msg];
    waiting = queued;
    // A failed import rejects unhandled: the worker fails and its supervisor restarts it.
    loadTransport(msg.settings.transport).then((loaded) => {
      transport = loaded;
      waiting = null;
      for (const queuedMsg of queued) handle(queuedMsg);
    });
  } else {
    handle(msg);
  }
});

async function handle(msg: ToShard): Promise<void> {
  switch (msg.type) {
    case "start": {
      const { index } = msg.settings;
      try {
        if (shards.has(index)) throw new Error(`shard ${index} is already running`);
        const shard = new Shard(msg.settings, transport!);
        for (const r of msg.routes) shard.table.restore(r.modid, r.cmdid, r.hosts, r.updatedAt);
        const addr = shard.server.start();
        shards.set(index, shard);
        channel.send({ type: "ready", index, port: addr.port });
      } catch (err) {
        channel.send({ type: "startFailed", index, error: errorText(err) });
      }
      return;
    }
    case "route":
      shardFor(msg.modid, msg.cmdid)?.table.applyUpdate(
        msg.modid,
        msg.cmdid,
        msg.hosts,
        nowSeconds(),
      );
      return;
    case "forget":
      shardFor(msg.modid, msg.cmdid)?.table.forget(msg.modid, msg.cmdid);
      return;
    case "inspect":
      // One answer per shard; the main isolate tells them apart by `stats.index`.
      for (const shard of shards.values()) {
        const inspection = shard.watch.inspect(
          msg.request,
          shard.table,
          shard.currentStats(),
          shard.server.counters.snapshot(),
        );
        channel.send({ type: "inspection", id: msg.id, inspection });
      }
      return;
    case "fail":
      // Thrown outside this handler, so that it is uncaught like a bug's error.
      setTimeout(() => {
        throw new Error(`shard ${msg.index ?? "worker"} failed on request: ${msg.reason}`);
      });
      return;
    case "stop": {
      if (shards.size === 0) channel.send({ type: "stopped", index: -1, stats: null });
      for (const [index, shard] of shards) {
        await shard.stop();
        channel.send({ type: "stopped", index, stats: shard.currentStats() });
      }
      shards.clear();
      channel.flush();
      return;
    }
  }
}

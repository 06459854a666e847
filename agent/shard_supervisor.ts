/**
 * The agent's three shards, supervised. All of them run in one Web Worker
 * ({@linkcode SHARD_WORKERS}): one V8 isolate for the three UDP servers instead
 * of three, which saves about 30 MiB of RSS; each shard keeps its own port,
 * socket, route table and balancer state, and the worker boundary stays the
 * thread queue between the UDP servers and the DNS and report clients. A
 * worker that dies after start-up (an uncaught error, or a batch it sent that
 * cannot be read) is replaced by a fresh one whose shards get their routes
 * back from the main isolate in their start message, then bind the same UDP
 * ports. Restarts are logged,
 * counted and spaced out by a backoff when a worker keeps failing.
 *
 * @module
 */
import { SHARD_COUNT, shardOf } from "../proto/shard.ts";
import { logFormat, type Logger } from "../reactor/log.ts";
import { Backoff } from "../reactor/timers.ts";
import type { WorkerChannel } from "../reactor/worker_channel.ts";
import { WorkerPool } from "../reactor/worker_pool.ts";
import type { AgentSettings } from "./config.ts";
import type {
  FromShard,
  InspectRequest,
  RestoredRoute,
  ShardInspection,
  ShardSettings,
  ShardStats,
  ToShard,
} from "./shard_protocol.ts";

export type { RestoredRoute } from "./shard_protocol.ts";

/** Options of a {@linkcode ShardSupervisor}. */
export interface ShardSupervisorOptions {
  /** The agent's settings. */
  settings: AgentSettings;
  /** The agent's IPv4 address (unsigned). */
  caller: number;
  /** Name of the agent's transport (`deno`, `node`): the shards bind their UDP ports with it. */
  transport: string;
  /** Logger. */
  log: Logger;
  /** Pulls and reports from the shards. */
  onMessage: (msg: Extract<FromShard, { type: "pull" | "report" }>) => void;
  /** Routes to restore in a restarted shard. */
  routesOf: (index: number) => Iterable<RestoredRoute>;
  /**
   * Called once per successful restart of a worker, with the routes sent to its new shards.
   */
  onRestart?: (index: number) => void;
}

/**
 * How many workers the shards run in: shard `i` runs in worker `i % SHARD_WORKERS`. One: the
 * request path of a shard never leaves its worker, so sharing an isolate costs no latency, and
 * each further isolate would add 7-16 MiB of RSS.
 */
export const SHARD_WORKERS = 1;

/** The worker that runs shard `index`. */
function workerOf(index: number): number {
  return index % SHARD_WORKERS;
}

/** The shards that run in worker `worker`. */
function shardsOf(worker: number): number[] {
  const shards = [];
  for (let index = worker; index < SHARD_COUNT; index += SHARD_WORKERS) shards.push(index);
  return shards;
}

type Waiter = { resolve: (port: number) => void; reject: (err: Error) => void };

/** Starts, restarts and stops the shard worker(s). */
export class ShardSupervisor {
  #options: ShardSupervisorOptions;
  #pool: WorkerPool<ToShard, FromShard> | null = null;
  #ports: number[] = [];
  #starting = new Map<number, Waiter>();
  #stopped = new Map<number, (stats: ShardStats | null) => void>();
  #backoff: Backoff[] = [];
  #lastRestart: number[] = [];
  /** Routes sent with the last start of each shard. */
  #restored: number[] = [];
  #stopping = false;
  #inspectSeq = 0;
  #inspections = new Map<number, (index: number, inspection: ShardInspection) => void>();

  /** Creates the supervisor; {@linkcode start} starts the workers. */
  constructor(options: ShardSupervisorOptions) {
    this.#options = options;
  }

  /** UDP ports of the shards, once started. */
  get ports(): readonly number[] {
    return this.#ports;
  }

  /**
   * Starts the workers; resolves once each shard listens.
   *
   * @throws {Error} when a shard cannot bind its port
   */
  async start(): Promise<void> {
    const pool = new WorkerPool<ToShard, FromShard>({
      url: new URL("./shard_worker.ts", import.meta.url),
      size: SHARD_WORKERS,
      name: "agent-shards",
      onError: (err, worker) => this.#onWorkerError(worker, err.message),
    });
    this.#pool = pool;
    const ready = [];
    for (let worker = 0; worker < SHARD_WORKERS; worker++) {
      this.#backoff.push(new Backoff({ initialMs: 100, maxMs: 2000 }));
      this.#lastRestart.push(0);
      ready.push(this.#startWorker(worker, pool.channel(worker)));
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      this.#stopping = true;
      pool.terminate();
      throw err;
    }
  }

  /** Sends a message to the shard of `(modid, cmdid)`. */
  send(modid: number, cmdid: number, msg: ToShard): void {
    this.#pool?.channel(workerOf(shardOf(modid, cmdid))).send(msg);
  }

  /**
   * Makes the worker of shard `index` throw (see {@linkcode AgentService.failShard}); the
   * worker's other shards restart with it.
   */
  fail(index: number, reason: string): void {
    this.#pool?.channel(workerOf(index)).send({ type: "fail", index, reason });
  }

  /**
   * Asks every shard for its {@linkcode ShardInspection}; resolves within
   * `timeoutMs` to one entry per shard, null for a shard that did not answer
   * (restarting, or stuck).
   */
  inspect(request: InspectRequest, timeoutMs = 1000): Promise<(ShardInspection | null)[]> {
    const pool = this.#pool;
    const answers: (ShardInspection | null)[] = Array(SHARD_COUNT).fill(null);
    if (!pool) return Promise.resolve(answers);
    const id = ++this.#inspectSeq;
    return new Promise((resolve) => {
      let pending = SHARD_COUNT;
      const done = () => {
        clearTimeout(timer);
        this.#inspections.delete(id);
        resolve(answers);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#inspections.set(id, (index, inspection) => {
        if (answers[index] === null) pending--;
        answers[index] = inspection;
        if (pending === 0) done();
      });
      // One request per worker: it answers for each of its shards.
      for (let worker = 0; worker < SHARD_WORKERS; worker++) {
        if (shardsOf(worker).some((index) => this.#starting.has(index))) continue;
        pool.channel(worker).send({ type: "inspect", id, request });
      }
    });
  }

  /**
   * Stops every shard; resolves to the counters of those that answered within 2 s.
   * Calling it again does nothing.
   */
  async stop(): Promise<ShardStats[]> {
    this.#stopping = true;
    const pool = this.#pool;
    if (!pool || pool.terminated) return [];
    const stats: ShardStats[] = [];
    const stopped = Array.from(
      { length: SHARD_COUNT },
      (_, index) =>
        new Promise<void>((resolve) =>
          this.#stopped.set(index, (s) => {
            if (s) stats.push(s);
            resolve();
          })
        ),
    );
    pool.broadcast({ type: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(stopped),
      new Promise((r) => timer = setTimeout(r, 2000)),
    ]);
    clearTimeout(timer);
    pool.terminate();
    return stats;
  }

  /** Starts the shards of `worker` on its (new) channel; resolves once each listens. */
  async #startWorker(worker: number, channel: WorkerChannel<ToShard, FromShard>): Promise<void> {
    channel.onMessage((msg) => {
      switch (msg.type) {
        case "ready":
          return this.#settle(msg.index, (w) => w.resolve(msg.port));
        case "startFailed":
          return this.#settle(msg.index, (w) => w.reject(new Error(msg.error)));
        case "stopped":
          return this.#stopped.get(msg.index)?.(msg.stats);
        case "inspection":
          return this.#inspections.get(msg.id)?.(msg.inspection.stats.index, msg.inspection);
        default:
          return this.#options.onMessage(msg);
      }
    });
    await Promise.all(
      shardsOf(worker).map(async (index) => {
        this.#ports[index] = await this.#startShard(index, channel);
      }),
    );
  }

  #startShard(index: number, channel: WorkerChannel<ToShard, FromShard>): Promise<number> {
    const { settings, caller } = this.#options;
    const shardSettings: ShardSettings = {
      index,
      hostname: settings.hostname,
      port: settings.port + index,
      loadBalance: settings.loadBalance,
      caller,
      reportIntervalMs: settings.reportIntervalSeconds * 1000,
      transport: this.#options.transport,
      logFormat: logFormat(),
      maxModules: settings.maxModules,
    };
    const ready = new Promise<number>((resolve, reject) => {
      this.#starting.set(index, { resolve, reject });
    });
    // The routes travel with "start": the worker has them before it binds its port, so no
    // request finds the shard without its routes (which would answer RET_NOEXIST).
    const routes = Array.from(this.#options.routesOf(index), (r) => ({ ...r }));
    this.#restored[index] = routes.length;
    channel.send({ type: "start", settings: shardSettings, routes });
    return ready.catch((err) => {
      throw new Error(`shard ${index} cannot start: ${err.message}`);
    });
  }

  #settle(index: number, how: (waiter: Waiter) => void): void {
    const waiter = this.#starting.get(index);
    this.#starting.delete(index);
    if (waiter) how(waiter);
  }

  #onWorkerError(worker: number, message: string): void {
    const { log } = this.#options;
    const shards = shardsOf(worker);
    for (const index of shards) log.error(`shard ${index} failed: ${message}`);
    const starting = shards.filter((index) => this.#starting.has(index));
    if (starting.length > 0) {
      // Failed while (re)starting: start() fails, or the restart in progress retries.
      for (const index of starting) this.#settle(index, (w) => w.reject(new Error(message)));
      return;
    }
    if (this.#stopping) return;
    this.#restart(worker);
  }

  #restart(worker: number, attempt = 1): void {
    if (this.#stopping) return;
    const pool = this.#pool!;
    // A worker that ran for a minute since its last restart starts over without delay.
    const now = Date.now();
    if (now - this.#lastRestart[worker] > 60_000) this.#backoff[worker].reset();
    this.#lastRestart[worker] = now;
    const backoff = this.#backoff[worker];
    const first = backoff.attempt === 0;
    const wait = backoff.next();
    const delay = first ? 0 : wait;
    setTimeout(async () => {
      if (this.#stopping) return;
      const channel = pool.restart(worker);
      try {
        await this.#startWorker(worker, channel);
        for (const index of shardsOf(worker)) {
          const restored = this.#restored[index];
          this.#options.log.warn(
            `shard ${index} restarted on UDP port ${this.#ports[index]} with ${restored} ` +
              `routes restored`,
          );
        }
        this.#options.onRestart?.(worker);
      } catch (err) {
        if (this.#stopping) return;
        this.#options.log.error(
          `shard worker ${worker} restart ${attempt} failed: ${(err as Error).message}; retrying`,
        );
        this.#restart(worker, attempt + 1);
      }
    }, delay);
  }
}

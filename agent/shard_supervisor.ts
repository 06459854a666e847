/**
 * The agent's three shard workers, supervised: a worker that dies after
 * start-up (an uncaught error, or a batch it sent that cannot be read) is
 * replaced by a fresh one on the same UDP port, which gets its routes back
 * from the main isolate. Restarts are logged, counted and spaced out by a
 * backoff when a shard keeps failing.
 *
 * @module
 */
import type { HostInfo } from "../proto/messages.ts";
import { SHARD_COUNT, shardOf } from "../proto/shard.ts";
import { logFormat, type Logger } from "../reactor/log.ts";
import { Backoff } from "../reactor/timers.ts";
import type { WorkerChannel } from "../reactor/worker_channel.ts";
import { WorkerPool } from "../reactor/worker_pool.ts";
import type { AgentSettings } from "./config.ts";
import type {
  FromShard,
  InspectRequest,
  ShardInspection,
  ShardSettings,
  ShardStats,
  ToShard,
} from "./shard_protocol.ts";

/** A route given back to a restarted shard. */
export interface RestoredRoute {
  /** Module id. */
  readonly modid: number;
  /** Command id. */
  readonly cmdid: number;
  /** Hosts, never empty. */
  readonly hosts: HostInfo[];
  /** Unix time in seconds when DNS last sent them. */
  readonly updatedAt: number;
}

/** Options of a {@linkcode ShardSupervisor}. */
export interface ShardSupervisorOptions {
  /** The agent's settings. */
  settings: AgentSettings;
  /** The agent's IPv4 address (unsigned). */
  caller: number;
  /** Logger. */
  log: Logger;
  /** Pulls and reports from the shards. */
  onMessage: (msg: Extract<FromShard, { type: "pull" | "report" }>) => void;
  /** Routes to restore in a restarted shard. */
  routesOf: (index: number) => Iterable<RestoredRoute>;
  /** Called once per successful restart, after the routes were sent to the new shard. */
  onRestart?: (index: number) => void;
}

type Waiter = { resolve: (port: number) => void; reject: (err: Error) => void };

/** Starts, restarts and stops the shard workers. */
export class ShardSupervisor {
  #options: ShardSupervisorOptions;
  #pool: WorkerPool<ToShard, FromShard> | null = null;
  #ports: number[] = [];
  #starting = new Map<number, Waiter>();
  #stopped = new Map<number, (stats: ShardStats | null) => void>();
  #backoff: Backoff[] = [];
  #lastRestart: number[] = [];
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
   * Starts the workers; resolves once each listens.
   *
   * @throws {Error} when a shard cannot bind its port
   */
  async start(): Promise<void> {
    const pool = new WorkerPool<ToShard, FromShard>({
      url: new URL("./shard_worker.ts", import.meta.url),
      size: SHARD_COUNT,
      name: "agent-shard",
      onError: (err, index) => this.#onShardError(index, err.message),
    });
    this.#pool = pool;
    const ready = [];
    for (let index = 0; index < SHARD_COUNT; index++) {
      this.#backoff.push(new Backoff({ initialMs: 100, maxMs: 2000 }));
      this.#lastRestart.push(0);
      ready.push(this.#startShard(index, pool.channel(index)));
    }
    try {
      this.#ports = await Promise.all(ready);
    } catch (err) {
      this.#stopping = true;
      pool.terminate();
      throw err;
    }
    for (let index = 0; index < SHARD_COUNT; index++) this.#restore(index);
  }

  /** Sends a message to the shard of `(modid, cmdid)`. */
  send(modid: number, cmdid: number, msg: ToShard): void {
    this.#pool?.channel(shardOf(modid, cmdid)).send(msg);
  }

  /** Makes shard `index` throw inside its worker (see {@linkcode AgentService.failShard}). */
  fail(index: number, reason: string): void {
    this.#pool?.channel(index).send({ type: "fail", reason });
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
      for (let index = 0; index < SHARD_COUNT; index++) {
        if (this.#starting.has(index)) continue;
        pool.channel(index).send({ type: "inspect", id, request });
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

  #startShard(index: number, channel: WorkerChannel<ToShard, FromShard>): Promise<number> {
    const { settings, caller } = this.#options;
    const shardSettings: ShardSettings = {
      index,
      hostname: settings.hostname,
      port: settings.port + index,
      loadBalance: settings.loadBalance,
      caller,
      reportIntervalMs: settings.reportIntervalSeconds * 1000,
      logFormat: logFormat(),
    };
    const ready = new Promise<number>((resolve, reject) => {
      this.#starting.set(index, { resolve, reject });
    });
    channel.onMessage((msg) => {
      switch (msg.type) {
        case "ready":
          return this.#settle(index, (w) => w.resolve(msg.port));
        case "startFailed":
          return this.#settle(index, (w) => w.reject(new Error(msg.error)));
        case "stopped":
          return this.#stopped.get(index)?.(msg.stats);
        case "inspection":
          return this.#inspections.get(msg.id)?.(index, msg.inspection);
        default:
          return this.#options.onMessage(msg);
      }
    });
    channel.send({ type: "start", settings: shardSettings });
    return ready.catch((err) => {
      throw new Error(`shard ${index} cannot start: ${err.message}`);
    });
  }

  #settle(index: number, how: (waiter: Waiter) => void): void {
    const waiter = this.#starting.get(index);
    this.#starting.delete(index);
    if (waiter) how(waiter);
  }

  #restore(index: number): number {
    let count = 0;
    for (const route of this.#options.routesOf(index)) {
      this.#pool!.channel(index).send({ type: "restore", ...route });
      count++;
    }
    return count;
  }

  #onShardError(index: number, message: string): void {
    const { log } = this.#options;
    log.error(`shard ${index} failed: ${message}`);
    if (this.#starting.has(index)) {
      // Failed while (re)starting: start() fails, or the restart in progress retries.
      this.#settle(index, (w) => w.reject(new Error(message)));
      return;
    }
    if (this.#stopping) return;
    this.#restart(index);
  }

  #restart(index: number, attempt = 1): void {
    if (this.#stopping) return;
    const pool = this.#pool!;
    // A shard that ran for a minute since its last restart starts over without delay.
    const now = Date.now();
    if (now - this.#lastRestart[index] > 60_000) this.#backoff[index].reset();
    this.#lastRestart[index] = now;
    const backoff = this.#backoff[index];
    const first = backoff.attempt === 0;
    const wait = backoff.next();
    const delay = first ? 0 : wait;
    setTimeout(async () => {
      if (this.#stopping) return;
      const channel = pool.restart(index);
      try {
        const port = await this.#startShard(index, channel);
        const restored = this.#restore(index);
        this.#options.onRestart?.(index);
        this.#options.log.warn(
          `shard ${index} restarted on UDP port ${port} with ${restored} routes restored`,
        );
      } catch (err) {
        if (this.#stopping) return;
        this.#options.log.error(
          `shard ${index} restart ${attempt} failed: ${(err as Error).message}; retrying`,
        );
        this.#restart(index, attempt + 1);
      }
    }, delay);
  }
}

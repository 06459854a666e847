/**
 * The report service (`lars_reporter`): accepts ReportStatusRequest frames
 * over TCP and keeps `ServerCallStatus` up to date (docs/schema.md), plus an optional per-minute
 * `ServerCallHistory`.
 *
 * Unlike the original, which wrote one row per statement and fell ever further
 * behind under load, it coalesces what arrives into a bounded queue (newest
 * snapshot per key) and writes multi-row upserts in one transaction per batch,
 * with `writers` writers in parallel, each owning a shard of the keys. The
 * database may be down at start or later: reports are still accepted and
 * queued, and writes are retried with backoff.
 *
 * @module
 */
import { MessageId } from "../proto/ids.ts";
import { type ReportStatusRequest, ReportStatusRequestCodec } from "../proto/messages.ts";
import { ipToInt } from "../proto/ip.ts";
import { addrText } from "../reactor/text.ts";
import { createLogger, type Logger } from "../reactor/log.ts";
import type { ServerLimits } from "../reactor/server_settings.ts";
import { type ServerConnection, TcpServer } from "../reactor/tcp_server.ts";
import type { NetAddress, Transport } from "../reactor/transport.ts";
import type { ReportStore } from "../store/types.ts";
import { createReporterCounters, type ReporterCounters } from "./counters.ts";
import { HistoryTracker } from "./history.ts";
import { DEFAULT_MAX_FUTURE_SKEW_SECONDS, toStatusRows } from "./ingest.ts";
import { ReportWriter, SharedStore } from "./report_writer.ts";
import { statusKey, statusKeyHash, WriteQueue } from "./write_queue.ts";

/** Options of a {@linkcode ReportService}. */
export interface ReportServiceOptions {
  /** Where statistics go; `init()` is called by the service (and retried). */
  store: ReportStore;
  /** Sockets to use. */
  transport: Transport;
  /**
   * Listen address.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /**
   * Listen port (0 picks a free one).
   * @default 7779
   */
  port?: number;
  /**
   * Most agent connections at once.
   * @default 1024
   */
  maxConn?: number;
  /** Per-address limit, frame deadline and allow-list (`[reactor]`); `maxConn` above wins. */
  limits?: Partial<ServerLimits>;
  /**
   * Reports whose `ts` is more than this many seconds ahead of the clock are
   * rejected and counted (`futureReports`).
   * @default 300
   */
  maxFutureSkew?: number;
  /**
   * Store the connection's peer address as `caller` instead of the message's
   * field, so a peer cannot write rows for another host's caller. Peers that
   * are not IPv4 keep the field.
   * @default false
   */
  callerFromPeer?: boolean;
  /**
   * Writers in parallel (`db_thread_cnt`), each owning a shard of the keys;
   * give a MySQL store as many pooled connections. With a synchronous store
   * (SQLite on this isolate) more than 1 gains nothing.
   * @default 3
   */
  writers?: number;
  /**
   * Keep per-minute sums in `ServerCallHistory`; the store must have been
   * opened with `history: true`.
   * @default false
   */
  history?: boolean;
  /**
   * How long rows may wait for more to join their batch, in ms.
   * @default 50
   */
  flushMs?: number;
  /**
   * Most rows per write transaction.
   * @default 1000
   */
  batchRows?: number;
  /**
   * Most distinct keys queued over all writers (and, separately, most history
   * sums); past this the key queued longest ago is dropped and counted.
   * @default 100000
   */
  queueMax?: number;
  /**
   * Longest retry delay in ms while the database is down.
   * @default 5000
   */
  retryMaxMs?: number;
  /** Clock in ms, for `ts = 0` and queue ages. @default Date.now */
  now?: () => number;
  /** Logger. */
  log?: Logger;
}

/** Queue gauges of a {@linkcode ReportService}. */
export interface ReportQueueStats {
  /** Status keys queued (not counting rows being written). */
  queued: number;
  /** History (key, minute) sums queued. */
  historyQueued: number;
  /** Status rows being written right now. */
  inFlight: number;
  /** Age in ms of the oldest queued key: how far writing lags behind. */
  oldestAgeMs: number;
}

/** Options of {@linkcode ReportService.stop}. */
export interface ReportServiceStopOptions {
  /**
   * How long to keep retrying writes of what is queued while the database is
   * down, in ms; what is still queued then is lost (and counted in the result).
   * @default 8000
   */
  flushTimeoutMs?: number;
}

/** The report service; see the module documentation. */
export class ReportService {
  /** Reports, results, rows written, batches, retries and drops. */
  readonly counters: ReporterCounters = createReporterCounters();
  /** The TCP server; its counters hold connection and frame numbers. */
  readonly server: TcpServer;

  readonly #log: Logger;
  readonly #now: () => number;
  readonly #queues: WriteQueue[];
  readonly #writers: ReportWriter[];
  readonly #tracker: HistoryTracker | null;
  readonly #store: SharedStore;
  readonly #maxFutureSkew: number;
  #started = false;
  #initAttempt: Promise<void> = Promise.resolve();

  /**
   * Creates the service; {@linkcode start} listens and starts the writers.
   * @throws {RangeError} for an option outside its range
   */
  constructor(options: ReportServiceOptions) {
    this.#log = options.log ?? createLogger("reporter");
    this.#now = options.now ?? Date.now;
    this.#maxFutureSkew = options.maxFutureSkew ?? DEFAULT_MAX_FUTURE_SKEW_SECONDS;
    const writers = options.writers ?? 3;
    if (!Number.isInteger(writers) || writers < 1 || writers > 256) {
      throw new RangeError(`Cannot create report service: writers must be 1..256, got ${writers}`);
    }
    const queueMax = options.queueMax ?? 100_000;
    if (!Number.isInteger(queueMax) || queueMax < writers) {
      throw new RangeError(
        `Cannot create report service: queueMax must be an integer >= writers, got ${queueMax}`,
      );
    }
    const perShard = Math.ceil(queueMax / writers);
    const store = new SharedStore(options.store, this.#log);
    this.#store = store;
    this.#queues = [];
    this.#writers = [];
    for (let i = 0; i < writers; i++) {
      const queue = new WriteQueue({
        counters: this.counters,
        maxRows: perShard,
        maxHistoryRows: perShard,
        now: this.#now,
      });
      this.#queues.push(queue);
      this.#writers.push(
        new ReportWriter({
          queue,
          store,
          counters: this.counters,
          log: this.#log,
          flushMs: options.flushMs,
          batchRows: options.batchRows,
          retryMaxMs: options.retryMaxMs,
        }),
      );
    }
    this.#tracker = options.history ? new HistoryTracker({ maxKeys: 2 * queueMax }) : null;
    this.server = new TcpServer({
      transport: options.transport,
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 7779,
      ...options.limits,
      maxConn: options.maxConn ?? options.limits?.maxConn,
      name: "reporter",
      log: this.#log,
    });
    const fromPeer = options.callerFromPeer ?? false;
    this.server.router.on(
      MessageId.ReportStatusRequest,
      ReportStatusRequestCodec,
      (request, { conn }) => {
        if (fromPeer) request.caller = _peerCaller(conn) ?? request.caller;
        this.submit(request, addrText(conn.remoteAddr));
      },
    );
  }

  /** The listen address; throws before {@linkcode start}. */
  get addr(): NetAddress {
    return this.server.addr;
  }

  /**
   * Creates the tables when missing (in the background: while the database is
   * down the writers retry it before their first write), starts the writers
   * and listens at once; logs `listening on IP:PORT` once bound. Answers the
   * requested address on `node:net` until bound: `server.bound` has the real
   * one, and rejects when the address cannot be bound (Deno throws here).
   */
  start(): NetAddress {
    if (this.#started) throw new Error("ReportService is already started");
    this.#started = true;
    this.#initAttempt = this.#store.ready().catch((err) => this.#store.failed(err));
    for (const writer of this.#writers) writer.start();
    const addr = this.server.listen();
    // Logged once bound, with the real port (0 asks for any; node:net binds asynchronously).
    this.server.bound.then((bound) =>
      this.#log.info(
        `listening on ${addrText(bound)}, ${this.#writers.length} writer(s)` +
          (this.#tracker ? ", history on" : ""),
      ), () => {}); // a bind failure surfaces through `server.bound` to the caller
    return addr;
  }

  /**
   * Queues the results of one report: what the TCP handler does per frame.
   * `from` names the peer in logs.
   */
  submit(request: ReportStatusRequest, from = "local"): void {
    const counters = this.counters;
    counters.inc("reports");
    counters.inc("results", request.results.length);
    const nowSeconds = Math.floor(this.#now() / 1000);
    const { rows, invalid, clockFixes, future } = toStatusRows(
      request,
      nowSeconds,
      this.#maxFutureSkew,
    );
    if (future) {
      counters.inc("futureReports");
      this.#log.warnThrottled(
        "future",
        `rejecting report of module ${request.modid}/${request.cmdid} from ${from}: ts ` +
          `${request.ts} is ${request.ts - nowSeconds} s ahead of this clock ` +
          `(max_future_skew ${this.#maxFutureSkew} s)`,
      );
      return;
    }
    if (invalid > 0) {
      counters.inc("invalidResults", invalid);
      this.#log.warnThrottled(
        "invalid",
        `dropping ${invalid} results of module ${request.modid}/${request.cmdid} from caller ` +
          `${request.caller}: a port, count or id does not fit its column`,
      );
    }
    if (clockFixes > 0) counters.inc("clockFixes", clockFixes);
    const queues = this.#queues;
    const tracker = this.#tracker;
    for (const row of rows) {
      const key = statusKey(row);
      const queue = queues.length === 1 ? queues[0] : queues[statusKeyHash(row) % queues.length];
      if (tracker !== null) {
        const delta = tracker.observe(row, key);
        if (delta !== null) queue.addHistory(delta);
      }
      queue.putStatus(row, key);
    }
  }

  /**
   * Whether the store was reachable at the last attempt (table creation, a
   * write or a probe), and why not. With `maxAgeMs`, first probes the store
   * when nothing was tried for that long, so an idle service notices a
   * database that went away.
   */
  async storeStatus(maxAgeMs?: number): Promise<{ reachable: boolean; detail: string }> {
    const store = this.#store;
    if (maxAgeMs !== undefined) await store.probe(maxAgeMs);
    if (store.isDown) {
      const seconds = Math.round((Date.now() - store.downSince) / 1000);
      return { reachable: false, detail: `store unreachable for ${seconds} s: ${store.lastError}` };
    }
    if (!store.initialized) return { reachable: false, detail: "store tables not created yet" };
    const ago = Math.round((Date.now() - store.lastAttemptAt) / 1000);
    return { reachable: true, detail: `store reachable ${ago} s ago` };
  }

  /** Queue gauges summed over the writers. */
  queueStats(): ReportQueueStats {
    const stats: ReportQueueStats = { queued: 0, historyQueued: 0, inFlight: 0, oldestAgeMs: 0 };
    this.#queues.forEach((queue, i) => {
      stats.queued += queue.size;
      stats.historyQueued += queue.historySize;
      stats.inFlight += this.#writers[i].inFlight;
      stats.oldestAgeMs = Math.max(stats.oldestAgeMs, queue.oldestAgeMs());
    });
    return stats;
  }

  /**
   * Writes everything queued now, without waiting for the flush window;
   * resolves when it is written (retrying while the database is down).
   */
  async flush(): Promise<void> {
    await Promise.all(this.#writers.map((writer) => writer.flush()));
  }

  /**
   * Stops accepting (closes every connection), writes what is queued and
   * stops the writers. Gives up after `flushTimeoutMs` if the database stays
   * down. Resolves to the number of rows left unwritten (0 normally); it does
   * not close the store.
   */
  async stop(options: ReportServiceStopOptions = {}): Promise<number> {
    if (this.#started) await this.server.close();
    const deadline = Date.now() + (options.flushTimeoutMs ?? 8000);
    await Promise.all(this.#writers.map((writer) => writer.stop(deadline)));
    await this.#initAttempt;
    const stats = this.queueStats();
    const lost = stats.queued + stats.historyQueued;
    if (lost > 0) {
      this.#log.error(
        `stopped with ${stats.queued} status rows and ${stats.historyQueued} history sums ` +
          "unwritten",
      );
    }
    return lost;
  }
}

const PEER_CALLER = Symbol("peerCaller");

/** The connection's peer IPv4 address as a caller value, or null when it is not IPv4. */
function _peerCaller(conn: ServerConnection): number | null {
  let caller = conn.props.get(PEER_CALLER) as number | null | undefined;
  if (caller === undefined) {
    const host = conn.remoteAddr.hostname.replace(/^::ffff:/i, "");
    try {
      caller = ipToInt(host);
    } catch {
      caller = null;
    }
    conn.props.set(PEER_CALLER, caller);
  }
  return caller;
}

/**
 * TCP client speaking Lars frames (the original's `tcp_client`), with what the
 * original lacked: it reconnects forever with exponential backoff and jitter,
 * keeps a bounded queue of frames while disconnected, and (with a heartbeat)
 * notices a peer that went away without closing the connection.
 *
 * @module
 */
import { encodeFrame } from "../proto/frame.ts";
import { FramedConnection } from "./framed_connection.ts";
import { addrText, errorText } from "./text.ts";
import { createLogger, type Logger } from "./log.ts";
import { createNetCounters, type NetCounters } from "./net_counters.ts";
import { MessageRouter } from "./router.ts";
import { Backoff, quietDelay } from "./timers.ts";
import type { NetAddress, TcpConn, Transport } from "./transport.ts";

/** Options of a {@linkcode TcpClient}. */
export interface TcpClientOptions {
  /** Sockets to use. */
  transport: Transport;
  /** Server address. */
  hostname: string;
  /** Server port. */
  port: number;
  /**
   * Name for logs.
   * @default "tcp-client"
   */
  name?: string;
  /** Logger; one named after `name` by default. */
  log?: Logger;
  /**
   * First reconnect delay in ms; doubles per failure up to `maxBackoffMs`.
   * @default 100
   */
  initialBackoffMs?: number;
  /**
   * Longest reconnect delay in ms.
   * @default 5000
   */
  maxBackoffMs?: number;
  /**
   * Give up one connection attempt after this many ms.
   * @default 3000
   */
  connectTimeoutMs?: number;
  /**
   * Frames kept while disconnected; beyond this the oldest are dropped and
   * counted as `sendDrops`.
   * @default 10000
   */
  maxPendingFrames?: number;
  /**
   * Bytes that may wait to be written while connected before the connection is
   * dropped as too slow.
   * @default 8388608
   */
  maxQueuedBytes?: number;
  /** Hook run after every (re)connect, once queued frames are handed to the socket. */
  onConnect?: (client: TcpClient) => void;
  /** Hook run after the connection is lost (not after {@linkcode TcpClient.close}). */
  onDisconnect?: (client: TcpClient) => void;
  /** Random source for backoff jitter, for tests. */
  random?: () => number;
  /**
   * Finds a dead peer on a silent connection (a host that died or a network
   * that dropped without a FIN or RST). Off by default.
   */
  heartbeat?: HeartbeatOptions;
  /**
   * For a server that never answers (so a heartbeat cannot work): a connection
   * on which nothing was sent for this many ms is replaced by a fresh one
   * (counted as `idleRefreshes`), checked every `refreshIdleMs / 2` and before
   * a frame goes out. A peer that died without a FIN is then noticed by the
   * fresh connect failing (within `connectTimeoutMs`), with frames kept
   * pending, instead of frames written into a dead connection. Not applied
   * when `keepAliveMs` is set and the transport sets short keepalive timings.
   * Off by default.
   */
  refreshIdleMs?: number;
  /**
   * TCP keepalive: first probe after this many ms of silence. Where the
   * transport also sets short probe timings (Bun, Node; see
   * {@linkcode TcpConn.setKeepAlive}) the kernel fails a connection to a dead
   * peer within about `keepAliveMs` + 11 s, and `refreshIdleMs` is not needed.
   * Off by default.
   */
  keepAliveMs?: number;
}

/**
 * An application heartbeat: when no frame has arrived for `idleMs` (checked
 * every `idleMs / 2`), `probe` sends a request the server answers; when still nothing has arrived
 * `timeoutMs` later, the connection is closed as dead (counted as
 * `deadPeers`) and the client reconnects. A dead peer is found within
 * `max(idleMs + timeoutMs, idleMs / 2 + 2 * timeoutMs)`.
 */
export interface HeartbeatOptions {
  /** Silence in ms after which the peer is probed. */
  idleMs: number;
  /** Ms a probe may wait for any frame before the connection is declared dead. */
  timeoutMs: number;
  /**
   * Sends one request the server answers; false when there is nothing to ask
   * (the connection is then not probed this time).
   */
  probe: (client: TcpClient) => boolean;
}

/**
 * A reconnecting TCP client for Lars frames.
 *
 * @example
 * ```ts ignore
 * import { TcpClient } from "./tcp_client.ts";
 * import { denoTransport } from "./transport_deno.ts";
 * const client = new TcpClient({ transport: denoTransport, hostname: "127.0.0.1", port: 7778 });
 * client.router.onRaw(2, (body) => console.log("route", body.length));
 * client.start();
 * client.send(1, new Uint8Array([8, 1, 16, 1]));
 * ```
 */
export class TcpClient {
  /** Routes frames from the server; handlers get the client. */
  readonly router: MessageRouter<TcpClient> = new MessageRouter();
  /** Connection, frame and error counters. */
  readonly counters: NetCounters = createNetCounters();

  #options: TcpClientOptions;
  #log: Logger;
  #backoff: Backoff;
  #conn: FramedConnection<TcpClient> | null = null;
  #pending: Uint8Array[] = [];
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #connectedWaiters: (() => void)[] = [];
  #lastSendAt = 0;
  #refreshing = false;
  /** The idle refresh applies to the current connection (keepalive does not cover it). */
  #refreshArmed = false;

  /** Creates the client; {@linkcode start} connects. */
  constructor(options: TcpClientOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger(options.name ?? "tcp-client");
    this.#backoff = new Backoff({
      initialMs: options.initialBackoffMs ?? 100,
      maxMs: options.maxBackoffMs ?? 5000,
      random: options.random,
    });
    this.router.onAsyncError((msgid, err) => {
      this.counters.inc("handlerErrors");
      this.#log.error(`handler for msgid ${msgid} failed: ${err.stack ?? err}`);
    });
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.#conn !== null && !this.#conn.isClosed;
  }

  /** The server address. */
  get server(): NetAddress {
    return { hostname: this.#options.hostname, port: this.#options.port };
  }

  /** Frames waiting for a connection. */
  get pendingFrames(): number {
    return this.#pending.length;
  }

  /** Starts connecting; reconnects until {@linkcode close}. */
  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  /** Resolves once connected (immediately when connected now). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.#connectedWaiters.push(resolve));
  }

  /**
   * Sends a frame now, or queues it until connected. Returns false when the
   * frame replaced an older pending one because the pending queue was full,
   * or the client is closed.
   */
  send(msgid: number, body: Uint8Array): boolean {
    return this.sendFrame(encodeFrame(msgid, body));
  }

  /** Sends an already encoded frame; see {@linkcode send}. */
  sendFrame(frame: Uint8Array): boolean {
    if (this.#stop.signal.aborted) {
      this.counters.inc("sendDrops");
      return false;
    }
    const conn = this.#conn;
    if (conn && !conn.isClosed) {
      const now = Date.now();
      if (!this.#replaceIfIdle(conn, now) && conn.sendFrame(frame)) {
        this.#lastSendAt = now;
        return true;
      }
    }
    this.#pending.push(frame);
    if (this.#pending.length > (this.#options.maxPendingFrames ?? 10_000)) {
      this.#pending.shift();
      this.counters.inc("sendDrops");
      return false;
    }
    return true;
  }

  /** Resolves when frames handed to the open connection are written. */
  drain(): Promise<void> {
    return this.#conn?.drain() ?? Promise.resolve();
  }

  /** Stops reconnecting and closes; with `graceful`, queued frames are written first. */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#stop.abort();
    const conn = this.#conn;
    if (conn) {
      if (options.graceful) await conn.end();
      conn.close();
    }
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const socket = await this.#connectOnce();
      if (signal.aborted) {
        socket?.close();
        return;
      }
      if (!socket) {
        await quietDelay(this.#backoff.next(), this.#stop.signal);
        continue;
      }
      const since = Date.now();
      await this.#serve(socket);
      if (signal.aborted) return;
      this.#runHook("onDisconnect");
      // A connection that lasted a while proves the server healthy again.
      if (Date.now() - since > 1000) this.#backoff.reset();
      if (this.#refreshing) continue; // replaced on purpose: reconnect at once
      await quietDelay(this.#backoff.next(), this.#stop.signal);
    }
  }

  async #connectOnce(): Promise<TcpConn | null> {
    const addr = this.server;
    const timeoutMs = this.#options.connectTimeoutMs ?? 3000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = this.#options.transport.connectTcp(addr);
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      });
      return await Promise.race([attempt, timeout]);
    } catch (err) {
      attempt.then((late) => late.close(), () => {});
      this.counters.inc("connectFailures");
      this.#log.warnThrottled(
        "connect",
        `cannot connect to ${addrText(addr)}: ${errorText(err)}; retrying with backoff`,
      );
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async #serve(socket: TcpConn): Promise<void> {
    try {
      socket.setNoDelay(true);
    } catch {
      // Harmless when unsupported.
    }
    let keepAlive = false;
    if (this.#options.keepAliveMs !== undefined) {
      try {
        keepAlive = socket.setKeepAlive(this.#options.keepAliveMs);
      } catch {
        // Not supported: the idle refresh, when configured, finds dead peers.
      }
    }
    const conn = new FramedConnection<TcpClient>({
      conn: socket,
      router: this.router,
      ctx: () => this,
      counters: this.counters,
      log: this.#log,
      maxQueuedBytes: this.#options.maxQueuedBytes,
    });
    this.#conn = conn;
    this.counters.inc("connects");
    const refreshed = this.#refreshing;
    this.#refreshing = false;
    this.#lastSendAt = Date.now();
    if (refreshed) {
      this.#log.debug(`connected to ${addrText(this.server)} (replaced an idle connection)`);
    } else this.#log.info(`connected to ${addrText(this.server)}`);
    conn.start();
    const pending = this.#pending;
    this.#pending = [];
    for (const frame of pending) conn.sendFrame(frame);
    this.#runHook("onConnect");
    for (const wake of this.#connectedWaiters.splice(0)) wake();
    const stopWatch = this.#watch(conn);
    const stopRefresh = keepAlive ? () => {} : this.#refreshWhenIdle(conn);
    await conn.closed;
    stopWatch();
    stopRefresh();
    this.#conn = null;
    if (!this.#stop.signal.aborted && !this.#refreshing) {
      this.#log.warn(`lost connection to ${addrText(this.server)}; reconnecting`);
    }
  }

  /**
   * Closes `conn` to replace it when nothing was sent on it for `refreshIdleMs`
   * (unless keepalive covers it); answers whether it did.
   */
  #replaceIfIdle(conn: FramedConnection<TcpClient>, now: number): boolean {
    const refreshIdleMs = this.#options.refreshIdleMs;
    if (refreshIdleMs === undefined || !this.#refreshArmed) return false;
    if (now - this.#lastSendAt <= refreshIdleMs) return false;
    this.#refreshing = true;
    this.counters.inc("idleRefreshes");
    this.#log.debug(`idle for ${now - this.#lastSendAt} ms; replacing the connection`);
    conn.close();
    return true;
  }

  /** Checks `conn` every `refreshIdleMs / 2` (see {@linkcode #replaceIfIdle}); answers a stop function. */
  #refreshWhenIdle(conn: FramedConnection<TcpClient>): () => void {
    const refreshIdleMs = this.#options.refreshIdleMs;
    if (refreshIdleMs === undefined) return () => {};
    this.#refreshArmed = true;
    const timer = setInterval(() => this.#replaceIfIdle(conn, Date.now()), refreshIdleMs / 2);
    return () => {
      clearInterval(timer);
      this.#refreshArmed = false;
    };
  }

  /** Runs the heartbeat on `conn`, if configured; answers a function that stops it. */
  #watch(conn: FramedConnection<TcpClient>): () => void {
    const heartbeat = this.#options.heartbeat;
    if (!heartbeat) return () => {};
    const { idleMs, timeoutMs } = heartbeat;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let seen = this.counters.get("framesIn");
    let probedAt = 0;
    const schedule = (ms: number) => timer = setTimeout(tick, ms);
    const tick = () => {
      const framesIn = this.counters.get("framesIn");
      if (framesIn !== seen) {
        seen = framesIn;
        probedAt = 0;
        return schedule(idleMs / 2);
      }
      if (probedAt === 0) {
        let sent = false;
        try {
          sent = heartbeat.probe(this);
        } catch (err) {
          this.counters.inc("handlerErrors");
          this.#log.error(`heartbeat probe failed: ${errorText(err)}`);
        }
        if (!sent) return schedule(idleMs / 2);
        probedAt = Date.now();
        return schedule(timeoutMs);
      }
      this.counters.inc("deadPeers");
      this.#log.warn(
        `no frame from ${addrText(this.server)} for ${
          Date.now() - probedAt
        } ms after a heartbeat ` +
          `probe (silent for over ${idleMs} ms before it); closing the connection as dead`,
      );
      conn.close();
    };
    schedule(idleMs);
    return () => clearTimeout(timer);
  }

  #runHook(name: "onConnect" | "onDisconnect"): void {
    try {
      this.#options[name]?.(this);
    } catch (err) {
      this.counters.inc("handlerErrors");
      this.#log.error(`${name} hook failed: ${errorText(err)}`);
    }
  }
}

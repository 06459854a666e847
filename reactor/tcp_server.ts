/**
 * TCP server speaking Lars frames (the original's `tcp_server`): routes frames
 * by msgid, limits connections (in all and per peer address), closes peers
 * outside an allow-list and connections that leave a frame unfinished past a
 * deadline, runs hooks on connection start and close. A connection that has
 * finished its frames may stay idle for ever (agents sit idle between pulls).
 *
 * @module
 */
import { type Cidr, isAllowed } from "./cidr.ts";
import { DropLog } from "./drop_log.ts";
import { unrefTimer } from "./timers.ts";
import { FramedConnection } from "./framed_connection.ts";
import { addrText, errorText } from "./text.ts";
import { createLogger, type Logger } from "./log.ts";
import { createNetCounters, type NetCounters } from "./net_counters.ts";
import { MessageRouter } from "./router.ts";
import type { NetAddress, TcpListener, Transport } from "./transport.ts";

/** A connection accepted by a {@linkcode TcpServer}; handlers get it as context. */
export type ServerConnection = FramedConnection<ServerConnectionRef>;

/** Handler context: the connection the frame arrived on. */
export interface ServerConnectionRef {
  /** The connection; reply with `conn.send(msgid, body)`. */
  conn: ServerConnection;
}

/** Options of a {@linkcode TcpServer}. */
export interface TcpServerOptions {
  /** Sockets to use. */
  transport: Transport;
  /**
   * Address to listen on.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /** Port to listen on; 0 picks a free one (see {@linkcode TcpServer.addr}). */
  port: number;
  /**
   * Most connections open at once. When they are all open, a new one takes
   * the place of the oldest that has sent no complete frame for longer than
   * `frameTimeoutMs` (closed and counted as `silentEvicted`), so silent
   * connections cannot keep agents out; with none such, the new one is
   * closed at accept and counted (`connectionsRejected`).
   * @default 1024
   */
  maxConn?: number;
  /**
   * Most connections open at once from one peer address; more are closed at
   * accept and counted (`connectionsOverIpLimit`), so one host cannot fill
   * `maxConn`. 0 turns the limit off.
   * @default 128
   */
  maxConnPerIp?: number;
  /**
   * Longest time in ms a peer may take to finish a frame it has started
   * (header or body partly sent); past it the connection is closed and
   * counted (`frameTimeouts`). Idle connections between frames are never
   * closed. 0 turns the deadline off.
   * @default 10000
   */
  frameTimeoutMs?: number;
  /**
   * Peers allowed to connect; others are closed at accept and counted
   * (`connectionsDenied`). Empty allows everyone.
   * @default []
   */
  allow?: readonly Cidr[];
  /**
   * Bytes that may wait to be written to one connection before it is closed
   * as too slow.
   * @default 8388608
   */
  maxQueuedBytes?: number;
  /**
   * Name for logs.
   * @default "tcp-server"
   */
  name?: string;
  /** Logger; one named after `name` by default. */
  log?: Logger;
  /**
   * Share the port with other servers that set it too (one per isolate, the
   * kernel spreads connections): how `[reactor] threadNum` runs several
   * event loops on one port.
   * @default false
   */
  reusePort?: boolean;
  /** Hook run once when a connection starts, before its first frame. */
  onConnect?: (conn: ServerConnection) => void;
  /** Hook run once when a connection has closed. */
  onClose?: (conn: ServerConnection) => void;
}

/**
 * A TCP server for Lars frames.
 *
 * @example
 * ```ts ignore
 * import { TcpServer } from "./tcp_server.ts";
 * import { denoTransport } from "./transport_deno.ts";
 * const server = new TcpServer({ transport: denoTransport, port: 7778 });
 * server.router.onRaw(1, (body, { conn }) => conn.send(1, body)); // echo
 * server.listen();
 * ```
 */
export class TcpServer {
  /** Routes incoming frames to handlers. */
  readonly router: MessageRouter<ServerConnectionRef> = new MessageRouter();
  /** Connection, frame and error counters. */
  readonly counters: NetCounters = createNetCounters();

  #options: TcpServerOptions;
  #log: Logger;
  #listener: TcpListener | null = null;
  #connections = new Set<ServerConnection>();
  #acceptLoop: Promise<void> | null = null;
  #closing = false;
  #perIp = new Map<string, number>();
  #unknownLog: DropLog;
  #sweep: ReturnType<typeof setInterval> | null = null;

  /** Creates the server; {@linkcode listen} starts it. */
  constructor(options: TcpServerOptions) {
    const maxConn = options.maxConn ?? 1024;
    if (!Number.isInteger(maxConn) || maxConn < 1) {
      throw new RangeError(`maxConn must be a positive integer, got ${maxConn}`);
    }
    const maxConnPerIp = options.maxConnPerIp ?? 128;
    if (!Number.isInteger(maxConnPerIp) || maxConnPerIp < 0) {
      throw new RangeError(`maxConnPerIp must be an integer >= 0, got ${maxConnPerIp}`);
    }
    const frameTimeoutMs = options.frameTimeoutMs ?? 10_000;
    if (!Number.isFinite(frameTimeoutMs) || frameTimeoutMs < 0) {
      throw new RangeError(`frameTimeoutMs must be >= 0, got ${frameTimeoutMs}`);
    }
    this.#options = { ...options, maxConn, maxConnPerIp, frameTimeoutMs };
    this.#log = options.log ?? createLogger(options.name ?? "tcp-server");
    this.#unknownLog = new DropLog({ log: this.#log, what: "frames with unknown msgids" });
    this.router.onAsyncError((msgid, err) => {
      this.counters.inc("handlerErrors");
      this.#log.error(`handler for msgid ${msgid} failed: ${err.stack ?? err}`);
    });
  }

  /** The bound address; throws before {@linkcode listen}. */
  get addr(): NetAddress {
    if (!this.#listener) throw new Error("TcpServer is not listening");
    return this.#listener.addr;
  }

  /** Open connections. */
  get connections(): ReadonlySet<ServerConnection> {
    return this.#connections;
  }

  /**
   * Resolves to the bound address once listening; rejects when the address
   * cannot be bound (with transports that bind asynchronously, the error
   * shows only here and in failing accepts). Throws before {@linkcode listen}.
   */
  get bound(): Promise<NetAddress> {
    if (!this.#listener) throw new Error("TcpServer is not listening");
    return this.#listener.bound ?? Promise.resolve(this.#listener.addr);
  }

  /** The bounded log of frames with unknown msgids, shared by the connections. */
  get unknownMsgidLog(): DropLog {
    return this.#unknownLog;
  }

  /** Binds and starts accepting. Throws when the address cannot be bound. */
  listen(): NetAddress {
    if (this.#listener) throw new Error("TcpServer is already listening");
    this.#listener = this.#options.transport.listenTcp({
      hostname: this.#options.hostname ?? "127.0.0.1",
      port: this.#options.port,
    }, { reusePort: this.#options.reusePort });
    this.#acceptLoop = this.#accept(this.#listener);
    const timeout = this.#options.frameTimeoutMs!;
    if (timeout > 0) {
      // Checks often enough that a frame is closed at most ~1.25 x the deadline after it began.
      this.#sweep = setInterval(() => this.#closeStalled(timeout), Math.max(10, timeout / 4));
      unrefTimer(this.#sweep);
    }
    return this.#listener.addr;
  }

  /**
   * Stops accepting and closes every connection. With `graceful`, what is
   * queued for each connection is written first.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closing = true;
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
    this.#listener?.close();
    await this.#acceptLoop;
    const conns = [...this.#connections];
    if (options.graceful) await Promise.all(conns.map((c) => c.end()));
    for (const conn of conns) conn.close();
    await Promise.all(conns.map((c) => c.closed));
    this.#unknownLog.close();
  }

  /** Closes connections whose unfinished frame began more than `timeoutMs` ago. */
  #closeStalled(timeoutMs: number): void {
    const now = performance.now();
    for (const conn of this.#connections) {
      const since = conn.partialFrameSince;
      if (since === 0 || now - since < timeoutMs) continue;
      this.counters.inc("frameTimeouts");
      this.#log.warnThrottled(
        "frame-timeout",
        `closing connection #${conn.id} from ${addrText(conn.remoteAddr)}: a frame started ` +
          `${Math.round(now - since)} ms ago is unfinished (deadline ${timeoutMs} ms)`,
      );
      conn.close();
    }
  }

  /**
   * Closes the oldest connection that has not completed a frame within the
   * frame deadline, to make room; false when there is none.
   */
  #evictSilent(): boolean {
    const timeout = this.#options.frameTimeoutMs!;
    if (timeout <= 0) return false;
    const now = performance.now();
    for (const conn of this.#connections) {
      if (conn.framesReceived > 0 || conn.isClosed || now - conn.openedAt < timeout) continue;
      this.counters.inc("silentEvicted");
      this.#log.warnThrottled(
        "evict",
        `maxConn ${this.#options.maxConn} reached: closing connection #${conn.id} from ` +
          `${addrText(conn.remoteAddr)}, silent for ${Math.round(now - conn.openedAt)} ms`,
      );
      conn.close();
      this.#connections.delete(conn); // its slot is free now; the close hook still runs
      return true;
    }
    return false;
  }

  /** Why `socket` must be refused at accept, or null to accept it (counting it). */
  #refusal(peer: NetAddress): string | null {
    const o = this.#options;
    if (o.allow && o.allow.length > 0 && !isAllowed(o.allow, peer.hostname)) {
      this.counters.inc("connectionsDenied");
      return "not in the allow-list";
    }
    const fromPeer = this.#perIp.get(peer.hostname) ?? 0;
    if (o.maxConnPerIp! > 0 && fromPeer >= o.maxConnPerIp!) {
      this.counters.inc("connectionsOverIpLimit");
      return `${fromPeer} connections from ${peer.hostname} reach the per-address limit ` +
        `${o.maxConnPerIp}`;
    }
    // Last: making room evicts a silent connection, only worth it for a peer admitted otherwise.
    if (this.#connections.size >= o.maxConn! && !this.#evictSilent()) {
      this.counters.inc("connectionsRejected");
      return `${this.#connections.size} connections reach maxConn ${o.maxConn}`;
    }
    return null;
  }

  async #accept(listener: TcpListener): Promise<void> {
    while (!this.#closing) {
      let socket;
      try {
        socket = await listener.accept();
      } catch (err) {
        if (this.#closing) return;
        this.#log.warnThrottled("accept", `accept failed: ${errorText(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const peer = socket.remoteAddr;
      const refusal = this.#refusal(peer);
      if (refusal !== null) {
        this.#log.warnThrottled("refused", `refusing ${addrText(peer)}: ${refusal}`);
        socket.close();
        continue;
      }
      this.#perIp.set(peer.hostname, (this.#perIp.get(peer.hostname) ?? 0) + 1);
      this.counters.inc("connectionsAccepted");
      try {
        socket.setNoDelay(true);
      } catch {
        // Not every socket supports it; harmless.
      }
      const conn: ServerConnection = new FramedConnection<ServerConnectionRef>({
        conn: socket,
        router: this.router,
        ctx: () => ref,
        counters: this.counters,
        log: this.#log,
        maxQueuedBytes: this.#options.maxQueuedBytes,
        unknownLog: this.#unknownLog,
      });
      const ref: ServerConnectionRef = { conn };
      this.#connections.add(conn);
      this.#runHook("onConnect", conn);
      conn.closed.then(() => {
        this.#connections.delete(conn);
        const left = (this.#perIp.get(peer.hostname) ?? 1) - 1;
        if (left > 0) this.#perIp.set(peer.hostname, left);
        else this.#perIp.delete(peer.hostname);
        this.#runHook("onClose", conn);
      });
      conn.start();
    }
  }

  #runHook(name: "onConnect" | "onClose", conn: ServerConnection): void {
    try {
      this.#options[name]?.(conn);
    } catch (err) {
      this.counters.inc("handlerErrors");
      this.#log.error(`${name} hook failed: ${errorText(err)}`);
    }
  }
}

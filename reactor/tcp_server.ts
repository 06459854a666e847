/**
 * TCP server speaking Lars frames (the original's `tcp_server`): routes frames
 * by msgid, limits connections, runs hooks on connection start and close.
 *
 * @module
 */
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
   * Most connections open at once; more are closed at accept and counted.
   * @default 1024
   */
  maxConn?: number;
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

  /** Creates the server; {@linkcode listen} starts it. */
  constructor(options: TcpServerOptions) {
    const maxConn = options.maxConn ?? 1024;
    if (!Number.isInteger(maxConn) || maxConn < 1) {
      throw new RangeError(`maxConn must be a positive integer, got ${maxConn}`);
    }
    this.#options = { ...options, maxConn };
    this.#log = options.log ?? createLogger(options.name ?? "tcp-server");
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

  /** Binds and starts accepting. Throws when the address cannot be bound. */
  listen(): NetAddress {
    if (this.#listener) throw new Error("TcpServer is already listening");
    this.#listener = this.#options.transport.listenTcp({
      hostname: this.#options.hostname ?? "127.0.0.1",
      port: this.#options.port,
    }, { reusePort: this.#options.reusePort });
    this.#acceptLoop = this.#accept(this.#listener);
    return this.#listener.addr;
  }

  /**
   * Stops accepting and closes every connection. With `graceful`, what is
   * queued for each connection is written first.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closing = true;
    this.#listener?.close();
    await this.#acceptLoop;
    const conns = [...this.#connections];
    if (options.graceful) await Promise.all(conns.map((c) => c.end()));
    for (const conn of conns) conn.close();
    await Promise.all(conns.map((c) => c.closed));
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
      if (this.#connections.size >= this.#options.maxConn!) {
        this.counters.inc("connectionsRejected");
        this.#log.warnThrottled(
          "maxconn",
          `rejecting ${addrText(socket.remoteAddr)}: ${this.#connections.size} connections ` +
            `reach maxConn ${this.#options.maxConn}`,
        );
        socket.close();
        continue;
      }
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
      });
      const ref: ServerConnectionRef = { conn };
      this.#connections.add(conn);
      this.#runHook("onConnect", conn);
      conn.closed.then(() => {
        this.#connections.delete(conn);
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

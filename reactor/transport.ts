/**
 * The transport seam: the only interface through which the reactor touches the
 * network. `transport_deno.ts` implements it over `Deno.listen`,
 * `Deno.connect`, `Deno.listenDatagram` and `Deno.serve`; `transport_node.ts`
 * over `node:net`, `node:dgram` and `node:http` for Bun and Node. Nothing outside
 * `reactor/transport_*.ts` may call runtime networking APIs (checked by
 * `tools/check_seam.sh` in `deno task check`).
 *
 * @module
 */

/** A host and port. */
export interface NetAddress {
  /** IP address or name. */
  hostname: string;
  /** Port number; 0 asks the OS for a free one when listening. */
  port: number;
}

/** One TCP connection. */
export interface TcpConn {
  /** Our end. */
  readonly localAddr: NetAddress;
  /** The peer. */
  readonly remoteAddr: NetAddress;
  /** Reads into `buf`; resolves to the byte count, or `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `data`. */
  writeAll(data: Uint8Array): Promise<void>;
  /** Turns Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay: boolean): void;
  /**
   * Turns TCP keepalive on, asking for the first probe after `idleMs` of
   * silence. Answers true only when the runtime also sets short probe timings
   * (Bun and Node: probes 1 s apart, 10 of them, so the kernel fails a
   * connection to a dead peer within `idleMs` + about 11 s). False when only
   * `SO_KEEPALIVE` (Deno's `TcpConn`: the OS timings, 2 h idle on Linux) or the
   * idle time alone (Deno's `node:net`: probes 75 s apart) could be set: the
   * caller must find dead peers another way.
   */
  setKeepAlive(idleMs: number): boolean;
  /** Closes the connection; safe to call twice. */
  close(): void;
}

/** A listening TCP socket. */
export interface TcpListener {
  /** The bound address (with the real port when 0 was asked). */
  readonly addr: NetAddress;
  /**
   * For transports that listen asynchronously (`node:net`): resolves to the
   * bound address, rejects when listening fails (a port in use). Absent when
   * `listenTcp` itself throws such errors.
   */
  readonly bound?: Promise<NetAddress>;
  /** Waits for the next connection; rejects once the listener is closed. */
  accept(): Promise<TcpConn>;
  /** Stops listening; safe to call twice. */
  close(): void;
}

/** A datagram received by a {@linkcode UdpSocket}. */
export interface Datagram {
  /** The bytes, a view of the buffer passed to `receive` (valid until the next call). */
  data: Uint8Array;
  /** The sender. */
  from: NetAddress;
}

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound address. */
  readonly addr: NetAddress;
  /** Waits for one datagram, written into `buf`; rejects once the socket is closed. */
  receive(buf: Uint8Array): Promise<Datagram>;
  /** Sends one datagram. */
  send(data: Uint8Array, to: NetAddress): Promise<void>;
  /** Closes the socket; safe to call twice. */
  close(): void;
}

/** Options of {@linkcode Transport.listenTcp}. */
export interface ListenOptions {
  /**
   * Share the port with other listeners that also set it.
   * @default false
   */
  reusePort?: boolean;
}

/** Who sent an HTTP request. */
export interface HttpRequestInfo {
  /** The peer's address. */
  remoteAddr: NetAddress;
}

/** Answers one HTTP request (web-standard `Request` and `Response`). */
export type HttpHandler = (
  request: Request,
  info: HttpRequestInfo,
) => Response | Promise<Response>;

/** A listening HTTP server; see {@linkcode Transport.serveHttp}. */
export interface HttpServer {
  /** The bound address (with the real port when 0 was asked). */
  readonly addr: NetAddress;
  /** Stops listening and closes idle connections; resolves once closed. Safe to call twice. */
  close(): Promise<void>;
}

/** Factory of sockets for one runtime. */
export interface Transport {
  /** Short name for logs, e.g. `deno` or `node`. */
  readonly name: string;
  /**
   * Starts listening for TCP connections. With `reusePort`, several
   * listeners (in several isolates or processes) share the port and the
   * kernel spreads connections over them (Linux SO_REUSEPORT; the Deno
   * transport needs `--unstable-net`).
   */
  listenTcp(addr: NetAddress, options?: ListenOptions): TcpListener;
  /** Opens a TCP connection. */
  connectTcp(addr: NetAddress): Promise<TcpConn>;
  /** Binds a UDP socket. */
  bindUdp(addr: NetAddress): UdpSocket;
  /**
   * Serves HTTP/1.1 on `addr` with `handler`. Resolves once listening;
   * rejects when the address cannot be bound. A handler that throws answers
   * 500 without a body.
   */
  serveHttp(addr: NetAddress, handler: HttpHandler): Promise<HttpServer>;
}

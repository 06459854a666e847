/**
 * {@linkcode Transport} over `node:dgram` and `node:net` (and `node:http` in
 * `transport_node_http.ts`), for Bun and Node
 * (and Deno, which implements both modules; Deno's own UDP API needs
 * `--unstable-net`, these do not).
 *
 * Binding differs from the Deno transport in one way: `node:net` always
 * listens asynchronously, and Bun's `node:dgram` binds asynchronously. Until
 * the socket is bound, `addr` is the requested address (port 0 stays 0) and
 * a bind error rejects `accept`/`receive`/`send` instead of being thrown;
 * `bound` resolves to the real address. On Node and Deno a UDP socket is
 * bound before `bindUdp` returns, and a UDP bind error is thrown from it.
 *
 * @module
 */
import dgram from "node:dgram";
import dns from "node:dns";
import net from "node:net";
import { serveNodeHttp } from "./transport_node_http.ts";
import type {
  Datagram,
  NetAddress,
  TcpConn,
  TcpListener,
  Transport,
  UdpSocket,
} from "./transport.ts";

/** An operation on a socket that was closed, or that a close interrupted. */
export class SocketClosedError extends Error {
  /** Creates the error with a sentence-case message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SocketClosedError";
  }
}

/** Options of {@linkcode createNodeTransport}. */
export interface NodeTransportOptions {
  /**
   * Datagrams a UDP socket keeps while nobody waits in `receive`; more are
   * dropped and counted in `droppedDatagrams`.
   * @default 4096
   */
  maxQueuedDatagrams?: number;
  /**
   * Bytes a TCP connection buffers ahead of `read`; past this the socket is
   * paused, so a slow reader pushes back on the peer.
   * @default 65536
   */
  readHighWaterMark?: number;
  /**
   * Accepted connections a listener keeps while nobody waits in `accept`;
   * more are closed at once and counted in `droppedConnections`.
   * @default 1024
   */
  maxQueuedConnections?: number;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

type UdpLookup = NonNullable<dgram.SocketOptions["lookup"]>;

/** Resolves IP literals synchronously, so that Node and Deno bind before `bind()` returns. */
const udpLookup: UdpLookup = (hostname, options, callback) => {
  const family = net.isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
};

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function rejectAll<T>(waiters: Waiter<T>[], error: Error): void {
  for (const waiter of waiters.splice(0)) waiter.reject(error);
}

/** A UDP socket over `node:dgram`. */
export class NodeUdpSocket implements UdpSocket {
  /** Resolves to the bound address; rejects when binding fails. */
  readonly bound: Promise<NetAddress>;
  #socket: dgram.Socket;
  #requested: NetAddress;
  #addr: NetAddress | null = null;
  #queue: { data: Uint8Array; from: NetAddress }[] = [];
  #waiters: (Waiter<Datagram> & { buf: Uint8Array })[] = [];
  #maxQueued: number;
  #dropped = 0;
  #failure: Error | null = null;
  #closed = false;

  /**
   * Binds a socket to `requested`.
   *
   * @throws {Error} on Node and Deno, when the address cannot be bound
   */
  constructor(requested: NetAddress, maxQueued: number) {
    this.#requested = requested;
    this.#maxQueued = maxQueued;
    const type = net.isIPv6(requested.hostname) ? "udp6" : "udp4";
    const socket = dgram.createSocket({ type, lookup: udpLookup });
    this.#socket = socket;
    let settle!: Waiter<NetAddress>;
    this.bound = new Promise((resolve, reject) => settle = { resolve, reject });
    this.bound.catch(() => {}); // a bind failure is reported through receive/send too
    socket.on("message", (data, info) => {
      this.#deliver(data, { hostname: info.address, port: info.port });
    });
    socket.on("error", (err) => this.#onError(err, settle));
    socket.once("listening", () => {
      const { address, port } = socket.address();
      this.#addr = { hostname: address, port };
      settle.resolve(this.#addr);
    });
    socket.bind({ port: requested.port, address: requested.hostname });
    if (this.#failure) {
      this.close();
      throw this.#failure;
    }
  }

  /** The bound address; the requested one until binding has finished (Bun). */
  get addr(): NetAddress {
    return this.#addr ?? this.#requested;
  }

  /** Datagrams dropped because the receive queue was full. */
  get droppedDatagrams(): number {
    return this.#dropped;
  }

  receive(buf: Uint8Array): Promise<Datagram> {
    if (this.#closed) return Promise.reject(new SocketClosedError("Cannot receive: socket closed"));
    if (this.#failure) return Promise.reject(this.#failure);
    const next = this.#queue.shift();
    if (next) return Promise.resolve(copyDatagram(buf, next.data, next.from));
    return new Promise((resolve, reject) => this.#waiters.push({ buf, resolve, reject }));
  }

  async send(data: Uint8Array, to: NetAddress): Promise<void> {
    if (this.#closed) throw new SocketClosedError("Cannot send: socket closed");
    if (this.#addr === null) await this.bound;
    await new Promise<void>((resolve, reject) => {
      this.#socket.send(data, to.port, to.hostname, (err) => err ? reject(err) : resolve());
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    rejectAll(this.#waiters, new SocketClosedError("Receive interrupted: socket closed"));
    try {
      this.#socket.close();
    } catch {
      // Never bound: nothing to release.
    }
  }

  #deliver(data: Uint8Array, from: NetAddress): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(copyDatagram(waiter.buf, data, from));
    else if (this.#queue.length < this.#maxQueued) this.#queue.push({ data, from });
    else this.#dropped++;
  }

  #onError(err: Error, settle: Waiter<NetAddress>): void {
    if (this.#addr === null) {
      // Binding failed: every operation reports it from now on.
      this.#failure = err;
      settle.reject(err);
      rejectAll(this.#waiters, err);
      return;
    }
    // A transient error (e.g. ICMP unreachable): the current receiver sees it, as on Deno.
    this.#waiters.shift()?.reject(err);
  }
}

function copyDatagram(buf: Uint8Array, data: Uint8Array, from: NetAddress): Datagram {
  const length = Math.min(buf.length, data.length);
  buf.set(length === data.length ? data : data.subarray(0, length));
  return { data: buf.subarray(0, length), from };
}

/** A TCP connection over a `node:net` socket, read with `read(buf)` like a Deno conn. */
export class NodeTcpConn implements TcpConn {
  readonly localAddr: NetAddress;
  readonly remoteAddr: NetAddress;
  #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #bufferedBytes = 0;
  #highWaterMark: number;
  #paused = false;
  #readers: (Waiter<number | null> & { buf: Uint8Array })[] = [];
  #ended = false;
  #error: Error | null = null;
  #closed = false;

  /** Wraps a connected socket; starts buffering what it receives. */
  constructor(socket: net.Socket, highWaterMark: number) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
    this.localAddr = { hostname: socket.localAddress ?? "", port: socket.localPort ?? 0 };
    this.remoteAddr = { hostname: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#bufferedBytes += chunk.length;
      if (this.#bufferedBytes >= this.#highWaterMark && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#serveReaders();
    });
    const onEnd = (err?: Error | boolean) => {
      if (err instanceof Error) this.#error ??= err;
      else this.#ended = true;
      this.#serveReaders();
    };
    socket.on("end", onEnd).on("close", onEnd).on("error", onEnd);
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) {
      return Promise.reject(new SocketClosedError("Cannot read: connection closed"));
    }
    return new Promise((resolve, reject) => {
      this.#readers.push({ buf, resolve, reject });
      this.#serveReaders();
    });
  }

  async writeAll(data: Uint8Array): Promise<void> {
    if (this.#closed) throw new SocketClosedError("Cannot write: connection closed");
    if (this.#error) throw this.#error;
    if (data.length === 0) return;
    // The callback runs once the bytes are handed to the OS (or the write failed), so a
    // caller that awaits each write never lets the user-space buffer grow.
    await new Promise<void>((resolve, reject) => {
      this.#socket.write(data, (err) => err ? reject(toError(err)) : resolve());
    });
  }

  setNoDelay(noDelay: boolean): void {
    this.#socket.setNoDelay(noDelay);
  }

  setKeepAlive(idleMs: number): boolean {
    this.#socket.setKeepAlive(true, Math.max(1000, idleMs));
    // libuv (Node) and Bun also set TCP_KEEPINTVL = 1 s and TCP_KEEPCNT = 10; Deno's node:net
    // sets only TCP_KEEPIDLE, leaving probes 75 s apart (Linux default).
    return !("Deno" in globalThis);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#bufferedBytes = 0;
    rejectAll(this.#readers, new SocketClosedError("Read interrupted: connection closed"));
    this.#socket.destroy();
  }

  #serveReaders(): void {
    while (this.#readers.length > 0) {
      if (this.#bufferedBytes > 0) {
        const reader = this.#readers.shift()!;
        reader.resolve(this.#take(reader.buf));
      } else if (this.#error) {
        this.#readers.shift()!.reject(this.#error);
      } else if (this.#ended) {
        this.#readers.shift()!.resolve(null);
      } else {
        return;
      }
    }
  }

  /** Moves buffered bytes into `buf`; resumes the socket once the buffer has drained. */
  #take(buf: Uint8Array): number {
    let n = 0;
    while (n < buf.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(chunk.length, buf.length - n);
      buf.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#bufferedBytes -= n;
    if (this.#paused && this.#bufferedBytes < this.#highWaterMark) {
      this.#paused = false;
      this.#socket.resume();
    }
    return n;
  }
}

/** A TCP listener over a `node:net` server. */
export class NodeTcpListener implements TcpListener {
  /** Resolves to the bound address once listening; rejects when listening fails. */
  readonly bound: Promise<NetAddress>;
  #server: net.Server;
  #requested: NetAddress;
  #addr: NetAddress | null = null;
  #queue: NodeTcpConn[] = [];
  #waiters: Waiter<TcpConn>[] = [];
  #failure: Error | null = null;
  #closed = false;
  #dropped = 0;

  /** Starts listening on `requested`; see the module doc for when errors surface. */
  constructor(requested: NetAddress, options: Required<NodeTransportOptions>) {
    this.#requested = requested;
    let settle!: Waiter<NetAddress>;
    this.bound = new Promise((resolve, reject) => settle = { resolve, reject });
    this.bound.catch(() => {}); // reported through accept too
    const server = net.createServer((socket) => {
      const conn = new NodeTcpConn(socket, options.readHighWaterMark);
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(conn);
      else if (this.#queue.length < options.maxQueuedConnections) this.#queue.push(conn);
      else {
        this.#dropped++;
        conn.close();
      }
    });
    this.#server = server;
    server.once("listening", () => {
      const bound = server.address();
      this.#addr = typeof bound === "object" && bound !== null
        ? { hostname: bound.address, port: bound.port }
        : requested;
      settle.resolve(this.#addr);
    });
    server.on("error", (err) => {
      if (this.#addr !== null) return void this.#waiters.shift()?.reject(err); // e.g. EMFILE
      this.#failure ??= err;
      settle.reject(err);
      rejectAll(this.#waiters, err);
    });
    server.listen({ host: requested.hostname, port: requested.port });
  }

  /** The bound address; the requested one until listening has started. */
  get addr(): NetAddress {
    return this.#addr ?? this.#requested;
  }

  /** Connections closed at accept because the accept queue was full. */
  get droppedConnections(): number {
    return this.#dropped;
  }

  accept(): Promise<TcpConn> {
    if (this.#closed) {
      return Promise.reject(new SocketClosedError("Cannot accept: listener closed"));
    }
    if (this.#failure) return Promise.reject(this.#failure);
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    rejectAll(this.#waiters, new SocketClosedError("Accept interrupted: listener closed"));
    for (const conn of this.#queue.splice(0)) conn.close();
    this.#server.close();
  }
}

function connect(addr: NetAddress, highWaterMark: number): Promise<TcpConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: addr.hostname, port: addr.port });
    const onError = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(new NodeTcpConn(socket, highWaterMark));
    });
  });
}

/**
 * Creates a transport over `node:dgram` and `node:net`.
 *
 * @example
 * ```ts
 * import { createNodeTransport } from "./transport_node.ts";
 * const transport = createNodeTransport({ maxQueuedDatagrams: 100 });
 * console.log(transport.name); // "node"
 * ```
 */
export function createNodeTransport(options: NodeTransportOptions = {}): Transport {
  const settings: Required<NodeTransportOptions> = {
    maxQueuedDatagrams: options.maxQueuedDatagrams ?? 4096,
    readHighWaterMark: options.readHighWaterMark ?? 65536,
    maxQueuedConnections: options.maxQueuedConnections ?? 1024,
  };
  for (const [key, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Invalid ${key}: ${value} is not a positive integer`);
    }
  }
  return {
    name: "node",
    listenTcp: (addr, options) => {
      if (options?.reusePort) {
        throw new TypeError("Cannot listen with reusePort: the node transport does not support it");
      }
      return new NodeTcpListener(addr, settings);
    },
    connectTcp: (addr) => connect(addr, settings.readHighWaterMark),
    bindUdp: (addr) => new NodeUdpSocket(addr, settings.maxQueuedDatagrams),
    serveHttp: serveNodeHttp,
  };
}

/** The `node:dgram`/`node:net` transport with default options. */
export const nodeTransport: Transport = createNodeTransport();

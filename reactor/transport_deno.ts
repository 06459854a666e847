/**
 * {@linkcode Transport} over Deno's networking APIs (`Deno.serve` for HTTP). UDP needs
 * `--unstable-net` (or `"unstable": ["net"]` in deno.json).
 *
 * @module
 */
import type {
  Datagram,
  HttpHandler,
  HttpServer,
  NetAddress,
  TcpConn,
  TcpListener,
  Transport,
  UdpSocket,
} from "./transport.ts";

function toAddress(addr: Deno.Addr): NetAddress {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return { hostname: addr.hostname, port: addr.port };
  }
  return { hostname: String(addr.transport), port: 0 };
}

/** Closes a Deno resource; one that is already gone (BadResource) is fine. */
function closeResource(resource: { close(): void }): void {
  try {
    resource.close();
  } catch (err) {
    if (!(err instanceof Deno.errors.BadResource)) throw err;
  }
}

class DenoTcpConn implements TcpConn {
  readonly localAddr: NetAddress;
  readonly remoteAddr: NetAddress;
  #conn: Deno.TcpConn;
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.localAddr = toAddress(conn.localAddr);
    this.remoteAddr = toAddress(conn.remoteAddr);
  }

  read(buf: Uint8Array): Promise<number | null> {
    return this.#conn.read(buf);
  }

  async writeAll(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      off += await this.#conn.write(off === 0 ? data : data.subarray(off));
    }
  }

  setNoDelay(noDelay: boolean): void {
    this.#conn.setNoDelay(noDelay);
  }

  setKeepAlive(_idleMs: number): boolean {
    // Deno.TcpConn.setKeepAlive takes no timings: SO_KEEPALIVE with the OS's (2 h on Linux).
    this.#conn.setKeepAlive(true);
    return false;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeResource(this.#conn);
  }
}

class DenoTcpListener implements TcpListener {
  readonly addr: NetAddress;
  #listener: Deno.TcpListener;
  #closed = false;

  constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.addr = toAddress(listener.addr);
  }

  async accept(): Promise<TcpConn> {
    return new DenoTcpConn(await this.#listener.accept());
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeResource(this.#listener);
  }
}

class DenoUdpSocket implements UdpSocket {
  readonly addr: NetAddress;
  #conn: Deno.DatagramConn;
  #closed = false;

  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    this.addr = toAddress(conn.addr);
  }

  async receive(buf: Uint8Array): Promise<Datagram> {
    const [data, from] = await this.#conn.receive(buf);
    return { data, from: toAddress(from) };
  }

  async send(data: Uint8Array, to: NetAddress): Promise<void> {
    await this.#conn.send(data, { transport: "udp", hostname: to.hostname, port: to.port });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeResource(this.#conn);
  }
}

class DenoHttpServer implements HttpServer {
  readonly addr: NetAddress;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #closing: Promise<void> | null = null;

  constructor(addr: NetAddress, handler: HttpHandler) {
    this.#server = Deno.serve({
      hostname: addr.hostname,
      port: addr.port,
      onListen: () => {},
      onError: () => new Response(null, { status: 500 }),
    }, (request, info) => handler(request, { remoteAddr: toAddress(info.remoteAddr) }));
    this.addr = toAddress(this.#server.addr);
  }

  close(): Promise<void> {
    this.#closing ??= this.#server.shutdown();
    return this.#closing;
  }
}

/** The Deno transport. */
export const denoTransport: Transport = {
  name: "deno",
  listenTcp(addr, options) {
    return new DenoTcpListener(
      Deno.listen({
        hostname: addr.hostname,
        port: addr.port,
        transport: "tcp",
        ...(options?.reusePort ? { reusePort: true } : {}),
      }),
    );
  },
  async connectTcp(addr) {
    return new DenoTcpConn(
      await Deno.connect({ hostname: addr.hostname, port: addr.port, transport: "tcp" }),
    );
  },
  bindUdp(addr) {
    return new DenoUdpSocket(
      Deno.listenDatagram({ hostname: addr.hostname, port: addr.port, transport: "udp" }),
    );
  },
  serveHttp(addr, handler) {
    try {
      return Promise.resolve(new DenoHttpServer(addr, handler));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};

/**
 * A {@linkcode Transport} wrapper whose TCP connections can be made half-open
 * on demand, as when the peer's host dies or the network drops without a FIN
 * or RST: after {@linkcode HalfOpenTransport.stall}, every connection opened so
 * far stops forwarding in both directions but stays open (writes succeed,
 * reads never return). Connections opened afterwards are normal: the second
 * path a reconnecting client takes.
 *
 * @module
 */
import type { NetAddress, TcpConn, Transport } from "../../reactor/transport.ts";

class StallableConn implements TcpConn {
  stalled = false;
  #closed = false;
  #wakeClosed: () => void = () => {};
  #closedSignal = new Promise<void>((r) => this.#wakeClosed = r);

  constructor(readonly inner: TcpConn) {}

  get localAddr(): NetAddress {
    return this.inner.localAddr;
  }

  get remoteAddr(): NetAddress {
    return this.inner.remoteAddr;
  }

  async read(buf: Uint8Array): Promise<number | null> {
    while (true) {
      if (this.stalled) {
        // The peer is gone without a word: nothing ever arrives until we close.
        await this.#closedSignal;
        return null;
      }
      const n = await this.inner.read(buf);
      if (!this.stalled) return n;
      if (n === null) return this.#closedSignal.then(() => null);
      // Bytes that arrived after the stall are lost on the way.
    }
  }

  async writeAll(data: Uint8Array): Promise<void> {
    if (!this.stalled) await this.inner.writeAll(data);
  }

  setNoDelay(noDelay: boolean): void {
    this.inner.setNoDelay(noDelay);
  }

  setKeepAlive(idleMs: number): boolean {
    // Keepalive probes would go through the real socket, which still answers: never effective.
    this.inner.setKeepAlive(idleMs);
    return false;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.inner.close();
    this.#wakeClosed();
  }
}

/** Wraps `inner`; see the module doc. */
export class HalfOpenTransport implements Transport {
  readonly name: string;
  /** Connections opened so far. */
  readonly connections: StallableConn[] = [];

  constructor(readonly inner: Transport) {
    this.name = `half-open(${inner.name})`;
  }

  listenTcp: Transport["listenTcp"] = (addr, options) => this.inner.listenTcp(addr, options);

  bindUdp: Transport["bindUdp"] = (addr) => this.inner.bindUdp(addr);

  serveHttp: Transport["serveHttp"] = (addr, handler) => this.inner.serveHttp(addr, handler);

  async connectTcp(addr: NetAddress): Promise<TcpConn> {
    const conn = new StallableConn(await this.inner.connectTcp(addr));
    this.connections.push(conn);
    return conn;
  }

  /** Makes every connection opened so far half-open (see the module doc). */
  stall(): void {
    for (const conn of this.connections) conn.stalled = true;
  }
}

/**
 * Helpers for network tests: raw sockets and headers for sending bad bytes, a
 * small route server, and waiting.
 *
 * @module
 */
import { encodeFrame, FrameDecoder } from "../../proto/frame.ts";
import { GetRouteRequestCodec, GetRouteResponseCodec } from "../../proto/messages.ts";
import { TcpServer, type TcpServerOptions } from "../../reactor/tcp_server.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";

/** Waits until `check()` is true, polling every 5 ms; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw TCP connection that collects the frames it receives. */
export class RawFrameConn {
  readonly frames: { msgid: number; body: Uint8Array }[] = [];
  closedByPeer = false;
  #conn: Deno.TcpConn;
  #done: Promise<void>;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#done = this.#read();
  }

  /** Connects to `port` on loopback. */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<RawFrameConn> {
    return new RawFrameConn(await Deno.connect({ hostname, port }));
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** Writes one frame. */
  send(msgid: number, body: Uint8Array): Promise<void> {
    return this.write(encodeFrame(msgid, body));
  }

  /** Closes and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#done;
  }

  /** Resolves when the peer has closed the connection. */
  async waitClosed(): Promise<void> {
    await this.#done;
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(65536);
    const decoder = new FrameDecoder();
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        decoder.push(buf.subarray(0, n), (msgid, body) => {
          this.frames.push({ msgid, body: body.slice() });
        });
      }
      this.closedByPeer = true;
    } catch {
      this.closedByPeer = true;
    }
  }
}

/** An 8-byte frame header with any `msgid` and `msglen`, valid or not (little-endian int32s). */
export function rawHeader(msgid: number, msglen: number): Uint8Array {
  const h = new Uint8Array(8);
  new DataView(h.buffer).setInt32(0, msgid, true);
  new DataView(h.buffer).setInt32(4, msglen, true);
  return h;
}

/**
 * A listening TCP server on a free loopback port that answers each
 * GetRouteRequest (msgid 1) with a GetRouteResponse (msgid 2) holding one host.
 */
export function routeServer(options: Partial<TcpServerOptions> = {}): TcpServer {
  const server = new TcpServer({ transport: denoTransport, port: 0, name: "test", ...options });
  server.router.on(1, GetRouteRequestCodec, (req, { conn }) => {
    conn.send(2, GetRouteResponseCodec.encode({ ...req, host: [{ ip: 1, port: 2 }] }));
  });
  server.listen();
  return server;
}

/**
 * UDP server and client speaking Lars frames (the original's `udp_server` and
 * `udp_client`): exactly one frame per datagram, routed by msgid; malformed
 * datagrams are dropped and counted, never thrown.
 *
 * @module
 */
import { decodeDatagram, encodeFrame, FrameError } from "../proto/frame.ts";
import { DropLog } from "./drop_log.ts";
import { addrText, errorText } from "./text.ts";
import { createLogger, type Logger } from "./log.ts";
import { createNetCounters, type NetCounters } from "./net_counters.ts";
import { MessageRouter } from "./router.ts";
import type { NetAddress, Transport, UdpSocket } from "./transport.ts";

/** Handler context for a datagram: who sent it and how to answer. */
export interface UdpPeer {
  /** The sender. */
  readonly from: NetAddress;
  /** Sends one frame back to the sender. */
  reply(msgid: number, body: Uint8Array): void;
}

/** Options of a {@linkcode UdpEndpoint}. */
export interface UdpEndpointOptions {
  /** Sockets to use. */
  transport: Transport;
  /**
   * Address to bind.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /**
   * Port to bind; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Name for logs.
   * @default "udp"
   */
  name?: string;
  /** Logger; one named after `name` by default. */
  log?: Logger;
}

class Peer implements UdpPeer {
  constructor(readonly from: NetAddress, private endpoint: UdpEndpoint) {}
  reply(msgid: number, body: Uint8Array): void {
    this.endpoint.send(msgid, body, this.from);
  }
}

/**
 * A bound UDP socket with a frame router: a UDP server when bound to a known
 * port, a UDP client when bound to port 0 and sending to a server.
 *
 * @example
 * ```ts ignore
 * import { UdpEndpoint } from "./udp_endpoint.ts";
 * import { denoTransport } from "./transport_deno.ts";
 * const server = new UdpEndpoint({ transport: denoTransport, port: 8888 });
 * server.router.onRaw(4, (body, peer) => peer.reply(5, body));
 * server.start();
 * ```
 */
export class UdpEndpoint {
  /** Routes datagrams to handlers; handlers get the sender as {@linkcode UdpPeer}. */
  readonly router: MessageRouter<UdpPeer> = new MessageRouter();
  /** Frame and error counters (`badFrames` counts dropped datagrams). */
  readonly counters: NetCounters = createNetCounters();

  #options: UdpEndpointOptions;
  #log: Logger;
  #socket: UdpSocket | null = null;
  #loop: Promise<void> | null = null;
  #closing = false;
  #unknownLog: DropLog | null = null;
  #sendsInFlight = 0;
  #wakeFlushed: () => void = () => {};

  /** Creates the endpoint; {@linkcode start} binds it. */
  constructor(options: UdpEndpointOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger(options.name ?? "udp");
    this.router.onAsyncError((msgid, err) => {
      this.counters.inc("handlerErrors");
      this.#log.error(`handler for msgid ${msgid} failed: ${err.stack ?? err}`);
    });
  }

  /** The bound address; throws before {@linkcode start}. */
  get addr(): NetAddress {
    if (!this.#socket) throw new Error("UdpEndpoint is not bound");
    return this.#socket.addr;
  }

  /** Binds the socket and starts receiving. Throws when the address cannot be bound. */
  start(): NetAddress {
    if (this.#socket) throw new Error("UdpEndpoint is already bound");
    this.#socket = this.#options.transport.bindUdp({
      hostname: this.#options.hostname ?? "127.0.0.1",
      port: this.#options.port ?? 0,
    });
    this.#loop = this.#receiveLoop(this.#socket);
    return this.#socket.addr;
  }

  /** Sends one frame to `to`; failures are counted and logged, not thrown. */
  send(msgid: number, body: Uint8Array, to: NetAddress): void {
    this.sendFrame(encodeFrame(msgid, body), to);
  }

  /** Sends an encoded frame to `to`. */
  sendFrame(frame: Uint8Array, to: NetAddress): void {
    const socket = this.#socket;
    if (!socket || this.#closing) {
      this.counters.inc("sendDrops");
      return;
    }
    this.counters.inc("framesOut");
    this.counters.inc("bytesOut", frame.length);
    this.#sendsInFlight++;
    socket.send(frame, to).catch((err) => {
      this.counters.inc("sendErrors");
      this.#log.warnThrottled("send", `cannot send to ${addrText(to)}: ${errorText(err)}`);
    }).finally(() => {
      if (--this.#sendsInFlight === 0) this.#wakeFlushed();
    });
  }

  /**
   * Closes the socket and waits for the receive loop to end. Datagrams already
   * handed to {@linkcode send} go out first (waiting at most `flushTimeoutMs`),
   * so a fire-and-forget report right before close is not lost.
   */
  async close(flushTimeoutMs = 1000): Promise<void> {
    this.#closing = true;
    if (this.#sendsInFlight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.#wakeFlushed = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, flushTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.#socket?.close();
    this.#unknownLog?.close();
    await this.#loop;
  }

  async #receiveLoop(socket: UdpSocket): Promise<void> {
    const buf = new Uint8Array(65536);
    while (!this.#closing) {
      let datagram;
      try {
        datagram = await socket.receive(buf);
      } catch (err) {
        if (this.#closing) return;
        // ICMP errors from earlier sends surface here on some systems; keep going.
        this.#log.warnThrottled("receive", `receive failed: ${errorText(err)}`);
        continue;
      }
      this.#handle(datagram.data, datagram.from);
    }
  }

  #handle(data: Uint8Array, from: NetAddress): void {
    this.counters.inc("bytesIn", data.length);
    let frame;
    try {
      frame = decodeDatagram(data);
    } catch (err) {
      this.#drop(from, err instanceof FrameError ? err.message : errorText(err));
      return;
    }
    this.counters.inc("framesIn");
    const result = this.router.dispatch(frame.msgid, frame.body, new Peer(from, this));
    switch (result.kind) {
      case "handled":
        return;
      case "unknown":
        this.counters.inc("unknownMsgid");
        this.#unknownLog ??= new DropLog({ log: this.#log, what: "datagrams with unknown msgids" });
        this.#unknownLog.add(addrText(from), `msgid ${frame.msgid}`);
        return;
      case "malformed":
        this.#drop(from, `msgid ${frame.msgid}: ${result.error.message}`);
        return;
      case "failed":
        this.counters.inc("handlerErrors");
        this.#log.error(
          `handler for msgid ${frame.msgid} failed: ${result.error.stack ?? result.error}`,
        );
        return;
    }
  }

  #drop(from: NetAddress, why: string): void {
    this.counters.inc("badFrames");
    this.#log.warnThrottled("bad-datagram", `dropping datagram from ${addrText(from)}: ${why}`);
  }
}

/** A UDP server: a {@linkcode UdpEndpoint} bound to a known port that answers its peers. */
export class UdpServer extends UdpEndpoint {
  /** Creates the server; `port` is required (0 still picks a free one, for tests). */
  constructor(options: UdpEndpointOptions & { port: number }) {
    super({ name: "udp-server", ...options });
  }
}

/** A UDP client: a {@linkcode UdpEndpoint} on an ephemeral port that talks to servers. */
export class UdpClient extends UdpEndpoint {
  /** Creates the client bound to `hostname` (default loopback) and a free port. */
  constructor(options: Omit<UdpEndpointOptions, "port">) {
    super({ name: "udp-client", ...options, port: 0 });
  }
}

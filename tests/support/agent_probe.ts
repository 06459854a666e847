/**
 * A minimal UDP caller of the agent for tests that check the agent itself
 * (the client module has its own tests): send a request, wait for the reply
 * with the same seq or module.
 *
 * @module
 */
import {
  GetHostRequestCodec,
  type GetHostResponse,
  GetHostResponseCodec,
  GetRouteRequestCodec,
  GetRouteResponseCodec,
  type HostInfo,
  MessageId,
  ReportRequestCodec,
  shardOf,
} from "../../proto/mod.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { UdpClient } from "../../reactor/udp_endpoint.ts";

/** Talks to an agent whose first UDP port is `basePort`. */
export class AgentProbe {
  #udp = new UdpClient({ transport: denoTransport, name: "agent-probe" });
  #seq = 0;
  #hostWaiters = new Map<number, (r: GetHostResponse) => void>();
  #routeWaiters = new Map<string, (hosts: HostInfo[]) => void>();

  constructor(readonly basePort: number) {
    this.#udp.router.on(MessageId.GetHostResponse, GetHostResponseCodec, (r) => {
      this.#hostWaiters.get(r.seq)?.(r);
    });
    this.#udp.router.on(MessageId.ApiGetRouteResponse, GetRouteResponseCodec, (r) => {
      this.#routeWaiters.get(`${r.modid},${r.cmdid}`)?.(r.host);
    });
    this.#udp.start();
  }

  #to(modid: number, cmdid: number) {
    return { hostname: "127.0.0.1", port: this.basePort + shardOf(modid, cmdid) };
  }

  /** GetHost; rejects after `timeoutMs` without an answer. */
  getHost(modid: number, cmdid: number, timeoutMs = 2000): Promise<GetHostResponse> {
    const seq = ++this.#seq;
    return this.#wait(this.#hostWaiters, seq, timeoutMs, () =>
      this.#udp.send(
        MessageId.GetHostRequest,
        GetHostRequestCodec.encode({ seq, modid, cmdid }),
        this.#to(modid, cmdid),
      ));
  }

  /** API_GetRoute; rejects after `timeoutMs` without an answer. */
  getRoute(modid: number, cmdid: number, timeoutMs = 2000): Promise<HostInfo[]> {
    return this.#wait(this.#routeWaiters, `${modid},${cmdid}`, timeoutMs, () =>
      this.#udp.send(
        MessageId.ApiGetRouteRequest,
        GetRouteRequestCodec.encode({ modid, cmdid }),
        this.#to(modid, cmdid),
      ));
  }

  /** Report (no reply). */
  report(modid: number, cmdid: number, host: HostInfo, retcode: number): void {
    this.#udp.send(
      MessageId.ReportRequest,
      ReportRequestCodec.encode({ modid, cmdid, host, retcode }),
      this.#to(modid, cmdid),
    );
  }

  /** Sends raw bytes to one of the agent's ports. */
  sendRaw(bytes: Uint8Array, port: number): void {
    this.#udp.sendFrame(bytes, { hostname: "127.0.0.1", port });
  }

  close(): Promise<void> {
    return this.#udp.close();
  }

  #wait<K, T>(
    waiters: Map<K, (v: T) => void>,
    key: K,
    timeoutMs: number,
    send: () => void,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(key);
        reject(new Error(`agent did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.set(key, (v) => {
        clearTimeout(timer);
        waiters.delete(key);
        resolve(v);
      });
      send();
    });
  }
}

/** Three consecutive free UDP ports on loopback; answers the first. */
export function freeUdpPortTriple(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const held: Deno.DatagramConn[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        held.push(Deno.listenDatagram({ hostname: "127.0.0.1", port: base + i, transport: "udp" }));
      }
      return base;
    } catch {
      // taken: try another
    } finally {
      for (const h of held) h.close();
    }
  }
  throw new Error("no three consecutive free UDP ports found");
}

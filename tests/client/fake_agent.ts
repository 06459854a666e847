/**
 * A scripted stand-in for the Lars agent: three real UDP servers on
 * consecutive ports that answer GetHost and API_GetRoute as a test tells
 * them, and record every request and report with the shard it arrived on.
 *
 * @module
 */
import { MessageId, RetCode } from "../../proto/ids.ts";
import {
  type GetHostRequest,
  GetHostRequestCodec,
  type GetHostResponse,
  GetHostResponseCodec,
  GetRouteRequestCodec,
  GetRouteResponseCodec,
  type HostInfo,
  type ReportRequest,
  ReportRequestCodec,
} from "../../proto/messages.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { type UdpPeer, UdpServer } from "../../reactor/udp_endpoint.ts";

/** How the fake answers GetHost. */
export type HostMode =
  /** One correct reply. */
  | "answer"
  /** No reply at all. */
  | "silent"
  /** A reply for the previous seq and one for an unknown seq, then the correct reply. */
  | "stale-first"
  /** A reply with the right seq but another module, then the correct reply. */
  | "mismatch-first";

/** A request as the fake saw it, with the shard (0..2) that received it. */
export type Seen<T> = T & { shard: number };

/** The answer to a GetHost request: everything but the echoed seq and ids. */
export type HostAnswer = Pick<GetHostResponse, "retcode" | "host">;

/**
 * The default GetHost answer: host `10.x.y.z` where `x.y.z` is `modid` (below 2^24) and port
 * `1000 + cmdid`, so each caller can tell its own answer.
 */
export function hostFor(req: { modid: number; cmdid: number }): HostAnswer {
  return { retcode: RetCode.SUCC, host: { ip: 0x0A00_0000 + req.modid, port: 1000 + req.cmdid } };
}

/** The scripted agent. */
export class FakeAgent {
  /** First of the three ports. */
  readonly basePort: number;
  /** GetHost requests, in arrival order. */
  readonly hostRequests: Seen<GetHostRequest>[] = [];
  /** Reports, in arrival order. */
  readonly reports: Seen<ReportRequest>[] = [];
  /** API_GetRoute requests, in arrival order. */
  readonly routeRequests: Seen<{ modid: number; cmdid: number }>[] = [];
  /** Every datagram of the three kinds above, by kind, in arrival order over all shards. */
  readonly arrivals: ("host" | "report" | "route")[] = [];
  /** How GetHost is answered. */
  hostMode: HostMode = "answer";
  /** The GetHost answer for a request. */
  answerHost: (req: GetHostRequest) => HostAnswer = hostFor;
  /** When above 0, GetHost requests are held until this many arrived, then answered newest first. */
  batchSize = 0;
  /** Whether API_GetRoute is answered. */
  routeSilent = false;
  /** The route for a request; `count` is 1 for the first request of that module. */
  route: (modid: number, cmdid: number, count: number) => HostInfo[] = () => [];

  #servers: UdpServer[];
  #held: { req: GetHostRequest; peer: UdpPeer }[] = [];
  #routeCounts = new Map<string, number>();

  private constructor(servers: UdpServer[]) {
    this.#servers = servers;
    this.basePort = servers[0].addr.port;
    servers.forEach((server, shard) => this.#wire(server, shard));
  }

  /** Binds three consecutive free UDP ports on loopback, trying until it finds some. */
  static async start(): Promise<FakeAgent> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const servers: UdpServer[] = [];
      const make = (port: number) => {
        const server = new UdpServer({ transport: denoTransport, port, name: "fake-agent" });
        server.start();
        servers.push(server);
      };
      try {
        make(0);
        const base = servers[0].addr.port;
        if (base > 65533) throw new RangeError("no room for two more ports");
        make(base + 1);
        make(base + 2);
        return new FakeAgent(servers);
      } catch {
        await Promise.all(servers.map((server) => server.close()));
      }
    }
    throw new Error("Cannot find three consecutive free UDP ports");
  }

  /** Closes the three servers. */
  async close(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server.close()));
  }

  #wire(server: UdpServer, shard: number): void {
    server.router.on(MessageId.GetHostRequest, GetHostRequestCodec, (req, peer) => {
      this.hostRequests.push({ ...req, shard });
      this.arrivals.push("host");
      if (this.batchSize > 0) {
        this.#held.push({ req, peer });
        if (this.#held.length < this.batchSize) return;
        const held = this.#held.splice(0).reverse();
        for (const h of held) this.#answerHost(h.req, h.peer);
        return;
      }
      this.#answerHost(req, peer);
    });
    server.router.on(MessageId.ReportRequest, ReportRequestCodec, (report) => {
      this.reports.push({ ...report, shard });
      this.arrivals.push("report");
    });
    server.router.on(MessageId.ApiGetRouteRequest, GetRouteRequestCodec, (req, peer) => {
      this.routeRequests.push({ ...req, shard });
      this.arrivals.push("route");
      if (this.routeSilent) return;
      const key = `${req.modid}:${req.cmdid}`;
      const count = (this.#routeCounts.get(key) ?? 0) + 1;
      this.#routeCounts.set(key, count);
      const host = this.route(req.modid, req.cmdid, count);
      peer.reply(MessageId.ApiGetRouteResponse, GetRouteResponseCodec.encode({ ...req, host }));
    });
  }

  #answerHost(req: GetHostRequest, peer: UdpPeer): void {
    const reply = (res: GetHostResponse) => {
      peer.reply(MessageId.GetHostResponse, GetHostResponseCodec.encode(res));
    };
    const answer = { ...req, ...this.answerHost(req) };
    const decoy = { retcode: RetCode.SUCC, host: { ip: 0x06060606, port: 6666 } };
    switch (this.hostMode) {
      case "silent":
        return;
      case "answer":
        return reply(answer);
      case "stale-first":
        reply({ ...req, seq: (req.seq - 1) >>> 0, ...decoy });
        reply({ ...req, seq: (req.seq + 100_000) >>> 0, ...decoy });
        break;
      case "mismatch-first":
        reply({ ...req, modid: req.modid + 1, ...decoy });
        break;
    }
    // Deno sends the datagrams of one tick in reverse order: answer in a later tick.
    setTimeout(() => reply(answer), 10);
  }
}

/**
 * The application-facing Lars API (the original's `lars_client`): ask the
 * local agent for a host of a module, report how the call went, read a
 * module's whole route, and pre-load a route at start-up. Runs on Deno, Bun
 * and Node; this file imports no runtime: `LarsClient` of `deno.ts` and of
 * `node.ts` add the runtime's sockets as the default transport.
 *
 * @module
 */
import { encodeFrame } from "../proto/frame.ts";
import { MessageId, RetCode } from "../proto/ids.ts";
import { intToIp } from "../proto/ip.ts";
import {
  GetHostRequestCodec,
  type GetHostResponse,
  GetHostResponseCodec,
  GetRouteRequestCodec,
  type GetRouteResponse,
  GetRouteResponseCodec,
  ReportRequestCodec,
} from "../proto/messages.ts";
import { shardOf } from "../proto/shard.ts";
import { Counters } from "../reactor/counters.ts";
import type { NetAddress, Transport } from "../reactor/transport.ts";
import { UdpClient } from "../reactor/udp_endpoint.ts";
import { LarsClosedError, LarsTimeoutError } from "./errors.ts";
import {
  checkInt32,
  checkModule,
  checkPort,
  type LarsClientOptions,
  parseClientOptions,
  type ParsedClientOptions,
  toUnsignedIp,
} from "./options.ts";

/** A host of a module, with its IPv4 address as dotted-quad text. */
export interface HostAddress {
  /** IPv4 address, e.g. `"10.0.0.7"`. */
  ip: string;
  /** Port. */
  port: number;
}

/**
 * What {@linkcode LarsClientBase.getHost} answers: a host with `RET_SUCC`, or one
 * of the other return codes with no host. `RET_SYSTEM_ERROR` also means the
 * agent did not answer within `timeoutMs`, or the client was closed.
 */
export type GetHostResult =
  | ({ retcode: typeof RetCode.SUCC } & HostAddress)
  | { retcode: Exclude<RetCode, typeof RetCode.SUCC>; ip?: undefined; port?: undefined };

/** Names of the counters a {@linkcode LarsClientBase} keeps. */
export const LARS_CLIENT_COUNTER_NAMES = [
  "getHostRequests",
  "getHostTimeouts",
  "getRouteRequests",
  "getRouteTimeouts",
  "reports",
  "staleReplies",
  "mismatchedReplies",
  "invalidReplies",
] as const;

/** One of {@linkcode LARS_CLIENT_COUNTER_NAMES}. */
export type LarsClientCounterName = typeof LARS_CLIENT_COUNTER_NAMES[number];

/** Tries of {@linkcode LarsClientBase.regInit}, as in the original. */
export const REG_INIT_TRIES = 3;
/** Pause between tries of {@linkcode LarsClientBase.regInit}, in milliseconds. */
export const REG_INIT_INTERVAL_MS = 50;

/**
 * Agent port that serves `(modid, cmdid)`: `basePort + (modid + cmdid) mod 3`.
 * The sum is exact (no 32-bit wrap-around) and the remainder is taken
 * non-negative, so negative ids map to a shard too, the same one our agent
 * uses ({@linkcode shardOf}). For ids whose sum is non-negative and fits an `int32` this equals the
 * original C++ `(modid + cmdid) % 3`.
 *
 * @example
 * ```ts
 * import { shardPort } from "./lars_client.ts";
 * console.log(shardPort(1, 1)); // 8890
 * console.log(shardPort(-1, 0)); // 8890
 * ```
 */
export function shardPort(modid: number, cmdid: number, basePort = 8888): number {
  return basePort + shardOf(modid, cmdid);
}

interface PendingHost {
  modid: number;
  cmdid: number;
  timer: ReturnType<typeof setTimeout>;
  resolve(result: GetHostResult): void;
}

interface QueuedReport {
  frame: Uint8Array;
  to: NetAddress;
}

interface PendingRoute {
  timer: ReturnType<typeof setTimeout>;
  resolve(hosts: HostAddress[]): void;
  reject(error: Error): void;
}

function systemError(): GetHostResult {
  return { retcode: RetCode.SYSTEM_ERROR };
}

/**
 * A client of the local Lars agent over UDP, on the sockets of
 * `options.transport`; applications use the `LarsClient` of their runtime's
 * entry (`mod.ts` on Deno, `node.ts` on Bun and Node), which defaults them.
 * One client serves any number of concurrent calls; it binds one UDP socket until {@linkcode close} (an open
 * socket keeps Node and Bun processes alive: close the client when done).
 *
 * Addresses are dotted-quad strings in results; {@linkcode report} takes that
 * string or the integer form (unsigned, or the signed wire `int32`).
 *
 * @example Call a module and report the outcome
 * ```ts ignore
 * import { LarsClient, RetCode } from "../mod.ts";
 * const client = new LarsClient(); // agent on 127.0.0.1:8888..8890
 * const r = await client.getHost(1, 1);
 * if (r.retcode === RetCode.SUCC) {
 *   const ok = await callMyService(r.ip, r.port);
 *   client.report(1, 1, r.ip, r.port, ok ? 0 : 1);
 * }
 * await client.close();
 * ```
 *
 * @example With no agent, calls end after `timeoutMs`
 * ```ts
 * import { LarsClient, RetCode } from "../mod.ts";
 * await using client = new LarsClient({ port: 1, timeoutMs: 20 });
 * const r = await client.getHost(1, 2);
 * console.log(r.retcode === RetCode.SYSTEM_ERROR); // true
 * ```
 * @tags allow-net
 */
export class LarsClientBase {
  /** Requests, timeouts and skipped replies, for monitoring and tests. */
  readonly counters: Counters<LarsClientCounterName> = new Counters(LARS_CLIENT_COUNTER_NAMES);

  #options: ParsedClientOptions;
  #endpoint: UdpClient;
  #agents: readonly NetAddress[];
  #seq = Math.floor(Math.random() * 0x1_0000_0000);
  #hostCalls = new Map<number, PendingHost>();
  #routeCalls = new Map<string, PendingRoute[]>();
  #reports: QueuedReport[] = [];
  #reportsFlushQueued = false;
  #closed: Promise<void> | null = null;

  /**
   * Binds the client's UDP socket.
   *
   * @throws {TypeError | RangeError} on invalid options
   */
  constructor(options: LarsClientOptions & { transport: Transport }) {
    this.#options = parseClientOptions(options);
    const { host, port, bindHostname } = this.#options;
    this.#agents = [0, 1, 2].map((shard) => ({ hostname: host, port: port + shard }));
    this.#endpoint = new UdpClient({
      transport: options.transport,
      hostname: bindHostname,
      name: "lars-client",
    });
    this.#endpoint.router.on(MessageId.GetHostResponse, GetHostResponseCodec, (reply) => {
      this.#onHostReply(reply);
    });
    this.#endpoint.router.on(MessageId.ApiGetRouteResponse, GetRouteResponseCodec, (reply) => {
      this.#onRouteReply(reply);
    });
    this.#endpoint.start();
  }

  /** Agent answers are awaited this long, in milliseconds. */
  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /** True once {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed !== null;
  }

  /**
   * Asks the agent for a host of `(modid, cmdid)`. Never rejects for a
   * missing answer: after `timeoutMs`, or once the client is closed, it
   * resolves `{ retcode: RET_SYSTEM_ERROR }`. `RET_NOEXIST` (route not
   * loaded yet) and `RET_OVERLOAD` (every host overloaded) are normal answers.
   *
   * @throws {TypeError | RangeError} (as a rejection) when an id is not an `int32`
   */
  async getHost(modid: number, cmdid: number): Promise<GetHostResult> {
    checkModule(modid, cmdid);
    if (this.#closed) return systemError();
    const seq = this.#nextSeq();
    const answer = new Promise<GetHostResult>((resolve) => {
      const timer = setTimeout(() => {
        this.#hostCalls.delete(seq);
        this.counters.inc("getHostTimeouts");
        resolve(systemError());
      }, this.#options.timeoutMs);
      this.#hostCalls.set(seq, { modid, cmdid, timer, resolve });
    });
    this.counters.inc("getHostRequests");
    const body = GetHostRequestCodec.encode({ seq, modid, cmdid });
    this.#endpoint.send(MessageId.GetHostRequest, body, this.#agentFor(modid, cmdid));
    this.#sendReports();
    return await answer;
  }

  /**
   * Tells the agent how a call to `ip:port` went: `retcode` 0 is success,
   * anything else a failure. Fire-and-forget; does nothing once closed.
   *
   * The datagram leaves in the same tick: right after the next
   * {@linkcode getHost} or {@linkcode getRoute} request when one is issued
   * before the current task ends (the usual loop: report call N, ask for call
   * N+1), else at the end of the task (a microtask), and {@linkcode close}
   * sends what is queued. So the agent, woken by the request, finds the
   * report already there after answering, instead of waking once for each;
   * the report is counted right after that answer.
   *
   * @throws {TypeError | RangeError} on an invalid id, address, port or retcode
   */
  report(modid: number, cmdid: number, ip: string | number, port: number, retcode: number): void {
    checkModule(modid, cmdid);
    const address = toUnsignedIp(ip);
    checkPort(port, "port");
    checkInt32(retcode, "retcode");
    if (this.#closed) return;
    this.counters.inc("reports");
    const body = ReportRequestCodec.encode({ modid, cmdid, host: { ip: address, port }, retcode });
    // Encoded now, so that sending it right after the next request costs only the syscall.
    const frame = encodeFrame(MessageId.ReportRequest, body);
    this.#reports.push({ frame, to: this.#agentFor(modid, cmdid) });
    if (!this.#reportsFlushQueued) {
      this.#reportsFlushQueued = true;
      queueMicrotask(() => {
        this.#reportsFlushQueued = false;
        this.#sendReports();
      });
    }
  }

  /**
   * Every host of `(modid, cmdid)`; empty when the agent knows none (yet).
   * The wire has no sequence number here, so concurrent calls for one module
   * take the agent's answers in order.
   *
   * @throws {LarsTimeoutError} (as a rejection) when the agent does not answer in time
   * @throws {LarsClosedError} (as a rejection) when the client is or gets closed
   */
  async getRoute(modid: number, cmdid: number): Promise<HostAddress[]> {
    checkModule(modid, cmdid);
    if (this.#closed) throw new LarsClosedError("Cannot get route: client closed");
    const key = `${modid}:${cmdid}`;
    const answer = new Promise<HostAddress[]>((resolve, reject) => {
      const call: PendingRoute = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#removeRouteCall(key, call);
          this.counters.inc("getRouteTimeouts");
          reject(new LarsTimeoutError(modid, cmdid, this.#options.timeoutMs));
        }, this.#options.timeoutMs),
      };
      const queue = this.#routeCalls.get(key);
      if (queue) queue.push(call);
      else this.#routeCalls.set(key, [call]);
    });
    this.counters.inc("getRouteRequests");
    const body = GetRouteRequestCodec.encode({ modid, cmdid });
    this.#endpoint.send(MessageId.ApiGetRouteRequest, body, this.#agentFor(modid, cmdid));
    this.#sendReports();
    return await answer;
  }

  /**
   * Makes the agent load the route of `(modid, cmdid)` before the first
   * {@linkcode getHost}: up to 3 {@linkcode getRoute} calls, 50 ms apart,
   * until the route is non-empty. Resolves `RET_SUCC` when it is,
   * `RET_NOEXIST` when the agent answered but the route stayed empty, and
   * `RET_SYSTEM_ERROR` when no try was answered or the client was closed.
   */
  async regInit(modid: number, cmdid: number): Promise<RetCode> {
    checkModule(modid, cmdid);
    let answered = false;
    for (let attempt = 0; attempt < REG_INIT_TRIES; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, REG_INIT_INTERVAL_MS));
      let hosts: HostAddress[];
      try {
        hosts = await this.getRoute(modid, cmdid);
      } catch (err) {
        if (err instanceof LarsTimeoutError) continue;
        if (err instanceof LarsClosedError) return RetCode.SYSTEM_ERROR;
        throw err;
      }
      answered = true;
      if (hosts.length > 0) return RetCode.SUCC;
    }
    return answered ? RetCode.NOEXIST : RetCode.SYSTEM_ERROR;
  }

  /**
   * Closes the socket. Pending {@linkcode getHost} calls resolve
   * `RET_SYSTEM_ERROR`, pending {@linkcode getRoute} calls reject with
   * {@linkcode LarsClosedError}. Safe to call twice.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    for (const call of this.#hostCalls.values()) {
      clearTimeout(call.timer);
      call.resolve(systemError());
    }
    this.#hostCalls.clear();
    for (const queue of this.#routeCalls.values()) {
      for (const call of queue) {
        clearTimeout(call.timer);
        call.reject(new LarsClosedError("Get route interrupted: client closed"));
      }
    }
    this.#routeCalls.clear();
    this.#sendReports();
    this.#closed = this.#endpoint.close();
    return this.#closed;
  }

  /** Closes the client at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Sends the queued reports, in the order they were made. */
  #sendReports(): void {
    if (this.#reports.length === 0) return;
    const reports = this.#reports;
    this.#reports = [];
    for (const { frame, to } of reports) this.#endpoint.sendFrame(frame, to);
  }

  #agentFor(modid: number, cmdid: number): NetAddress {
    return this.#agents[shardPort(modid, cmdid, 0)];
  }

  #nextSeq(): number {
    do this.#seq = (this.#seq + 1) >>> 0; while (this.#hostCalls.has(this.#seq));
    return this.#seq;
  }

  #onHostReply(reply: GetHostResponse): void {
    const call = this.#hostCalls.get(reply.seq);
    if (!call) {
      this.counters.inc("staleReplies");
      return;
    }
    if (call.modid !== reply.modid || call.cmdid !== reply.cmdid) {
      this.counters.inc("mismatchedReplies");
      return;
    }
    this.#hostCalls.delete(reply.seq);
    clearTimeout(call.timer);
    call.resolve(this.#toResult(reply));
  }

  #toResult(reply: GetHostResponse): GetHostResult {
    switch (reply.retcode) {
      case RetCode.SUCC: {
        const host = reply.host;
        if (host && host.port >= 1 && host.port <= 65535) {
          return { retcode: RetCode.SUCC, ip: intToIp(host.ip), port: host.port };
        }
        break;
      }
      case RetCode.OVERLOAD:
      case RetCode.SYSTEM_ERROR:
      case RetCode.NOEXIST:
        return { retcode: reply.retcode };
    }
    this.counters.inc("invalidReplies");
    return systemError();
  }

  #onRouteReply(reply: GetRouteResponse): void {
    const key = `${reply.modid}:${reply.cmdid}`;
    const call = this.#routeCalls.get(key)?.[0];
    if (!call) {
      this.counters.inc("staleReplies");
      return;
    }
    this.#removeRouteCall(key, call);
    clearTimeout(call.timer);
    call.resolve(reply.host.map((h) => ({ ip: intToIp(h.ip), port: h.port })));
  }

  #removeRouteCall(key: string, call: PendingRoute): void {
    const queue = this.#routeCalls.get(key);
    if (!queue) return;
    const at = queue.indexOf(call);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.#routeCalls.delete(key);
  }
}

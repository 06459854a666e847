/**
 * Options of the Lars client and the checks of its arguments.
 *
 * @module
 */
import { ipToInt } from "../proto/ip.ts";
import type { Transport } from "../reactor/transport.ts";

/** Default address of the agent. */
export const DEFAULT_AGENT_HOST = "127.0.0.1";
/** Default first agent port; the agent listens on it and the next two. */
export const DEFAULT_AGENT_PORT = 8888;
/**
 * Default wait for an agent answer, in milliseconds. The agent is local and
 * answers in microseconds; 200 ms (L5's usual API timeout) rides out GC
 * pauses and a busy agent, and bounds the stall when the agent is down.
 */
export const DEFAULT_TIMEOUT_MS = 200;
/** Longest `timeoutMs` a timer can hold. */
const MAX_TIMEOUT_MS = 0x7FFF_FFFF;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7FFF_FFFF;

/** Options of a {@linkcode LarsClient}. */
export interface LarsClientOptions {
  /**
   * Address of the agent: an IPv4 or IPv6 literal (best: names are resolved
   * by the runtime on every send); `"localhost"` means `127.0.0.1`.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * First agent UDP port; module `(modid, cmdid)` goes to
   * `port + (modid + cmdid) mod 3` (see {@linkcode shardPort}).
   * @default 8888
   */
  port?: number;
  /**
   * How long a call waits for the agent, in milliseconds. `getHost` then
   * resolves `RET_SYSTEM_ERROR`; `getRoute` rejects with `LarsTimeoutError`.
   * @default 200
   */
  timeoutMs?: number;
  /**
   * Sockets to use. By default those of the entry's runtime: Deno's UDP API
   * for `mod.ts` (run with `--unstable-net`), `node:dgram` for `node.ts`.
   */
  transport?: Transport;
}

/** {@linkcode LarsClientOptions} merged with defaults and checked. */
export interface ParsedClientOptions {
  /** Where requests go. */
  host: string;
  /** First agent port. */
  port: number;
  /** Wait for an answer, in milliseconds. */
  timeoutMs: number;
  /** Local address to bind: loopback for a loopback agent, else any. */
  bindHostname: string;
}

/**
 * Merges `options` with the defaults and checks them.
 *
 * @throws {TypeError} when `host` is not a non-empty string
 * @throws {RangeError} when `port` or `timeoutMs` is out of range
 */
export function parseClientOptions(options: LarsClientOptions): ParsedClientOptions {
  let host = options.host ?? DEFAULT_AGENT_HOST;
  if (typeof host !== "string" || host.trim() === "") {
    throw new TypeError(`Invalid host: ${JSON.stringify(host)} is not a host name or address`);
  }
  if (host === "localhost") host = "127.0.0.1";
  const port = options.port ?? DEFAULT_AGENT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65533) {
    throw new RangeError(`Invalid port: ${port} is not in 1..65533 (the agent uses 3 ports)`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMEOUT_MS) {
    throw new RangeError(`Invalid timeoutMs: ${timeoutMs} is not in (0, ${MAX_TIMEOUT_MS}]`);
  }
  return { host, port, timeoutMs, bindHostname: bindHostnameFor(host) };
}

function bindHostnameFor(host: string): string {
  if (host.includes(":")) return host === "::1" ? "::1" : "::";
  return host.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}

/**
 * Checks that `value` is an integer in the `int32` range.
 *
 * @throws {TypeError} when it is not an integer
 * @throws {RangeError} when it is outside `-2147483648..2147483647`
 */
export function checkInt32(value: number, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`Invalid ${name}: ${String(value)} is not an integer`);
  }
  if (value < INT32_MIN || value > INT32_MAX) {
    throw new RangeError(`Invalid ${name}: ${value} is outside the int32 range`);
  }
}

/** Checks a module id pair; see {@linkcode checkInt32}. */
export function checkModule(modid: number, cmdid: number): void {
  checkInt32(modid, "modid");
  checkInt32(cmdid, "cmdid");
}

/**
 * Checks that `value` is a port, `1..65535`.
 *
 * @throws {TypeError} when it is not an integer
 * @throws {RangeError} when it is out of range
 */
export function checkPort(value: number, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`Invalid ${name}: ${String(value)} is not an integer`);
  }
  if (value < 1 || value > 65535) {
    throw new RangeError(`Invalid ${name}: ${value} is not in 1..65535`);
  }
}

/**
 * An IPv4 address as its unsigned value, from dotted-quad text or an integer
 * (unsigned `0..4294967295`, or the signed `int32` carried on the wire).
 *
 * @throws {TypeError} when it is neither valid text nor an integer
 * @throws {RangeError} when the integer is out of range
 */
export function toUnsignedIp(ip: string | number): number {
  if (typeof ip === "string") return ipToInt(ip);
  if (typeof ip !== "number" || !Number.isInteger(ip)) {
    throw new TypeError(`Invalid ip: ${String(ip)} is neither IPv4 text nor an integer`);
  }
  if (ip < INT32_MIN || ip > 0xFFFF_FFFF) {
    throw new RangeError(`Invalid ip: ${ip} is outside -2147483648..4294967295`);
  }
  return ip >>> 0;
}

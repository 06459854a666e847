/**
 * The API `get_route` reply of an agent shard, cut to one UDP datagram. A
 * route can fit a TCP frame from DNS and still be too big for one datagram
 * (an IPv4 datagram carries at most 65,507 bytes); the original then failed
 * to send (`Message too long`) and the caller never got an answer. We answer
 * with as many hosts as fit, always the same ones for the same route: the
 * hosts sorted by address and port, first ones first.
 *
 * @module
 */
import { HEADER_SIZE, MAX_FRAME_SIZE } from "../proto/frame.ts";
import { GetRouteResponseCodec, type HostInfo } from "../proto/messages.ts";

/** Largest UDP payload over IPv4: 65,535 minus the IP (20) and UDP (8) headers. */
export const MAX_UDP_PAYLOAD = 65_507;

/** Largest frame (header included) an agent sends in one datagram. */
export const MAX_DATAGRAM_FRAME = Math.min(MAX_FRAME_SIZE, MAX_UDP_PAYLOAD);

/** An encoded `get_route` reply body and how many of the module's hosts it holds. */
export interface RouteReply {
  /** The GetRouteResponse body. */
  readonly body: Uint8Array;
  /** Hosts in the reply. */
  readonly served: number;
  /** Hosts of the module. */
  readonly total: number;
}

/**
 * Encodes the reply for `(modid, cmdid)`; when the frame would exceed
 * `maxFrame` bytes, keeps the largest stable subset of `hosts` that fits.
 *
 * @example
 * ```ts
 * import { encodeRouteReply } from "./route_reply.ts";
 * const hosts = Array.from({ length: 5000 }, (_, i) => ({ ip: 0xC0A80000 + i, port: 9000 }));
 * const reply = encodeRouteReply(1, 1, hosts);
 * console.log(reply.served < reply.total, reply.body.length + 8 <= 65_507); // true true
 * ```
 */
export function encodeRouteReply(
  modid: number,
  cmdid: number,
  hosts: readonly HostInfo[],
  maxFrame: number = MAX_DATAGRAM_FRAME,
): RouteReply {
  const maxBody = maxFrame - HEADER_SIZE;
  const body = GetRouteResponseCodec.encode({ modid, cmdid, host: hosts as HostInfo[] });
  if (body.length <= maxBody) return { body, served: hosts.length, total: hosts.length };
  const sorted = [...hosts].sort((a, b) => (a.ip >>> 0) - (b.ip >>> 0) || a.port - b.port);
  // Each host adds a fixed number of bytes to the body: measure it, host by host.
  const base = GetRouteResponseCodec.encode({ modid, cmdid, host: [] }).length;
  let size = base;
  let count = 0;
  for (const host of sorted) {
    const cost = GetRouteResponseCodec.encode({ modid, cmdid, host: [host] }).length - base;
    if (size + cost > maxBody) break;
    size += cost;
    count++;
  }
  let subset = sorted.slice(0, count);
  let cut = GetRouteResponseCodec.encode({ modid, cmdid, host: subset });
  while (cut.length > maxBody && subset.length > 0) {
    subset = subset.slice(0, -1);
    cut = GetRouteResponseCodec.encode({ modid, cmdid, host: subset });
  }
  return { body: cut, served: subset.length, total: hosts.length };
}

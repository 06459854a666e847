/**
 * How many hosts fit in one GetRouteResponse frame. A frame is at most
 * 65,535 bytes including its 8-byte header, so a module's answer body may be
 * at most {@linkcode MAX_BODY_SIZE} bytes. The size of an answer is computed
 * exactly from the protobuf encoding, without encoding it: an address from
 * 128.0.0.0 up is a negative `int32` on the wire and takes 10 bytes, a low one
 * 5 or fewer, so the number of hosts that fit depends on the addresses.
 *
 * @module
 */
import { MAX_BODY_SIZE } from "./frame.ts";
import type { HostInfo } from "./messages.ts";

export { MAX_BODY_SIZE };

/** Bytes of a protobuf varint holding `value` as an `int32` field does (negative: 10). */
function int32VarintSize(value: number): number {
  const v = value | 0;
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Bytes of an `int32` field (tag + value); 0 is not written at all. */
function int32FieldSize(value: number): number {
  return (value | 0) === 0 ? 0 : 1 + int32VarintSize(value);
}

/** Bytes one host adds to a GetRouteResponse body (field tag, length, HostInfo). */
export function hostEntrySize(host: HostInfo): number {
  let inner = int32FieldSize(host.ip) + int32FieldSize(host.port);
  if (host.weight !== undefined) inner += int32FieldSize(host.weight);
  if (host.fleetOverload) inner += 2;
  // The HostInfo is at most 35 bytes, so its length prefix is one byte.
  return 2 + inner;
}

/** Bytes of a GetRouteResponse body with no hosts. */
export function responseHeaderSize(modid: number, cmdid: number): number {
  return int32FieldSize(modid) + int32FieldSize(cmdid);
}

/** Exact size of the encoded GetRouteResponse body for a module and its hosts. */
export function responseBodySize(
  modid: number,
  cmdid: number,
  hosts: readonly HostInfo[],
): number {
  let size = responseHeaderSize(modid, cmdid);
  for (const h of hosts) size += hostEntrySize(h);
  return size;
}

/**
 * How many of `hosts`, taken in order, fit in one GetRouteResponse frame
 * (`hosts.length` when all do).
 */
export function hostsThatFit(modid: number, cmdid: number, hosts: readonly HostInfo[]): number {
  let size = responseHeaderSize(modid, cmdid);
  for (let i = 0; i < hosts.length; i++) {
    size += hostEntrySize(hosts[i]);
    if (size > MAX_BODY_SIZE) return i;
  }
  return hosts.length;
}

/**
 * The largest body DNS may send for a module with these hosts: each host with
 * its weight (when not 1) and flagged by the fleet verdict (2 bytes more).
 * Route writes keep this within {@linkcode MAX_BODY_SIZE} (`store/`'s
 * `checkModuleFits`), so DNS never has to cut a module a write let grow.
 */
export function largestBodySize(
  modid: number,
  cmdid: number,
  hosts: readonly HostInfo[],
): number {
  let size = responseHeaderSize(modid, cmdid);
  for (const { ip, port, weight } of hosts) {
    // DNS leaves out weight 1 (the default); any other weight is sent.
    const sent = weight === 1 ? undefined : weight;
    size += hostEntrySize({ ip, port, weight: sent, fleetOverload: true });
  }
  return size;
}

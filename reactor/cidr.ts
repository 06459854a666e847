/**
 * IPv4 CIDR allow-lists for servers (`[reactor] allow = 10.0.0.0/8, 127.0.0.1`):
 * peers outside the list are closed at accept.
 *
 * @module
 */
import { intToIp, ipToInt } from "../proto/ip.ts";

/** One IPv4 network: `base/bits`. */
export interface Cidr {
  /** Network address as an unsigned 32-bit integer (host bits cleared). */
  base: number;
  /** Prefix length, 0..32. */
  bits: number;
}

/** The IPv4 address `text` (dotted quad) as an unsigned integer, or null. */
function _quad(text: string): number | null {
  try {
    return ipToInt(text);
  } catch {
    return null;
  }
}

function _mask(bits: number): number {
  return bits === 0 ? 0 : (0xFFFFFFFF << (32 - bits)) >>> 0;
}

/**
 * Parses one entry: `a.b.c.d/n` or a single address `a.b.c.d` (a /32).
 *
 * @throws {TypeError} naming the entry when it is not an IPv4 CIDR
 */
export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.trim().split("/");
  const base = _quad(addr);
  const bits = len === undefined ? 32 : (/^\d{1,2}$/.test(len) ? Number(len) : NaN);
  if (base === null || extra !== undefined || !(bits >= 0 && bits <= 32)) {
    throw new TypeError(`"${text.trim()}" is not an IPv4 address or CIDR (a.b.c.d/n)`);
  }
  return { base: (base & _mask(bits)) >>> 0, bits };
}

/**
 * Parses a comma- or space-separated list; an empty text is an empty list
 * (which {@linkcode isAllowed} reads as "everyone").
 *
 * @throws {TypeError} naming the first bad entry
 */
export function parseCidrList(text: string): Cidr[] {
  return text.split(/[\s,]+/).filter((t) => t !== "").map(parseCidr);
}

/**
 * True when `hostname` (an IPv4 address, or an IPv4-mapped IPv6 one) is in one
 * of `list`; an empty list allows everyone. Other addresses are not allowed by
 * a non-empty list.
 *
 * @example
 * ```ts
 * import { isAllowed, parseCidrList } from "./cidr.ts";
 * const list = parseCidrList("10.0.0.0/8, 127.0.0.1");
 * console.log(isAllowed(list, "10.1.2.3"), isAllowed(list, "192.168.0.1")); // true false
 * ```
 */
export function isAllowed(list: readonly Cidr[], hostname: string): boolean {
  if (list.length === 0) return true;
  const mapped = hostname.toLowerCase().startsWith("::ffff:") ? hostname.slice(7) : hostname;
  const ip = _quad(mapped);
  if (ip === null) return false;
  return list.some((c) => ((ip & _mask(c.bits)) >>> 0) === c.base);
}

/** `a.b.c.d/n` text of `cidr`. */
export function formatCidr(cidr: Cidr): string {
  return `${intToIp(cidr.base)}/${cidr.bits}`;
}

/**
 * IPv4 helpers. Lars carries an address as a 32-bit integer with the first
 * octet most significant, in an `int32` field (so addresses from `128.0.0.0`
 * up are negative on the wire). Inside this project an address is always the
 * unsigned value `0 ..= 0xFFFFFFFF`, as MySQL stores it (`int unsigned`).
 *
 * @module
 */

/**
 * Parses dotted-quad IPv4 text into its unsigned 32-bit value.
 *
 * @example
 * ```ts
 * import { ipToInt } from "./ip.ts";
 * console.log(ipToInt("127.0.0.1")); // 2130706433
 * ```
 * @throws {TypeError} when the text is not a dotted-quad IPv4 address
 */
export function ipToInt(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new TypeError(`Invalid IPv4 address: "${text}"`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) throw new TypeError(`Invalid IPv4 address: "${text}"`);
    const octet = Number(part);
    if (octet > 255) throw new TypeError(`Invalid IPv4 address: "${text}"`);
    value = value * 256 + octet;
  }
  return value;
}

/**
 * Formats an IPv4 integer (signed wire value or unsigned) as dotted-quad text.
 *
 * @example
 * ```ts
 * import { intToIp } from "./ip.ts";
 * console.log(intToIp(-1062731775)); // "192.168.0.1"
 * ```
 */
export function intToIp(value: number): string {
  const v = value >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** True when `value` is an integer in `0 ..= 0xFFFFFFFF`. */
export function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xFFFFFFFF;
}

/** True when `value` is a valid TCP/UDP port, `1 ..= 65535`. */
export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

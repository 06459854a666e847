/**
 * How addresses and errors are written in log lines and error messages, in one
 * place: `host:port` (IPv6 in brackets) and the message of any thrown value.
 *
 * @example
 * ```ts
 * import { addrText, errorText } from "./text.ts";
 * console.log(addrText({ hostname: "127.0.0.1", port: 7779 })); // "127.0.0.1:7779"
 * console.log(addrText({ hostname: "::1", port: 7779 })); // "[::1]:7779"
 * console.log(errorText(new RangeError("port 0"))); // "port 0"
 * console.log(errorText("timeout")); // "timeout"
 * ```
 *
 * @module
 */
import type { NetAddress } from "./transport.ts";

/** `host:port` text of an address; an IPv6 host is put in brackets. */
export function addrText(addr: NetAddress): string {
  return addr.hostname.includes(":")
    ? `[${addr.hostname}]:${addr.port}`
    : `${addr.hostname}:${addr.port}`;
}

/** The message of a thrown value: `err.message` for an `Error`, else its text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

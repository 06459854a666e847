/**
 * The agent's caller id: the host's own IPv4 address, as the original sends
 * in `ReportStatusRequest.caller`.
 *
 * @module
 */
import { networkInterfaces } from "node:os";
import { ipToInt } from "../proto/ip.ts";

/**
 * The first non-loopback IPv4 address of this host, or 127.0.0.1 when there
 * is none or the interfaces cannot be read (no `--allow-sys=networkInterfaces`).
 */
export function hostIpv4(): number {
  try {
    for (const iface of Object.values(networkInterfaces()).flat()) {
      if (iface?.family === "IPv4" && !iface.address.startsWith("127.")) {
        return ipToInt(iface.address);
      }
    }
  } catch {
    // Permission denied or unsupported: fall back to loopback.
  }
  return ipToInt("127.0.0.1");
}

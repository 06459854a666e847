/**
 * The fleet's verdict on the hosts of one module, for the module page: what
 * the DNS service sends agents as `HostInfo.fleetOverload` (a host enough of
 * its recent callers last reported overloaded), computed here by the same
 * rule (`FleetVerdicts`, with the `[dns] fleet_*` defaults) from the module's
 * `ServerCallStatus` rows, so the page needs no DNS connection.
 *
 * @module
 */
import { DEFAULT_FLEET_HEALTH, FleetVerdicts } from "../dns/fleet_health.ts";
import { intToIp } from "../proto/ip.ts";
import type { FleetHostRow, StatusRow } from "../store/types.ts";

/** One host's fleet view. */
export interface FleetHint {
  /** Dotted IPv4. */
  ip: string;
  /** Port. */
  port: number;
  /** Callers that reported the host within the window. */
  callers: number;
  /** Of them, those whose last report had it overloaded. */
  overloaded: number;
  /** The verdict: agents that have not called the host yet start it in probing state. */
  fleetOverload: boolean;
}

/** The hint for a module: the rule's numbers and each reported host. */
export interface FleetHints {
  /** Reports older than this many seconds do not count. */
  windowSeconds: number;
  /** Share of the callers that must see a host overloaded. */
  overloadShare: number;
  /** Fewest callers that must see it overloaded. */
  minCallers: number;
  /** Hosts with reports in the window, ordered by ip and port. */
  hosts: FleetHint[];
}

/** The fleet's verdicts on the hosts in `rows` (one module's status rows) at `nowSeconds`. */
export function fleetHints(rows: readonly StatusRow[], nowSeconds: number): FleetHints {
  const verdicts = new FleetVerdicts();
  const since = verdicts.since(nowSeconds);
  const hosts = new Map<string, FleetHostRow>();
  for (const r of rows) {
    if (r.ts < since) continue;
    const key = `${r.modid}/${r.cmdid}/${r.ip}:${r.port}`;
    const host = hosts.get(key) ??
      { modid: r.modid, cmdid: r.cmdid, ip: r.ip, port: r.port, callers: 0, overloaded: 0 };
    host.callers++;
    if (r.overload) host.overloaded++;
    hosts.set(key, host);
  }
  const counted = [...hosts.values()].sort((a, b) => a.ip - b.ip || a.port - b.port);
  verdicts.apply(counted);
  const { windowSeconds, overloadShare, minCallers } = DEFAULT_FLEET_HEALTH;
  return {
    windowSeconds,
    overloadShare,
    minCallers,
    hosts: counted.map((h) => ({
      ip: intToIp(h.ip),
      port: h.port,
      callers: h.callers,
      overloaded: h.overloaded,
      fleetOverload: verdicts.isOverloaded(h.modid, h.cmdid, h.ip, h.port),
    })),
  };
}

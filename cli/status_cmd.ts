/**
 * `lars status`: the agent's hosts as its balancers see them, from the
 * agent's admin endpoint (`GET /hosts`). A live view refreshed every second,
 * modules and hosts sorted by errors, overloaded hosts marked `!`, each host's
 * weight, and modules in panic (`max_ejection_percent`) marked with the hosts
 * kept in; `--once` prints the view once, `--json` prints one snapshot.
 *
 * @module
 */
import { Config } from "../reactor/config.ts";
import { readAdminSettings } from "../reactor/ops_settings.ts";
import { allowFlags, type ParsedArgs, stringFlag } from "./args.ts";
import { formatAge } from "./cache_cmd.ts";
import { UsageError } from "./usage.ts";

/** Usage lines of `lars status`. */
export const STATUS_USAGE =
  `  lars status [--json | --once] [--module MODID CMDID] [--admin HOST:PORT]
      the agent's hosts, live (Ctrl-C quits): state, weight, window and streak
      counts, why a host was taken out, modules in panic; from the agent's admin
      endpoint ([admin] ip, port of --config, default conf/lars_lb_agent.conf);
      --once prints the view once, --json prints one snapshot`;

/** One host in the agent's `/hosts` answer. */
export interface StatusHost {
  /** Dotted IPv4. */
  ip: string;
  /** Port. */
  port: number;
  /** `idle` or `overload`. */
  state: string;
  /** Real calls in the current window. */
  window: { succ: number; err: number };
  /** Current streaks. */
  contiguous: { succ: number; err: number };
  /** Seconds in the current state. */
  inStateSeconds: number;
  /** Why it last changed state. */
  reason: { rule: string; text: string } | null;
  /** Weight from DNS (1 when the route carries none; absent from older agents). */
  weight?: number;
  /** Overloaded, yet kept in rotation because the module is in panic. */
  pardoned?: boolean;
  /** Ejections in a row, each soon after coming back. */
  repeats?: number;
  /** Share of its weight the host takes now (below 1 during slow start). */
  share?: number;
}

/** One module in the agent's `/hosts` answer. */
export interface StatusModule {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Shard index. */
  shard: number;
  /** ISO time of the last route from DNS, or null. */
  lastUpdate: string | null;
  /** More hosts overloaded than `max_ejection_percent` lets out (absent from older agents). */
  panic?: boolean;
  /** Hosts. */
  hosts: StatusHost[];
}

/** The agent's `/hosts` answer. */
export interface HostsSnapshot {
  /** ISO time of the snapshot. */
  time: string;
  /** `connected` or `disconnected`. */
  dns: string;
  /** Shards and whether they answered. */
  shards: { index: number; up: boolean }[];
  /** Modules. */
  modules: StatusModule[];
  /** True when the agent left modules out to stay within its host limit (absent from older agents). */
  truncated?: boolean;
  /** Modules the agent knows in all (absent from older agents). */
  moduleCount?: number;
}

function windowErrors(module: StatusModule): number {
  return module.hosts.reduce((n, h) => n + h.window.err, 0);
}

function overloaded(module: StatusModule): number {
  return module.hosts.filter((h) => h.state === "overload").length;
}

/** Modules with the most overloaded hosts and window errors first; hosts likewise. */
export function sortByErrors(modules: StatusModule[]): StatusModule[] {
  const hostOrder = (a: StatusHost, b: StatusHost) =>
    Number(b.state === "overload") - Number(a.state === "overload") ||
    b.window.err - a.window.err || b.contiguous.err - a.contiguous.err ||
    a.ip.localeCompare(b.ip) || a.port - b.port;
  return modules
    .map((m) => ({ ...m, hosts: [...m.hosts].sort(hostOrder) }))
    .sort((a, b) =>
      overloaded(b) - overloaded(a) || windowErrors(b) - windowErrors(a) ||
      a.modid - b.modid || a.cmdid - b.cmdid
    );
}

/** A host's weight, with its current share when slow start holds it below full (`3 @40%`). */
function weightText(host: StatusHost): string {
  const weight = String(host.weight ?? 1);
  const share = host.share ?? 1;
  return (share < 1 ? `${weight} @${Math.round(share * 100)}%` : weight).padEnd(7);
}

/** The text view of a snapshot (what the live view prints each second). */
export function renderStatus(snapshot: HostsSnapshot, source: string): string {
  const up = snapshot.shards.filter((s) => s.up).length;
  const lines = [
    `agent ${source}  DNS ${snapshot.dns}  shards ${up}/${snapshot.shards.length} up  ` +
    `${snapshot.time}`,
  ];
  const modules = sortByErrors(snapshot.modules);
  if (snapshot.truncated) {
    lines.push(
      `showing ${modules.length} of ${snapshot.moduleCount} modules (the agent's /hosts limit; ` +
        "--module MODID CMDID shows any one)",
    );
  }
  if (modules.length === 0) {
    lines.push("", "no modules yet (nothing has asked this agent for a host)");
  }
  const now = Date.parse(snapshot.time);
  for (const m of modules) {
    const age = m.lastUpdate
      ? `route ${formatAge((now - Date.parse(m.lastUpdate)) / 1000)} old`
      : "no route yet";
    const kept = m.hosts.filter((h) => h.pardoned).length;
    const panic = m.panic
      ? `  PANIC: ${kept} overloaded kept in rotation (max_ejection_percent)`
      : "";
    lines.push(
      "",
      `${m.modid}/${m.cmdid}  shard ${m.shard}  ${m.hosts.length} hosts, ${
        overloaded(m)
      } overloaded, ` +
        `${windowErrors(m)} errors in window  ${age}${panic}`,
      "    HOST                   STATE     WEIGHT  WIN_SUCC  WIN_ERR  STREAK      FOR      REASON",
    );
    for (const h of m.hosts) {
      const mark = h.state === "overload" ? "!" : " ";
      const streak = h.contiguous.err > 0
        ? `err ${h.contiguous.err}`
        : h.contiguous.succ > 0
        ? `succ ${h.contiguous.succ}`
        : "-";
      const reason = [
        h.pardoned ? "kept in (panic)" : "",
        h.state === "overload" && h.reason ? h.reason.text : "",
        (h.repeats ?? 0) > 0 ? `repeat ${h.repeats}` : "",
      ].filter(Boolean).join("; ");
      lines.push(
        `  ${mark} ${`${h.ip}:${h.port}`.padEnd(22)} ${h.state.padEnd(9)} ${weightText(h)} ` +
          `${String(h.window.succ).padStart(8)}  ${String(h.window.err).padStart(7)}  ` +
          `${streak.padEnd(10)}  ${formatAge(h.inStateSeconds).padEnd(7)}  ${reason}`.trimEnd(),
      );
    }
  }
  return lines.join("\n");
}

/** `host:port` of the agent's admin endpoint, from `--admin` or the agent's config. */
async function adminAddress(args: ParsedArgs): Promise<string> {
  const given = stringFlag(args, "admin");
  if (given) {
    if (!/^[A-Za-z0-9.\-]+:\d{1,5}$/.test(given)) {
      throw new UsageError(`--admin must be HOST:PORT, got "${given}"`);
    }
    return given;
  }
  const configPath = stringFlag(args, "config", "conf/lars_lb_agent.conf")!;
  const admin = readAdminSettings(await Config.load(configPath));
  if (admin === null || admin.port === 0) {
    throw new Error(
      `${configPath}: the agent's admin endpoint is off or on a random port; set [admin] port ` +
        "there, or pass --admin HOST:PORT",
    );
  }
  return `${admin.hostname}:${admin.port}`;
}

/** The module `--module M C` (or `--module M/C`) names, if any. */
function moduleFilter(args: ParsedArgs, rest: string[]): { modid: string; cmdid: string } | null {
  const first = stringFlag(args, "module");
  if (first === undefined) {
    if (rest.length > 0) throw new UsageError("status takes no arguments");
    return null;
  }
  const parts = first.includes("/") ? first.split("/") : [first, ...rest];
  if (parts.length !== 2 || !parts.every((p) => /^-?\d{1,10}$/.test(p))) {
    throw new UsageError("--module takes MODID CMDID (integers)");
  }
  return { modid: parts[0], cmdid: parts[1] };
}

/** Fetches one `/hosts` snapshot. */
export async function fetchHosts(
  address: string,
  module: { modid: string; cmdid: string } | null,
): Promise<HostsSnapshot> {
  const query = module ? `?modid=${module.modid}&cmdid=${module.cmdid}` : "";
  const url = `http://${address}/hosts${query}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  } catch (err) {
    throw new Error(
      `cannot reach the agent's admin endpoint at ${address}: ${(err as Error).message}`,
    );
  }
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status}: ${(await response.text()).trim()}`);
  }
  return await response.json() as HostsSnapshot;
}

/** Runs `lars status`; resolves to the exit code (the live view runs until interrupted). */
export async function runStatus(args: ParsedArgs, rest: string[]): Promise<number> {
  allowFlags(args, ["json", "once", "module", "admin", "config"]);
  const module = moduleFilter(args, rest);
  const address = await adminAddress(args);
  if (args.flags.has("json")) {
    console.log(JSON.stringify(await fetchHosts(address, module), null, 2));
    return 0;
  }
  if (args.flags.has("once")) {
    console.log(renderStatus(await fetchHosts(address, module), address));
    return 0;
  }
  const encoder = new TextEncoder();
  while (true) {
    let text: string;
    try {
      text = renderStatus(await fetchHosts(address, module), address);
    } catch (err) {
      text = `${new Date().toISOString()}  ${(err as Error).message}; retrying every second`;
    }
    // Clear the screen and home the cursor, then draw.
    Deno.stdout.writeSync(encoder.encode(`\x1b[2J\x1b[H${text}\n\n(Ctrl-C quits)\n`));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

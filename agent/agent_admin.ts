/**
 * What the agent shows on its admin endpoint: metrics (read from the counters
 * of the main isolate and of the shard workers, one shard round trip per
 * scrape), readiness (every shard answers, and DNS is connected or routes are
 * cached), and `/hosts`, every module's hosts as the balancers see them.
 *
 * @module
 */
import {
  type AdminContent,
  type AdminRoute,
  jsonResponse,
  type Readiness,
} from "../reactor/admin_server.ts";
import {
  createMetricsRegistry,
  defineMetric,
  defineNetMetrics,
  type MetricSample,
  type MetricsRegistry,
  sharedRead,
} from "../reactor/metrics.ts";
import { NET_COUNTER_NAMES, type NetCounterName } from "../reactor/net_counters.ts";
import { AGENT_COUNTER_NAMES, type AgentService } from "./agent_service.ts";
import type { HostView, ModuleView, ShardInspection } from "./shard_protocol.ts";

/** Meanings of the main isolate's counters, exported as `lars_agent_<snake_name>_total`. */
const AGENT_COUNTER_HELP: Record<typeof AGENT_COUNTER_NAMES[number], string> = {
  pulls: "GetRouteRequests sent to DNS.",
  routeUpdates: "Routes received from DNS (answers and pushes).",
  emptyRoutesHeld: "Empty routes from DNS held back for a module that had hosts.",
  emptyRoutesApplied: "Empty routes applied (the module was removed).",
  reportsSent: "ReportStatusRequests sent to the reporter.",
  shardRestarts: "Shard workers restarted after a failure.",
  modulesRefused: "Pulls of new modules refused: max_modules modules were known.",
};

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function answered(shards: (ShardInspection | null)[]): ShardInspection[] {
  return shards.filter((s): s is ShardInspection => s !== null);
}

function sumBy(shards: ShardInspection[], pick: (s: ShardInspection) => Record<string, number>) {
  const out: Record<string, number> = {};
  for (const shard of shards) {
    for (const [key, value] of Object.entries(pick(shard))) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

function samples(label: string, values: Record<string, number>): MetricSample[] {
  return Object.entries(values).map(([key, value]) => ({ labels: { [label]: key }, value }));
}

/** The agent's admin endpoint content: metrics, readiness and `/hosts`. */
export function agentAdmin(agent: AgentService): AdminContent {
  const registry = createMetricsRegistry();
  defineAgentMetrics(registry, agent);
  return {
    registry,
    readiness: () => agentReadiness(agent),
    routes: { "/hosts": hostsRoute(agent) },
  };
}

/** Registers the agent's metrics; shard counters are read once per scrape. */
export function defineAgentMetrics(registry: MetricsRegistry, agent: AgentService): void {
  const shards = sharedRead(async () => answered(await agent.inspectShards({ hosts: false })));
  const counter = (
    name: string,
    help: string,
    read: () => number | MetricSample[] | Promise<number | MetricSample[]>,
    labels?: string[],
  ) => defineMetric(registry, { type: "counter", name, help, labels, read });
  const gauge = (
    name: string,
    help: string,
    read: () => number | MetricSample[] | Promise<number | MetricSample[]>,
    labels?: string[],
  ) => defineMetric(registry, { type: "gauge", name, help, labels, read });

  counter(
    "lars_agent_requests_total",
    "Local API requests answered, by type (get_host, report, get_route).",
    async () => {
      const s = await shards();
      const total = (pick: (x: ShardInspection) => number) => s.reduce((n, x) => n + pick(x), 0);
      return [
        { labels: { type: "get_host" }, value: total((x) => x.stats.getHost) },
        { labels: { type: "report" }, value: total((x) => x.stats.report) },
        { labels: { type: "get_route" }, value: total((x) => x.stats.getRoute) },
      ];
    },
    ["type"],
  );
  counter(
    "lars_agent_get_host_total",
    "GetHost answers by result (succ, overload, noexist).",
    async () => samples("retcode", sumBy(await shards(), (s) => s.getHostResults)),
    ["retcode"],
  );
  counter(
    "lars_agent_host_transitions_total",
    "Hosts taken out of rotation (err_rate, contin_err, window_err_rate) or put back " +
      "(succ_rate, contin_succ, overload_timeout), by rule.",
    async () => samples("rule", sumBy(await shards(), (s) => s.transitions)),
    ["rule"],
  );
  counter(
    "lars_agent_unknown_reports_total",
    "Reports for a module or host the agent does not know.",
    async () => (await shards()).reduce((n, s) => n + s.stats.unknownReports, 0),
  );
  counter(
    "lars_agent_get_route_cut_total",
    "get_route answers cut to the hosts that fit one datagram.",
    async () => (await shards()).reduce((n, s) => n + s.stats.getRouteCut, 0),
  );
  counter(
    "lars_agent_shard_modules_refused_total",
    "Requests for new modules a shard refused: its table held max_modules modules.",
    async () => (await shards()).reduce((n, s) => n + s.stats.modulesRefused, 0),
  );
  gauge(
    "lars_agent_hosts",
    "Hosts by balancer state: idle (in rotation) or overload (taken out).",
    async () => samples("state", sumBy(await shards(), (s) => s.hostStates)),
    ["state"],
  );
  gauge(
    "lars_agent_modules",
    "Modules in the shards' route tables.",
    async () => (await shards()).reduce((n, s) => n + s.stats.modules, 0),
  );
  gauge(
    "lars_agent_shards_up",
    "Shard workers that answered the scrape (of 3).",
    async () => (await shards()).length,
  );
  for (const name of AGENT_COUNTER_NAMES) {
    counter(
      `lars_agent_${snake(name)}_total`,
      AGENT_COUNTER_HELP[name],
      () => agent.counters.get(name),
    );
  }
  gauge(
    "lars_agent_dns_connected",
    "1 while the DNS connection is up.",
    () => agent.dns.connected ? 1 : 0,
  );
  gauge(
    "lars_agent_reporter_connected",
    "1 while the reporter connection is up.",
    () => agent.reporter.connected ? 1 : 0,
  );
  gauge(
    "lars_agent_known_routes",
    "Modules with hosts that the agent would cache.",
    () => [...agent.known.withHosts()].length,
  );
  defineNetMetrics(registry, async () => {
    const udp = Object.fromEntries(NET_COUNTER_NAMES.map((n) => [n, 0])) as Record<
      NetCounterName,
      number
    >;
    for (const s of await shards()) for (const n of NET_COUNTER_NAMES) udp[n] += s.net[n];
    return [
      { endpoint: "agent-udp", values: udp },
      { endpoint: "agent-dns-client", values: agent.dns.counters.snapshot() },
      { endpoint: "agent-report-client", values: agent.reporter.counters.snapshot() },
    ];
  });
}

/** Ready when every shard answers and DNS is connected or routes are cached. */
export async function agentReadiness(agent: AgentService): Promise<Readiness> {
  const shards = await agent.inspectShards({ hosts: false });
  const up = answered(shards).length;
  const down = shards.flatMap((s, i) => s === null ? [i] : []);
  const cached = [...agent.known.withHosts()].length;
  return {
    shards: {
      ok: down.length === 0,
      detail: down.length === 0
        ? `${up} of ${shards.length} shards answering`
        : `shards ${down.join(", ")} not answering (restarting?)`,
    },
    routes: agent.dns.connected
      ? { ok: true, detail: `DNS connected; ${cached} modules with hosts` }
      : cached > 0
      ? { ok: true, detail: `DNS not connected; serving ${cached} cached modules` }
      : { ok: false, detail: "DNS not connected and no cached routes" },
  };
}

/** One host in `/hosts`: the shard's view, times as ISO strings and seconds. */
interface HostEntry extends Omit<HostView, "since" | "windowSince"> {
  since: string;
  inStateSeconds: number;
  windowSince: string;
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function hostEntry(host: HostView, now: number): HostEntry {
  return {
    ...host,
    since: isoSeconds(host.since),
    inStateSeconds: Math.max(0, Math.round((now - host.since) * 10) / 10),
    windowSince: isoSeconds(host.windowSince),
  };
}

function moduleEntry(module: ModuleView, now: number) {
  const errors = module.hosts.reduce((n, h) => n + h.window.err, 0);
  return {
    modid: module.modid,
    cmdid: module.cmdid,
    shard: module.shard,
    status: module.status,
    lastUpdate: module.lastUpdate > 0 ? isoSeconds(module.lastUpdate) : null,
    panic: module.panic,
    overloaded: module.hosts.filter((h) => h.state === "overload").length,
    errors,
    hosts: module.hosts.map((h) => hostEntry(h, now)),
  };
}

function intParam(url: URL, name: string): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  if (!/^-?\d{1,10}$/.test(text)) throw new RangeError(`${name} must be an integer, got ${text}`);
  return Number(text);
}

/** Hosts `/hosts` lists when the request gives no `limit`. */
export const HOSTS_DEFAULT_LIMIT = 1000;
/** The largest `limit` `/hosts` takes. */
export const HOSTS_MAX_LIMIT = 10_000;

/**
 * `GET /hosts[?modid=M&cmdid=C][&limit=N]`: the modules (or one) with each
 * host's state, window and streak counts, since when it is in its state and
 * why. Modules are listed in (modid, cmdid) order, whole, while their hosts add
 * up to at most `limit` (default {@linkcode HOSTS_DEFAULT_LIMIT}, at most
 * {@linkcode HOSTS_MAX_LIMIT}; the first module always); `truncated` says when
 * modules were left out, `moduleCount` how many there are.
 */
export function hostsRoute(agent: AgentService): AdminRoute {
  return async (request) => {
    const url = new URL(request.url);
    let modid, cmdid, limit;
    try {
      modid = intParam(url, "modid");
      cmdid = intParam(url, "cmdid");
      limit = intParam(url, "limit") ?? HOSTS_DEFAULT_LIMIT;
    } catch (err) {
      return jsonResponse({ error: (err as Error).message }, 400);
    }
    if (limit < 1 || limit > HOSTS_MAX_LIMIT) {
      return jsonResponse({ error: `limit must be 1..${HOSTS_MAX_LIMIT}, got ${limit}` }, 400);
    }
    if ((modid === undefined) !== (cmdid === undefined)) {
      return jsonResponse({ error: "give both modid and cmdid, or neither" }, 400);
    }
    const module = modid !== undefined ? { modid, cmdid: cmdid! } : undefined;
    const shards = await agent.inspectShards({ hosts: true, module, hostLimit: limit });
    const now = Date.now() / 1000;
    const views = answered(shards)
      .flatMap((s) => s.modules ?? [])
      .sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
    const moduleCount = answered(shards).reduce((n, s) => n + (s.moduleCount ?? 0), 0);
    const modules = [];
    let hosts = 0;
    for (const view of views) {
      if (modules.length > 0 && hosts + view.hosts.length > limit) break;
      hosts += view.hosts.length;
      modules.push(moduleEntry(view, now));
    }
    return jsonResponse({
      time: isoSeconds(now),
      dns: agent.dns.connected ? "connected" : "disconnected",
      shards: shards.map((s, index) => ({ index, up: s !== null })),
      limit,
      truncated: modules.length < moduleCount,
      moduleCount,
      modules,
    });
  };
}

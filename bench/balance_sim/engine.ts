/**
 * The discrete-event loop of the balancing simulator: {@linkcode AGENTS}
 * agents, each with its own real {@linkcode LoadBalance} on a fake clock,
 * call the hosts of one module at Poisson-distributed times; every answer is
 * reported back to the calling agent's balancer at once.
 *
 * @module
 */
import { LoadBalance, type LoadBalanceOptions } from "../../agent/load_balance.ts";
import { type HostInfo, RetCode } from "../../proto/mod.ts";
import { mulberry32 } from "../../tests/support/random.ts";
import {
  AGENTS,
  callFails,
  CALLS_PER_AGENT,
  FLEET_MIN_CALLERS,
  FLEET_SHARE,
  FRESH_WINDOW,
  HostLoad,
  type Scenario,
} from "./model.ts";

/** Width of one metrics bucket, in seconds. */
export const BUCKET_SECONDS = 0.5;
/** Unix time the simulation's clock starts at. */
const T0 = 1_700_000_000;

/** What one run of one scenario under one set of rules measured. */
export interface RunResult {
  /** Calls made. */
  readonly calls: number;
  /** Share of calls that failed, `RET_OVERLOAD` answers included. */
  readonly failedShare: number;
  /** Share of calls answered `RET_OVERLOAD` (no host handed out). */
  readonly overloadShare: number;
  /**
   * Median over agents of the seconds from the fault's start until the
   * watched host is out of the agent's rotation (overloaded, not pardoned);
   * NaN when it never is for most agents.
   */
  readonly timeToOut: number;
  /**
   * Median over agents of the seconds from the fault's end until the watched
   * host is in rotation for good (never out again until the end of the run);
   * NaN when it is still out at the end for most agents.
   */
  readonly timeToBack: number;
  /** Share of all calls during the fault that went to the watched host. */
  readonly badHostShare: number;
  /** Share of failed calls in the fresh agents' first `FRESH_WINDOW` seconds; NaN without any. */
  readonly freshFailedShare: number;
  /** The watched host's share of calls per bucket, divided by its fair share. */
  readonly watchedSeries: readonly number[];
  /** Share of failed calls per bucket. */
  readonly failedSeries: readonly number[];
}

/** Host `index` of the simulated module: 10.0.0.(index+1):9000. */
export function simHost(index: number, weight = 1): HostInfo {
  const host = { ip: 0x0A000001 + index, port: 9000 };
  return weight === 1 ? host : { ...host, weight };
}

/**
 * Runs `scenario` with every agent's balancer built from `options`, seeded by
 * `seed`. The same seed gives the same result. With `fleetHints`, a fresh
 * agent's first route carries the fleet verdict the DNS service would send:
 * a host is marked when at least `FLEET_SHARE` of the agents already calling
 * (and at least `FLEET_MIN_CALLERS`) have it overloaded.
 */
export function runScenario(
  scenario: Scenario,
  options: Partial<LoadBalanceOptions>,
  seed: number,
  fleetHints = false,
): RunResult {
  const random = mulberry32(seed);
  const weightOf = (i: number) => scenario.weight?.(i) ?? 1;
  const routeOf = (count: number) =>
    Array.from({ length: count }, (_, i) => simHost(i, weightOf(i)));
  const changes = [...(scenario.routeChanges ?? [])].sort((a, b) => a.at - b.at);
  const maxHosts = Math.max(scenario.hosts, ...changes.map((c) => c.hosts));
  let routeSize = scenario.hosts;

  const fresh = scenario.freshAgents;
  const firstFresh = AGENTS - (fresh?.count ?? 0);
  const joined = Array.from({ length: AGENTS }, (_, a) => a < firstFresh);
  const agents = Array.from({ length: AGENTS }, (_, a) => {
    const lb = new LoadBalance(1, 1, options);
    if (joined[a]) lb.update(routeOf(routeSize), T0);
    return lb;
  });
  /** The route a fresh agent gets, with the fleet's verdict when `fleetHints`. */
  const freshRoute = () =>
    routeOf(routeSize).map((host) => {
      if (!fleetHints) return host;
      const callers = agents.filter((_, a) => joined[a]);
      const bad = callers.filter((lb) => lb.hostStats(host.ip, host.port)?.overload).length;
      const verdict = bad >= FLEET_MIN_CALLERS && bad >= FLEET_SHARE * callers.length;
      return verdict ? { ...host, fleetOverload: true } : host;
    });
  const loads = Array.from({ length: maxHosts }, () => new HostLoad());
  const next = agents.map((_, a) =>
    (joined[a] ? 0 : fresh!.at) - Math.log(1 - random()) / CALLS_PER_AGENT
  );
  let freshCalls = 0;
  let freshFailed = 0;

  const buckets = Math.ceil(scenario.seconds / BUCKET_SECONDS);
  const total = new Float64Array(buckets);
  const failed = new Float64Array(buckets);
  const watched = new Float64Array(buckets);
  const fairShare = new Float64Array(buckets);
  let overloads = 0;
  const out = agents.map(() => new Uint8Array(buckets));
  let sampled = 0;
  const watchedHost = simHost(scenario.watched);
  const sampleUntil = (bucket: number) => {
    for (; sampled < bucket; sampled++) {
      agents.forEach((lb, a) => {
        const stats = lb.hostStats(watchedHost.ip, watchedHost.port);
        const health = lb.hostHealth(watchedHost.ip, watchedHost.port);
        out[a][sampled] = stats?.overload && !health?.pardoned ? 1 : 0;
      });
    }
  };

  for (;;) {
    let agent = 0;
    for (let a = 1; a < AGENTS; a++) if (next[a] < next[agent]) agent = a;
    const t = next[agent];
    if (t >= scenario.seconds) break;
    next[agent] = t - Math.log(1 - random()) / CALLS_PER_AGENT;
    while (changes.length > 0 && changes[0].at <= t) {
      routeSize = changes.shift()!.hosts;
      for (const lb of agents) lb.update(routeOf(routeSize), T0 + t);
    }
    const bucket = Math.floor(t / BUCKET_SECONDS);
    sampleUntil(bucket);
    total[bucket]++;
    fairShare[bucket] += _fairShare(scenario, weightOf, routeSize);
    const now = T0 + t;
    const lb = agents[agent];
    if (!joined[agent]) {
      lb.update(freshRoute(), now);
      joined[agent] = true;
    }
    const inFreshWindow = agent >= firstFresh && t < fresh!.at + FRESH_WINDOW;
    if (inFreshWindow) freshCalls++;
    const picked = lb.choose(now);
    if (picked.code !== RetCode.SUCC) {
      failed[bucket]++;
      overloads++;
      if (inFreshWindow) freshFailed++;
      continue;
    }
    const index = picked.host.ip - 0x0A000001;
    if (index === scenario.watched) watched[bucket]++;
    const fails = callFails(scenario.condition(index, t), loads[index].add(t), random);
    if (fails) failed[bucket]++;
    if (fails && inFreshWindow) freshFailed++;
    lb.report(picked.host.ip, picked.host.port, fails ? RetCode.SYSTEM_ERROR : RetCode.SUCC, now);
  }
  sampleUntil(buckets);
  return {
    // Out and back times: over the agents that were calling when the fault began.
    ..._summarize(scenario, {
      total,
      failed,
      watched,
      fairShare,
      out: out.slice(0, firstFresh),
    }, overloads),
    freshFailedShare: freshCalls === 0 ? NaN : freshFailed / freshCalls,
  };
}

function _fairShare(
  scenario: Scenario,
  weightOf: (i: number) => number,
  routeSize: number,
): number {
  if (scenario.watched >= routeSize) return 0;
  let sum = 0;
  for (let i = 0; i < routeSize; i++) sum += weightOf(i);
  return weightOf(scenario.watched) / sum;
}

interface Series {
  total: Float64Array;
  failed: Float64Array;
  watched: Float64Array;
  /** Sum over the bucket's calls of the watched host's fair share: its expected calls. */
  fairShare: Float64Array;
  /** Per agent, per bucket: 1 when the watched host was out of that agent's rotation. */
  out: Uint8Array[];
}

/** The median of `values`, NaN counted as larger than any number. */
function _median(values: number[]): number {
  const sorted = values.map((v) => Number.isNaN(v) ? Infinity : v).sort((a, b) => a - b);
  const middle = sorted[Math.floor(sorted.length / 2)];
  return middle === Infinity ? NaN : middle;
}

function _summarize(
  scenario: Scenario,
  s: Series,
  overloads: number,
): Omit<RunResult, "freshFailedShare"> {
  const sum = (a: Float64Array, from = 0, to = a.length) =>
    a.subarray(from, to).reduce((x, y) => x + y, 0);
  const [faultStart, faultEnd] = scenario.fault.map((t) => Math.floor(t / BUCKET_SECONDS));
  const calls = sum(s.total);
  const relative = (b: number) => s.fairShare[b] === 0 ? 0 : s.watched[b] / s.fairShare[b];
  const buckets = s.total.length;
  const firstOut = (out: Uint8Array) => {
    for (let b = faultStart; b < faultEnd; b++) {
      if (out[b]) return (b - faultStart) * BUCKET_SECONDS;
    }
    return NaN;
  };
  const backForGood = (out: Uint8Array) => {
    let b = buckets;
    while (b > faultEnd && !out[b - 1]) b--;
    return b === buckets && out[buckets - 1] ? NaN : (b - faultEnd) * BUCKET_SECONDS;
  };
  return {
    calls,
    failedShare: sum(s.failed) / calls,
    overloadShare: overloads / calls,
    timeToOut: _median(s.out.map(firstOut)),
    timeToBack: _median(s.out.map(backForGood)),
    badHostShare: sum(s.watched, faultStart, faultEnd) / sum(s.total, faultStart, faultEnd),
    watchedSeries: Array.from({ length: buckets }, (_, b) => relative(b)),
    failedSeries: Array.from(s.total, (n, b) => n === 0 ? 0 : s.failed[b] / n),
  };
}

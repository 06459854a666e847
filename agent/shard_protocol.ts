/**
 * Messages between the agent's main isolate and the worker of its three shards
 * (the original's `dns_queue` and `report_queue`, plus route updates back).
 * They travel in batches over a {@linkcode WorkerChannel}.
 *
 * @module
 */
import type { HostInfo, ReportStatusRequest } from "../proto/messages.ts";
import type { LogFormat } from "../reactor/log.ts";
import type { NetCounterName } from "../reactor/net_counters.ts";
import type { StateReason } from "./host_list.ts";
import type { LoadBalanceOptions } from "./load_balance_options.ts";

/** Settings a shard starts with. */
export interface ShardSettings {
  /** Index of the shard, 0..2. */
  index: number;
  /** UDP address to bind. */
  hostname: string;
  /** UDP port of this shard (`[agent] port + index`). */
  port: number;
  /** Balancer tuning from `[loadbalance]`. */
  loadBalance: LoadBalanceOptions;
  /** The agent's IPv4 address (unsigned), reported as `caller`. */
  caller: number;
  /** How often statistics are committed to the reporter, in ms. */
  reportIntervalMs: number;
  /** Name of the main isolate's transport (`deno`, `node`): the shard binds its UDP port with it. */
  transport: string;
  /** Log line format of the main isolate, which the worker uses too. */
  logFormat?: LogFormat;
  /** Most modules in the shard's table (`[agent] max_modules`). */
  maxModules: number;
}

/** What the admin endpoint asks every shard: counters, and optionally every host's state. */
export interface InspectRequest {
  /** Include every module's hosts ({@linkcode ModuleView}). */
  hosts: boolean;
  /** Only this module (with `hosts`). */
  module?: { modid: number; cmdid: number };
  /**
   * With `hosts`: list modules in (modid, cmdid) order, whole, only while
   * their hosts add up to at most this many (the first module always). The
   * inspection's `moduleCount` tells how many there are in all.
   */
  hostLimit?: number;
}

/** A route a (re)started shard gets from the main isolate; `hosts` is never empty. */
export interface RestoredRoute {
  /** Module id. */
  readonly modid: number;
  /** Command id. */
  readonly cmdid: number;
  /** Hosts. */
  readonly hosts: HostInfo[];
  /** Unix time in seconds when DNS last sent them. */
  readonly updatedAt: number;
}

/** Main -> shard. */
export type ToShard =
  /** Starts the shard with `routes` in its table before it binds its port. */
  | { type: "start"; settings: ShardSettings; routes: RestoredRoute[] }
  | { type: "route"; modid: number; cmdid: number; hosts: HostInfo[] }
  /** The main isolate refused the module's pull (its module cap): drop it if it has no hosts. */
  | { type: "forget"; modid: number; cmdid: number }
  | { type: "stop" }
  | { type: "inspect"; id: number; request: InspectRequest }
  /** Makes the worker throw an uncaught error (tests and failure drills). */
  | { type: "fail"; index?: number; reason: string };

/** Counters a shard reports. */
export interface ShardStats {
  /** Shard index. */
  index: number;
  /** Modules in the shard's table. */
  modules: number;
  /** GetHost requests answered. */
  getHost: number;
  /** Report requests applied. */
  report: number;
  /** API_GetRoute requests answered. */
  getRoute: number;
  /** API_GetRoute replies cut to the hosts that fit one datagram. */
  getRouteCut: number;
  /** Datagrams dropped as malformed. */
  badDatagrams: number;
  /** Reports for unknown modules or hosts. */
  unknownReports: number;
  /** Requests for new modules refused because the table held `maxModules`. */
  modulesRefused: number;
}

/** One host as the shard's balancer sees it (for `/hosts`). */
export interface HostView {
  /** Dotted IPv4 address. */
  ip: string;
  /** Port. */
  port: number;
  /** `idle` (in rotation) or `overload` (taken out, probed now and then). */
  state: "idle" | "overload";
  /** Real calls counted since the current window started (what is reported). */
  window: { succ: number; err: number };
  /** The balancer's virtual counts (window plus the initial counts), which decide. */
  virtual: { succ: number; err: number };
  /** Current streaks. */
  contiguous: { succ: number; err: number };
  /** Unix time in seconds when the host entered its state. */
  since: number;
  /** Unix time in seconds when the current window started. */
  windowSince: number;
  /** Why the host last changed state (for an overloaded host: why it was taken out). */
  reason: StateReason | null;
  /** Weight from DNS (1 when the route carries none). */
  weight: number;
  /** Overloaded, yet kept in rotation because the module is in panic (the ejection cap). */
  pardoned: boolean;
  /** Ejections in a row, each soon after the host came back (each makes the next out time longer). */
  repeats: number;
  /** Share of its weight the host takes now: below 1 during slow start. */
  share: number;
}

/** One module of a shard (for `/hosts`). */
export interface ModuleView {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Shard index. */
  shard: number;
  /** `pulling` while a pull to DNS is in flight, else `new`. */
  status: "new" | "pulling";
  /** Unix time in seconds of the last route from DNS (0: never). */
  lastUpdate: number;
  /** More hosts are overloaded than `max_ejection_percent` allows out: the least bad stay in. */
  panic: boolean;
  /** Hosts, idle first. */
  hosts: HostView[];
}

/** A shard's answer to an {@linkcode InspectRequest}. */
export interface ShardInspection {
  /** Request counters. */
  stats: ShardStats;
  /** GetHost answers by result: `succ`, `overload`, `noexist`. */
  getHostResults: Record<string, number>;
  /** Hosts by state, over the shard's modules. */
  hostStates: { idle: number; overload: number };
  /** Hosts taken out or put back since start, by rule (`contin_err`, `overload_timeout`, ...). */
  transitions: Record<string, number>;
  /** The UDP server's network counters. */
  net: Record<NetCounterName, number>;
  /** Every module with its hosts (up to `hostLimit` hosts), when asked. */
  modules: ModuleView[] | null;
  /** With `hosts`: how many modules `modules` would list without `hostLimit`. */
  moduleCount?: number;
}

/** Shard -> main. */
export type FromShard =
  | { type: "ready"; index: number; port: number }
  | { type: "startFailed"; index: number; error: string }
  | { type: "pull"; modid: number; cmdid: number }
  | { type: "report"; requests: ReportStatusRequest[] }
  | { type: "stopped"; index: number; stats: ShardStats | null }
  | { type: "inspection"; id: number; inspection: ShardInspection };

/**
 * Messages between the agent's main isolate and the worker of its three shards
 * (the original's `dns_queue` and `report_queue`, plus route updates back).
 * They travel in batches over a {@linkcode WorkerChannel}.
 *
 * @module
 */
import type { HostInfo, ReportStatusRequest } from "../proto/messages.ts";
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
}

/** Main -> shard. */
export type ToShard =
  | { type: "start"; settings: ShardSettings }
  | { type: "route"; modid: number; cmdid: number; hosts: HostInfo[] }
  | { type: "restore"; modid: number; cmdid: number; hosts: HostInfo[]; updatedAt: number }
  | { type: "stop" }
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
}

/** Shard -> main. */
export type FromShard =
  | { type: "ready"; index: number; port: number }
  | { type: "startFailed"; index: number; error: string }
  | { type: "pull"; modid: number; cmdid: number }
  | { type: "report"; requests: ReportStatusRequest[] }
  | { type: "stopped"; index: number; stats: ShardStats | null };

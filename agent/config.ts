/**
 * Reads the agent's settings from `lars_lb_agent.conf`: the original's
 * `[reporter]`, `[dnsserver]` and `[loadbalance]` sections, plus our `[agent]`.
 *
 * @module
 */
import { ipToInt } from "../proto/ip.ts";
import type { Config } from "../reactor/config.ts";
import {
  DEFAULT_LOAD_BALANCE_OPTIONS as D,
  type LoadBalanceOptions,
} from "./load_balance_options.ts";

/** Default of `[agent] max_modules`: room for 100,000 real modules and as many in flight. */
export const DEFAULT_MAX_MODULES = 200_000;

/** Settings of the agent. */
export interface AgentSettings {
  /** UDP bind address (`[agent] ip`, default loopback, unlike the original's 0.0.0.0). */
  hostname: string;
  /** First of the three UDP ports (`[agent] port`). */
  port: number;
  /** DNS service (`[dnsserver] ip, port`). */
  dns: { hostname: string; port: number };
  /** Report service (`[reporter] ip, port`). */
  reporter: { hostname: string; port: number };
  /** Balancer tuning (`[loadbalance]`). */
  loadBalance: LoadBalanceOptions;
  /** Seconds between statistics commits per module (`[agent] report_interval`). */
  reportIntervalSeconds: number;
  /** Route cache directory (`[agent] cache_dir`); empty turns the cache off. */
  cacheDir: string;
  /** Caller IPv4 (`[agent] caller`); undefined means the host's own address. */
  caller?: number;
  /**
   * Seconds the last hosts of a module keep serving after DNS answers it empty
   * (`[agent] empty_route_hold`, default 300; 0 applies an empty route at once).
   */
  emptyRouteHoldSeconds: number;
  /**
   * Seconds of silence after which the DNS connection is probed and, without an
   * answer, replaced (`[agent] peer_timeout`, default 10): half of it idle, half
   * waiting for the probe's answer. A report connection idle this long is
   * replaced before the next report.
   */
  peerTimeoutSeconds: number;
  /**
   * Most modules the agent knows at once (`[agent] max_modules`, default
   * 200000): each shard's table and the main isolate's known routes. A request
   * for a new module past it answers `RET_NOEXIST` without pulling, counted and
   * logged (throttled).
   */
  maxModules: number;
}

/**
 * Reads and checks the settings.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function readAgentSettings(config: Config): AgentSettings {
  const lb = "loadbalance";
  const positiveInt = { min: 1 };
  const rate = { min: 0, max: 1 };
  const seconds = { min: 0 };
  return {
    hostname: config.ipv4("agent", "ip", "127.0.0.1"),
    port: config.int("agent", "port", 8888, { min: 1, max: 65533 }),
    dns: {
      hostname: config.ipv4("dnsserver", "ip"),
      port: config.port("dnsserver", "port"),
    },
    reporter: {
      hostname: config.ipv4("reporter", "ip"),
      port: config.port("reporter", "port"),
    },
    loadBalance: {
      probeNum: config.int(lb, "probe_num", D.probeNum, positiveInt),
      initSuccCnt: config.int(lb, "init_succ_cnt", D.initSuccCnt, { min: 0 }),
      initErrCnt: config.int(lb, "init_err_cnt", D.initErrCnt, { min: 0 }),
      errRate: config.number(lb, "err_rate", D.errRate, rate),
      succRate: config.number(lb, "succ_rate", D.succRate, rate),
      continErrLimit: config.int(lb, "contin_err_limit", D.continErrLimit, positiveInt),
      continSuccLimit: config.int(lb, "contin_succ_limit", D.continSuccLimit, positiveInt),
      windowErrRate: config.number(lb, "window_err_rate", D.windowErrRate, rate),
      idleTimeout: config.number(lb, "idle_timeout", D.idleTimeout, seconds),
      overloadTimeout: config.number(lb, "overload_timeout", D.overloadTimeout, seconds),
      updateTimeout: config.number(lb, "update_timeout", D.updateTimeout, seconds),
      maxEjectionPercent: config.number(lb, "max_ejection_percent", D.maxEjectionPercent, {
        min: 0,
        max: 100,
      }),
      maxOverloadTimeout: config.number(
        lb,
        "max_overload_timeout",
        D.maxOverloadTimeout,
        seconds,
      ),
      probeInterval: config.number(lb, "probe_interval", D.probeInterval, seconds),
      slowStart: config.number(lb, "slow_start", D.slowStart, seconds),
    },
    reportIntervalSeconds: config.number("agent", "report_interval", 1, { min: 0.01, max: 3600 }),
    cacheDir: config.string("agent", "cache_dir", "data/agent_cache"),
    caller: config.has("agent", "caller") ? ipToInt(config.ipv4("agent", "caller")) : undefined,
    emptyRouteHoldSeconds: config.number("agent", "empty_route_hold", 300, { min: 0 }),
    peerTimeoutSeconds: config.number("agent", "peer_timeout", 10, { min: 0.1, max: 3600 }),
    maxModules: config.int("agent", "max_modules", DEFAULT_MAX_MODULES, { min: 1 }),
  };
}

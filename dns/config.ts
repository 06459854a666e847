/**
 * Reads the DNS service's settings from `lars_dns.conf`: the original's
 * `[reactor]` and `[mysql]` sections, plus our `[store] url`, the `[reactor]`
 * connection limits, the `[dns]` subscription caps and the `[dns]` change
 * tracking keys (poll and reload periods, change retention).
 *
 * @module
 */
import type { Config } from "../reactor/config.ts";
import { readServerLimits, type ServerLimits } from "../reactor/server_settings.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { DEFAULT_FLEET_HEALTH as F, type FleetHealthOptions } from "./fleet_health.ts";
import type { SubscriptionLimits } from "./subscriptions.ts";

/** Settings of the DNS service. */
export interface DnsSettings extends ServerLimits {
  /** Listen address (`[reactor] ip`). */
  hostname: string;
  /** Listen port (`[reactor] port`). */
  port: number;
  /** Store URL (`[store] url`, else built from `[mysql]`). */
  storeUrl: string;
  /** How often `RouteVersion` is read, in ms (`[dns] poll_interval_ms`). */
  pollIntervalMs: number;
  /** Whole-table reload period, in ms (`[dns] reload_interval`, in seconds). */
  reloadIntervalMs: number;
  /** Seconds `RouteChange` rows are kept (`[dns] change_retention`). */
  changeRetentionS: number;
  /** Fleet verdicts sent with routes (`[dns] fleet_health`, `fleet_*`); false when off. */
  fleet: FleetHealthOptions | false;
  /**
   * Caps per connection: `[dns] max_subscriptions` (default 200000) and
   * `max_unknown_subscriptions` (to modules that did not exist when asked, default 1000).
   */
  subscriptions: Required<SubscriptionLimits>;
}

/**
 * Reads and checks the settings.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function readDnsSettings(config: Config): DnsSettings {
  return {
    hostname: config.ipv4("reactor", "ip", "127.0.0.1"),
    port: config.listenPort("reactor", "port", 7778),
    ...readServerLimits(config),
    storeUrl: storeUrlFromConfig(config),
    pollIntervalMs: config.int("dns", "poll_interval_ms", 100, { min: 10, max: 60_000 }),
    reloadIntervalMs: config.number("dns", "reload_interval", 60, { min: 1, max: 86_400 }) * 1000,
    changeRetentionS: config.int("dns", "change_retention", 600, { min: 60, max: 30 * 86_400 }),
    fleet: config.bool("dns", "fleet_health", true)
      ? {
        windowSeconds: config.number("dns", "fleet_window", F.windowSeconds, { min: 1 }),
        overloadShare: config.number("dns", "fleet_overload_share", F.overloadShare, {
          min: 0,
          max: 1,
        }),
        minCallers: config.int("dns", "fleet_min_callers", F.minCallers, { min: 1 }),
        intervalMs: 1000 * config.number("dns", "fleet_interval", F.intervalMs / 1000, {
          min: 0.1,
        }),
      }
      : false,
    subscriptions: {
      maxPerConnection: config.int("dns", "max_subscriptions", 200_000, { min: 1 }),
      maxUnknownPerConnection: config.int("dns", "max_unknown_subscriptions", 1000, { min: 0 }),
    },
  };
}

/**
 * Reads the DNS service's settings from `lars_dns.conf`: the original's
 * `[reactor]` and `[mysql]` sections, plus our `[store] url`.
 *
 * @module
 */
import type { Config } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { DEFAULT_FLEET_HEALTH as F, type FleetHealthOptions } from "./fleet_health.ts";

/** Settings of the DNS service. */
export interface DnsSettings {
  /** Listen address (`[reactor] ip`). */
  hostname: string;
  /** Listen port (`[reactor] port`). */
  port: number;
  /** Most connections (`[reactor] maxConn`). */
  maxConn: number;
  /** Store URL (`[store] url`, else built from `[mysql]`). */
  storeUrl: string;
  /** Fleet verdicts sent with routes (`[dns] fleet_health`, `fleet_*`); false when off. */
  fleet: FleetHealthOptions | false;
}

/**
 * Reads and checks the settings.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function readDnsSettings(config: Config): DnsSettings {
  return {
    hostname: config.ipv4("reactor", "ip", "127.0.0.1"),
    port: config.port("reactor", "port", 7778),
    maxConn: config.int("reactor", "maxConn", 1024, { min: 1 }),
    storeUrl: storeUrlFromConfig(config),
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
  };
}

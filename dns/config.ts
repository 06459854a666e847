/**
 * Reads the DNS service's settings from `lars_dns.conf`: the original's
 * `[reactor]` and `[mysql]` sections, plus our `[store] url` and `[dns]`
 * keys (poll and reload periods, change retention).
 *
 * @module
 */
import type { Config } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";

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
  /** How often `RouteVersion` is read, in ms (`[dns] poll_interval_ms`). */
  pollIntervalMs: number;
  /** Whole-table reload period, in ms (`[dns] reload_interval`, in seconds). */
  reloadIntervalMs: number;
  /** Seconds `RouteChange` rows are kept (`[dns] change_retention`). */
  changeRetentionS: number;
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
    pollIntervalMs: config.int("dns", "poll_interval_ms", 100, { min: 10, max: 60_000 }),
    reloadIntervalMs: config.number("dns", "reload_interval", 60, { min: 1, max: 86_400 }) * 1000,
    changeRetentionS: config.int("dns", "change_retention", 600, { min: 60, max: 30 * 86_400 }),
  };
}

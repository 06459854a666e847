/**
 * Operations settings every service reads from its config file: `[admin] ip,
 * port` (the HTTP admin endpoint, off unless `port` is set) and `[log] format`.
 *
 * @module
 */
import { type Config, ConfigError } from "./config.ts";
import { isLogFormat, type LogFormat } from "./log.ts";

/** Where the admin endpoint listens. */
export interface AdminSettings {
  /** Listen address (`[admin] ip`, default loopback). */
  hostname: string;
  /** Listen port (`[admin] port`; 0 picks a free one). */
  port: number;
}

/**
 * Reads `[admin] ip` (default `127.0.0.1`) and `[admin] port` (0..65535);
 * answers null when `port` is absent, which leaves the endpoint off.
 *
 * @throws {ConfigError} naming file, section and key of a bad value
 */
export function readAdminSettings(config: Config): AdminSettings | null {
  if (!config.has("admin", "port")) return null;
  return {
    hostname: config.ipv4("admin", "ip", "127.0.0.1"),
    port: config.listenPort("admin", "port"),
  };
}

/**
 * Reads `[log] format` (`text` or `json`); answers undefined when absent, so
 * `LARS_LOG_FORMAT` (or the default, `text`) stays in effect.
 *
 * @throws {ConfigError} naming file, section and key of a bad value
 */
export function readLogFormat(config: Config): LogFormat | undefined {
  if (!config.has("log", "format")) return undefined;
  const value = config.string("log", "format");
  if (!isLogFormat(value)) {
    throw new ConfigError(config.file, "log", "format", `expected text or json, got "${value}"`);
  }
  return value;
}

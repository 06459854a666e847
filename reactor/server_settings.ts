/**
 * The `[reactor]` keys every Lars TCP service reads to protect itself:
 * `maxConn` (the original's), and our `max_conn_per_ip`, `frame_timeout_ms`
 * and `allow`.
 *
 * @module
 */
import { type Cidr, parseCidrList } from "./cidr.ts";
import { type Config, ConfigError } from "./config.ts";

/** Connection limits of a TCP service, as {@linkcode TcpServer} options take them. */
export interface ServerLimits {
  /** Most connections (`[reactor] maxConn`, default 1024). */
  maxConn: number;
  /** Most connections from one address (`[reactor] max_conn_per_ip`, default 128, 0 = off). */
  maxConnPerIp: number;
  /** Deadline in ms to finish a started frame (`[reactor] frame_timeout_ms`, default 10000, 0 = off). */
  frameTimeoutMs: number;
  /** Peers allowed to connect (`[reactor] allow`, CIDRs; default empty = everyone). */
  allow: Cidr[];
}

/**
 * Reads and checks the `[reactor]` connection limits.
 *
 * @example
 * ```ts
 * import { Config } from "./config.ts";
 * import { readServerLimits } from "./server_settings.ts";
 * const conf = Config.parse("[reactor]\nallow = 10.0.0.0/8, 127.0.0.1\n", "dns.conf");
 * console.log(readServerLimits(conf).allow.length); // 2
 * ```
 * @throws {ConfigError} naming file, section and key of a bad value
 */
export function readServerLimits(config: Config): ServerLimits {
  let allow: Cidr[];
  const allowText = config.string("reactor", "allow", "");
  try {
    allow = parseCidrList(allowText);
  } catch (err) {
    throw new ConfigError(config.file, "reactor", "allow", (err as Error).message);
  }
  return {
    maxConn: config.int("reactor", "maxConn", 1024, { min: 1 }),
    maxConnPerIp: config.int("reactor", "max_conn_per_ip", 128, { min: 0 }),
    frameTimeoutMs: config.int("reactor", "frame_timeout_ms", 10_000, { min: 0, max: 3_600_000 }),
    allow,
  };
}

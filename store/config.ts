/**
 * The store URL of a service from its Lars config: `[store] url` when present
 * (ours), else a MySQL URL built from the original's `[mysql]` section.
 *
 * @module
 */
import { type Config, ConfigError } from "../reactor/config.ts";
import { mysqlUrlFromConfig, parseStoreUrl } from "./url.ts";

/**
 * Reads the store URL.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function storeUrlFromConfig(config: Config): string {
  if (config.has("store", "url")) {
    const url = config.string("store", "url");
    try {
      parseStoreUrl(url);
    } catch (err) {
      // parseStoreUrl's message never shows a password.
      throw new ConfigError(config.file, "store", "url", (err as Error).message, { cause: err });
    }
    return url;
  }
  return mysqlUrlFromConfig({
    host: config.string("mysql", "db_host", "127.0.0.1"),
    port: config.port("mysql", "db_port", 3306),
    user: config.string("mysql", "db_user"),
    passwd: config.string("mysql", "db_passwd", ""),
    name: config.string("mysql", "db_name", "lars_dns"),
  });
}

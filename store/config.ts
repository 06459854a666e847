/**
 * The store URL of a service from its Lars config: `[store] url` when present
 * (ours), else a MySQL URL built from the original's `[mysql]` section.
 *
 * @module
 */
import { dirname } from "node:path";
import { type Config, ConfigError } from "../reactor/config.ts";
import type { ServiceAccess, ServiceEndpoint } from "../reactor/service.ts";
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

/** What a store URL makes a service use: the MySQL server, or the SQLite file's directory. */
export interface StoreAccess {
  /** The MySQL server to connect to, with the config keys that name it. */
  connect: { hostname: string; port: number; key: string }[];
  /** The SQLite file's directory (the file and its journal live there), read and written. */
  paths: { path: string; key: string; write: boolean }[];
}

/**
 * What the store of `config` (see {@linkcode storeUrlFromConfig}) needs to be
 * reached, for least-privilege permissions and start-up checks.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export function storeAccess(config: Config): StoreAccess {
  const url = storeUrlFromConfig(config);
  const key = config.has("store", "url") ? "[store] url" : "[mysql] db_host, db_port";
  return storeUrlAccess(url, key);
}

/**
 * What store `url` needs to be reached; `key` names where the URL came from.
 *
 * @throws {TypeError} on a bad URL
 */
export function storeUrlAccess(url: string, key: string): StoreAccess {
  const location = parseStoreUrl(url);
  if (location.kind === "mysql") {
    const { host, port = 3306 } = location.config;
    return { connect: [{ hostname: host, port, key }], paths: [] };
  }
  if (location.path === ":memory:") return { connect: [], paths: [] };
  // As written (a relative path stays relative: it is resolved where the service runs).
  const written = url.slice("sqlite:".length).replace(/^\/\/\//, "/");
  return { connect: [], paths: [{ path: dirname(written), key, write: true }] };
}

/**
 * What a service on a route or report store needs (its `access` in
 * `reactor/service.ts`): the address it listens on, the store named by
 * `config`, and the source folders its Web Workers load.
 *
 * @throws {TypeError} on a bad store URL
 */
export function storeServiceAccess(
  config: Config,
  listen: ServiceEndpoint,
  workerSources: string[] = [],
): ServiceAccess {
  const store = storeAccess(config);
  return { listen: [listen], connect: store.connect, paths: store.paths, workerSources };
}

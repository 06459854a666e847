/**
 * Store URLs: `sqlite:PATH` (relative to the working directory;
 * `sqlite::memory:` for a private in-memory database) and
 * `mysql://user:pass@host:port/db` (user and password URL-encoded, port 3306
 * by default). `open*Store` builds the store and runs `init()`.
 *
 * @example
 * ```ts
 * import { openRouteStore } from "./url.ts";
 * const store = await openRouteStore("sqlite::memory:");
 * await store.addHost(1, 1, 0x7F000001, 9000);
 * console.log(await store.listRoutes()); // [{ modid: 1, cmdid: 1, ip: 2130706433, port: 9000 }]
 * await store.close();
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import type { MysqlConnectionConfig, MysqlStoreOptions } from "./mysql.ts";
import { MysqlReportStore, SqliteReportStore } from "./report_store.ts";
import { MysqlRouteStore, SqliteRouteStore } from "./route_store.ts";
import type { SqliteStoreOptions } from "./sqlite.ts";
import type { ReportStore, ReportStoreOptions, RouteStore } from "./types.ts";

/** Options of `openRouteStore`; each store kind reads its own. */
export interface OpenStoreOptions extends SqliteStoreOptions, MysqlStoreOptions {}

/** A parsed store URL. */
export type StoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "mysql"; config: MysqlConnectionConfig };

const _EXPECTED = "expected sqlite:PATH or mysql://user:pass@host:port/db";

/**
 * Parses a store URL.
 * @throws {TypeError} when the URL is not a valid `sqlite:` or `mysql://` URL
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== "string") throw new TypeError(`Invalid store URL: ${_EXPECTED}`);
  if (url.startsWith("sqlite:")) {
    let path = url.slice("sqlite:".length);
    if (path.startsWith("///")) path = path.slice(2);
    if (path === "") throw new TypeError(`Invalid store URL "${url}": empty SQLite path`);
    return { kind: "sqlite", path: path === ":memory:" ? path : resolve(path) };
  }
  if (url.startsWith("mysql://")) return { kind: "mysql", config: _parseMysql(url) };
  throw new TypeError(`Invalid store URL "${redactUrl(url)}": ${_EXPECTED}`);
}

function _parseMysql(text: string): MysqlConnectionConfig {
  const bad = (why: string) => new TypeError(`Invalid store URL "${redactUrl(text)}": ${why}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(_EXPECTED);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw bad("missing host");
  if (url.search !== "" || url.hash !== "") throw bad("query and fragment are not supported");
  const database = url.pathname.replace(/^\//, "");
  if (database === "" || database.includes("/")) throw bad("expected one database name as path");
  try {
    const user = decodeURIComponent(url.username);
    if (user === "") throw bad("missing user");
    return {
      host,
      port: url.port === "" ? 3306 : Number(url.port),
      user,
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(database),
    };
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw bad("malformed percent-encoding");
  }
}

/**
 * A route store for `url`, not yet initialised: nothing is sent to the
 * database (a MySQL pool connects on first use), so a service can start and
 * retry `init()` while the database is down.
 * @throws {TypeError} on a bad URL
 * @throws {StoreError} when the SQLite file cannot be opened
 */
export function createRouteStore(url: string, options: OpenStoreOptions = {}): RouteStore {
  const location = parseStoreUrl(url);
  return location.kind === "sqlite"
    ? new SqliteRouteStore(location.path, options)
    : new MysqlRouteStore(location.config, options);
}

/**
 * A report store for `url`, not yet initialised; see {@linkcode createRouteStore}.
 * @throws {TypeError} on a bad URL
 * @throws {StoreError} when the SQLite file cannot be opened
 */
export function createReportStore(
  url: string,
  options: OpenStoreOptions & ReportStoreOptions = {},
): ReportStore {
  const location = parseStoreUrl(url);
  return location.kind === "sqlite"
    ? new SqliteReportStore(location.path, options)
    : new MysqlReportStore(location.config, options);
}

/**
 * Opens and initialises a route store.
 * @throws {TypeError} on a bad URL
 * @throws {StoreError} when the database cannot be opened or initialised (retryable)
 */
export function openRouteStore(url: string, options: OpenStoreOptions = {}): Promise<RouteStore> {
  return _initOrClose(createRouteStore(url, options));
}

/**
 * Opens and initialises a report store.
 * @throws {TypeError} on a bad URL
 * @throws {StoreError} when the database cannot be opened or initialised (retryable)
 */
export function openReportStore(
  url: string,
  options: OpenStoreOptions & ReportStoreOptions = {},
): Promise<ReportStore> {
  return _initOrClose(createReportStore(url, options));
}

async function _initOrClose<T extends { init(): Promise<void>; close(): Promise<void> }>(
  store: T,
): Promise<T> {
  try {
    await store.init();
    return store;
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

/** The `[mysql]` section of a Lars config file (`db_host`, `db_port`, ...). */
export interface MysqlConfigSection {
  /** `db_host`. */
  host: string;
  /**
   * `db_port`, a number or its text.
   * @default 3306
   */
  port?: number | string;
  /** `db_user`. */
  user: string;
  /**
   * `db_passwd`.
   * @default ""
   */
  passwd?: string;
  /** `db_name`, e.g. `lars_dns`. */
  name: string;
}

/**
 * Builds a `mysql://` store URL from a Lars `[mysql]` section.
 * @throws {TypeError} when host, user or name is empty
 * @throws {RangeError} when the port is not in 1 ..= 65535
 */
export function mysqlUrlFromConfig(section: MysqlConfigSection): string {
  for (const key of ["host", "user", "name"] as const) {
    if (typeof section[key] !== "string" || section[key].trim() === "") {
      throw new TypeError(`Invalid MySQL config: db_${key} is empty`);
    }
  }
  const port = Number(section.port ?? 3306);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Invalid MySQL config: db_port ${section.port} is not in 1 ..= 65535`);
  }
  const host = section.host.trim();
  const user = encodeURIComponent(section.user.trim());
  const passwd = encodeURIComponent(section.passwd ?? "");
  return `mysql://${user}:${passwd}@${host.includes(":") ? `[${host}]` : host}:${port}/` +
    encodeURIComponent(section.name.trim());
}

/**
 * The URL with its password replaced by `***`, for logs and messages. Also safe
 * on malformed URLs: everything between the first `:` after `//` and the last
 * `@` is hidden.
 */
export function redactUrl(url: string): string {
  const schemeEnd = url.indexOf("://");
  if (schemeEnd < 0) return url;
  const authorityStart = schemeEnd + 3;
  const at = url.lastIndexOf("@");
  if (at < authorityStart) return url;
  const colon = url.indexOf(":", authorityStart);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
}

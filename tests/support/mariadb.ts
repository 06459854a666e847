/**
 * A private MariaDB (or MySQL) server for tests.
 *
 * `getTestMysql()` returns, once per test module instance, either the server
 * named by `LARS_TEST_MYSQL_URL` (a URL whose user may create databases; it is
 * never stopped, so restart tests are ignored, and the `lars_store_*` test
 * databases stay on it) or a server of our own: a fresh datadir made by
 * `mariadb-install-db --no-defaults` in a temp directory, `mariadbd` on a free
 * port of 127.0.0.1 with its socket in that directory, and a user `lars` with a
 * random password (no `--skip-grant-tables`). It resolves to `null` when no
 * server binary exists (or `LARS_TEST_MYSQL=skip`), after printing why;
 * callers then mark their tests `ignore`.
 *
 * Lifecycle. `deno test` runs each test file in its own isolate of one process,
 * so every file that calls `getTestMysql()` gets its own server (about 1.5 s).
 * Call it at the top level of the test file, outside any test: the child
 * process is then unref'd and started before any test, so the sanitizers of
 * ordinary tests do not see it. Tests that call `stop()`/`start()` spawn a new
 * child inside the test and must set `sanitizeOps: false` and
 * `sanitizeResources: false`. When the isolate ends (`unload`, synchronous),
 * the server is killed with SIGKILL (its data is throwaway), waited for, and
 * its directory removed. If the process dies without `unload` (Ctrl-C,
 * SIGTERM, crash), a small `/bin/sh` watchdog started beside the server kills
 * it and removes the directory at once; whatever is still left (e.g. after
 * SIGKILL of the watchdog too) is cleaned up by the next run.
 *
 * @example
 * ```ts ignore
 * import { getTestMysql, testMysqlUnavailableReason } from "../support/mariadb.ts";
 *
 * const mysql = await getTestMysql(); // top level: outside any test
 * Deno.test({
 *   name: "dns - routes from MySQL",
 *   ignore: mysql === null, // the reason was printed: testMysqlUnavailableReason()
 *   async fn() {
 *     const url = await mysql!.createDatabase("dns_routes");
 *     // ... open stores on `url`, run the service ...
 *   },
 * });
 * ```
 *
 * @module
 */

// Versioned npm: specifier on purpose (no import map); see store/mysql.ts.
import mysql from "npm:mysql2@3.24.6/promise";
import { redactUrl } from "../../store/url.ts";
import {
  DIR_PREFIX,
  findExecutable,
  freePort,
  removeStaleDirs,
  startWatchdog,
  waitUntilDead,
} from "./mariadb_process.ts";
import { errorText } from "../../reactor/text.ts";

/** A MySQL server for tests. */
export interface TestMysql {
  /** True when this process runs the server, so `stop()`/`start()` work. */
  readonly managed: boolean;
  /** Host the server listens on. */
  readonly host: string;
  /** TCP port the server listens on. */
  readonly port: number;
  /** `mysql://` URL of database `dbName` for the test user. */
  url(dbName: string): string;
  /** Drops (if present) and creates database `name`; resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (SIGTERM by default) and waits for it to exit. */
  stop(options?: { signal?: "SIGTERM" | "SIGKILL" }): Promise<void>;
  /** Starts the stopped server again on the same port and datadir; waits until ready. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * Small InnoDB files for a throwaway server (the 96 MiB default redo log is
 * written at install, once per test file, on a machine shared with other runs).
 */
const _INNODB_SIZES = ["--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M"];

let _instance: Promise<TestMysql | null> | undefined;
let _unavailableReason: string | null = null;

/** The shared test server of this module instance, or null when none can run. */
export function getTestMysql(): Promise<TestMysql | null> {
  _instance ??= _create();
  return _instance;
}

/** Why `getTestMysql()` resolved to null (for `ignore` messages), or null. */
export function testMysqlUnavailableReason(): string | null {
  return _unavailableReason;
}

async function _create(): Promise<TestMysql | null> {
  if (Deno.env.get("LARS_TEST_MYSQL") === "skip") {
    _unavailableReason = "LARS_TEST_MYSQL=skip";
    console.warn(`\n!!! MySQL tests IGNORED: ${_unavailableReason} !!!\n`);
    return null;
  }
  const external = Deno.env.get("LARS_TEST_MYSQL_URL");
  if (external) return await _External.connect(external);
  const server = findExecutable(["mariadbd", "mysqld"]);
  const installer = findExecutable(["mariadb-install-db", "mysql_install_db"]);
  if (!server || !installer) {
    _unavailableReason = `no ${server ? "mariadb-install-db" : "mariadbd/mysqld"} found in ` +
      "PATH or /usr/sbin; set LARS_TEST_MYSQL_URL or install mariadb-server";
    console.warn(`\n!!! MySQL tests IGNORED: ${_unavailableReason} !!!\n`);
    return null;
  }
  return await _Managed.launch(server, installer);
}

function _checkDbName(name: string): void {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new TypeError(`Invalid database name: ${name}`);
}

function _adminConfig(url: URL) {
  return {
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    connectTimeout: 2000,
  };
}

async function _recreateDatabase(adminUrl: URL, name: string): Promise<void> {
  _checkDbName(name);
  const connection = await mysql.createConnection(_adminConfig(adminUrl));
  try {
    // Identifiers cannot be placeholders; the name is checked above.
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.query(`CREATE DATABASE \`${name}\``);
  } finally {
    await connection.end();
  }
}

function _withDb(base: URL, dbName: string): string {
  _checkDbName(dbName);
  const url = new URL(base.href);
  url.pathname = `/${dbName}`;
  return url.href;
}

/** A server we do not own: `LARS_TEST_MYSQL_URL`. */
class _External implements TestMysql {
  readonly managed = false;
  readonly host: string;
  readonly port: number;
  readonly #base: URL;

  private constructor(base: URL) {
    this.#base = base;
    this.host = base.hostname;
    this.port = Number(base.port || 3306);
  }

  static async connect(text: string): Promise<_External> {
    const base = new URL(text);
    if (base.protocol !== "mysql:") throw new TypeError("LARS_TEST_MYSQL_URL must be mysql://");
    try {
      const connection = await mysql.createConnection(_adminConfig(base));
      await connection.end();
    } catch (error) {
      const message = errorText(error);
      throw new Error(`Cannot connect to LARS_TEST_MYSQL_URL ${redactUrl(text)}: ${message}`, {
        cause: error,
      });
    }
    return new _External(base);
  }

  url(dbName: string): string {
    return _withDb(this.#base, dbName);
  }

  async createDatabase(name: string): Promise<string> {
    await _recreateDatabase(this.#base, name);
    return this.url(name);
  }

  stop(): Promise<void> {
    return Promise.reject(new Error("Cannot stop the server of LARS_TEST_MYSQL_URL"));
  }

  start(): Promise<void> {
    return Promise.reject(new Error("Cannot start the server of LARS_TEST_MYSQL_URL"));
  }
}

/** A server this process runs in a temp directory. */
class _Managed implements TestMysql {
  readonly managed = true;
  readonly host = "127.0.0.1";
  port = 0;
  readonly #server: string;
  readonly #dir: string;
  readonly #password: string;
  #child: Deno.ChildProcess | null = null;
  #watchdog: Deno.ChildProcess | null = null;
  #exited: Promise<Deno.CommandStatus> | null = null;
  #stopping: () => void = () => {};

  private constructor(server: string, dir: string, password: string) {
    this.#server = server;
    this.#dir = dir;
    this.#password = password;
  }

  static async launch(server: string, installer: string): Promise<_Managed> {
    removeStaleDirs();
    const dir = await Deno.makeTempDir({ prefix: DIR_PREFIX });
    await Deno.writeTextFile(`${dir}/owner.pid`, String(Deno.pid));
    const password = Array.from(crypto.getRandomValues(new Uint8Array(12)))
      .map((byte) => byte.toString(16).padStart(2, "0")).join("");
    const managed = new _Managed(server, dir, password);
    globalThis.addEventListener("unload", () => managed.#killSync());
    managed.#watchdog = startWatchdog(dir);
    try {
      await managed.#install(installer);
      // A free port may be taken by someone else before the server binds it: retry.
      for (let attempt = 1;; attempt++) {
        managed.port = freePort();
        try {
          await managed.start();
          return managed;
        } catch (error) {
          if (attempt >= 3 || !managed.#logTail().includes("already in use")) throw error;
        }
      }
    } catch (error) {
      managed.#killSync();
      throw error;
    }
  }

  url(dbName: string): string {
    return _withDb(this.#adminUrl(), dbName);
  }

  async createDatabase(name: string): Promise<string> {
    await _recreateDatabase(this.#adminUrl(), name);
    return this.url(name);
  }

  async stop(options: { signal?: "SIGTERM" | "SIGKILL" } = {}): Promise<void> {
    const child = this.#child;
    if (!child || !this.#exited) return;
    child.ref();
    this.#stopping();
    child.kill(options.signal ?? "SIGTERM");
    const escalate = setTimeout(() => child.kill("SIGKILL"), 20_000);
    try {
      await this.#exited;
    } finally {
      clearTimeout(escalate);
      this.#child = null;
      this.#exited = null;
    }
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error("Test MySQL server is already running");
    const child = new Deno.Command(this.#server, {
      args: this.#serverArgs(),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    this.#child = child;
    const exited = child.status;
    this.#exited = exited;
    let done = false;
    let stopping = false;
    this.#stopping = () => stopping = true;
    exited.then((status) => {
      done = true;
      // A server that dies on its own makes later tests fail with ECONNREFUSED:
      // say so at once, with the server's own words.
      if (!stopping && this.#child === child) {
        console.error(
          `\n!!! Test MySQL server on port ${this.port} exited on its own ` +
            `(code ${status.code}, signal ${status.signal}); log tail:\n${this.#logTail()}\n`,
        );
      }
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (done) {
        this.#child = null;
        this.#exited = null;
        throw new Error(`Test MySQL server exited at start; log tail:\n${this.#logTail()}`);
      }
      if (await this.#accepts()) return;
      if (Date.now() > deadline) {
        await this.stop({ signal: "SIGKILL" });
        throw new Error(
          `Test MySQL server not ready after ${READY_TIMEOUT_MS} ms; log tail:\n${this.#logTail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  #adminUrl(): URL {
    return new URL(`mysql://lars:${this.#password}@${this.host}:${this.port}/`);
  }

  async #install(installer: string): Promise<void> {
    const init = ["'lars'@'%'", "'lars'@'localhost'"].map((user) =>
      `CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY '${this.#password}';\n` +
      `GRANT ALL PRIVILEGES ON *.* TO ${user} WITH GRANT OPTION;\n`
    ).join("");
    await Deno.writeTextFile(`${this.#dir}/init.sql`, init);
    await Deno.mkdir(`${this.#dir}/tmp`);
    const output = await new Deno.Command(installer, {
      args: [
        "--no-defaults",
        `--datadir=${this.#dir}/data`,
        // Passed on to the bootstrap server: its temporary tables (tmp_user_sys) go
        // here, not to a /tmp shared with every other server on the machine.
        `--tmpdir=${this.#dir}/tmp`,
        ..._INNODB_SIZES,
        "--user=root",
        "--auth-root-authentication-method=socket",
        "--skip-test-db",
      ],
      stdin: "null",
    }).output();
    if (!output.success) {
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      throw new Error(`${installer} failed:\n${text.split("\n").slice(-30).join("\n")}`);
    }
  }

  #serverArgs(): string[] {
    const dir = this.#dir;
    return [
      "--no-defaults",
      `--datadir=${dir}/data`,
      `--socket=${dir}/mysqld.sock`,
      `--pid-file=${dir}/mysqld.pid`,
      `--log-error=${dir}/error.log`,
      `--init-file=${dir}/init.sql`,
      `--tmpdir=${dir}/tmp`,
      `--port=${this.port}`,
      "--bind-address=127.0.0.1",
      "--user=root",
      "--skip-name-resolve",
      ..._INNODB_SIZES,
      "--innodb-flush-log-at-trx-commit=2",
      "--max-connections=500",
    ];
  }

  /**
   * True once this server answers a query as `lars` on its TCP port. The
   * answer must come from this server (its socket path), not from another
   * one that took the port.
   */
  async #accepts(): Promise<boolean> {
    try {
      const connection = await mysql.createConnection({
        host: this.host,
        port: this.port,
        user: "lars",
        password: this.#password,
        connectTimeout: 1000,
      });
      try {
        const [rows] = await connection.query("SELECT @@socket AS socket");
        return (rows as { socket: string }[])[0]?.socket === `${this.#dir}/mysqld.sock`;
      } finally {
        await connection.end();
      }
    } catch {
      return false;
    }
  }

  #logTail(): string {
    try {
      return Deno.readTextFileSync(`${this.#dir}/error.log`).split("\n").slice(-30).join("\n");
    } catch {
      return "(no error.log)";
    }
  }

  /** Kills the server and removes its directory, synchronously (for `unload`). */
  #killSync(): void {
    const child = this.#child;
    this.#child = null;
    if (child) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      waitUntilDead(child.pid, 5000);
    }
    try {
      Deno.removeSync(this.#dir, { recursive: true });
    } catch {
      // best effort
    }
    try {
      this.#watchdog?.kill("SIGKILL");
    } catch {
      // already gone
    }
    this.#watchdog = null;
  }
}

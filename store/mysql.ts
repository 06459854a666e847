/**
 * The MySQL/MariaDB driver: runs store operations with `await` on a mysql2
 * pool. Prepared statements only (`execute` with `?` placeholders), a
 * transaction on one pooled connection, and every failure wrapped in a
 * StoreError that names the operation and the server but never the password.
 * Works on a database made by the original Lars SQL script as it is.
 *
 * The pool heals by itself: a connection that fails fatally is destroyed, the
 * next call opens a new one, so the first call after a database restart works.
 *
 * @module
 */

// Versioned npm: specifiers on purpose: a module imported by URL gets no import map.
import type * as Mysql from "npm:mysql2@3.24.6/promise";
import {
  driveAsync,
  type Driver,
  type Operation,
  type SqlParam,
  type SqlRow,
  type Statement,
} from "./operation.ts";
import { errorText } from "../reactor/text.ts";
import { ModuleTooLargeError, StoreError } from "./types.ts";

/** Where and as whom to connect. */
export interface MysqlConnectionConfig {
  /** Server host name or address. */
  host: string;
  /**
   * Server TCP port.
   * @default 3306
   */
  port?: number;
  /** User name. */
  user: string;
  /** Password; never logged nor put in error messages. */
  password: string;
  /** Database name, e.g. `lars_dns`. */
  database: string;
}

/** Options of the MySQL stores. */
export interface MysqlStoreOptions {
  /**
   * How long opening one connection may take, in milliseconds.
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Most connections the pool opens at once.
   * @default 4
   */
  connectionLimit?: number;
}

/** mysql2 marks errors after which the connection is unusable with `fatal`. */
function _isFatal(error: unknown): boolean {
  return error instanceof Error && (error as Error & { fatal?: boolean }).fatal === true;
}

/** Sends one statement on `connection` (prepared, except DDL). */
async function _send(connection: Mysql.PoolConnection, statement: Statement) {
  if (statement.kind === "exec") {
    await connection.query(statement.sql);
    return 0;
  }
  const params = statement.params as SqlParam[];
  if (statement.kind === "query") {
    const [rows] = await connection.execute<Mysql.RowDataPacket[]>(statement.sql, params);
    return rows as SqlRow[];
  }
  const [header] = await connection.execute<Mysql.ResultSetHeader>(statement.sql, params);
  return header.affectedRows;
}

/** Runs operations on a mysql2 pool. */
export class MysqlDriver implements Driver {
  /** Always `"mysql"`. */
  readonly dialect = "mysql" as const;
  readonly #poolOptions: Mysql.PoolOptions;
  #pool: Promise<Mysql.Pool> | null = null;
  readonly #server: string;

  /**
   * Checks the options; mysql2 is loaded and the pool created at the first call (a process
   * that never talks to MySQL, like the reporter's main isolate, does not pay for the driver).
   * @throws {RangeError} when an option is out of range
   */
  constructor(config: MysqlConnectionConfig, options: MysqlStoreOptions = {}) {
    const connectTimeout = options.connectTimeoutMs ?? 5000;
    const connectionLimit = options.connectionLimit ?? 4;
    if (!Number.isInteger(connectTimeout) || connectTimeout <= 0) {
      throw new RangeError(`Invalid connectTimeoutMs: ${connectTimeout}`);
    }
    if (!Number.isInteger(connectionLimit) || connectionLimit <= 0) {
      throw new RangeError(`Invalid connectionLimit: ${connectionLimit}`);
    }
    const port = config.port ?? 3306;
    this.#server = `${config.user}@${config.host}:${port}/${config.database}`;
    this.#poolOptions = {
      host: config.host,
      port,
      user: config.user,
      password: config.password,
      database: config.database,
      connectTimeout,
      connectionLimit,
      maxIdle: connectionLimit,
      waitForConnections: true,
      queueLimit: 0,
      enableKeepAlive: true,
      charset: "utf8mb4",
    };
  }

  /** The pool, created on first use; mysql2 is imported then. */
  #getPool(): Promise<Mysql.Pool> {
    this.#pool ??= import("npm:mysql2@3.24.6/promise").then((mysql) =>
      mysql.default.createPool(this.#poolOptions)
    );
    return this.#pool;
  }

  /**
   * Checks the arguments, then runs `operation` on one pooled connection: in
   * one transaction if it writes (begun at its first statement), else each
   * statement committed on its own.
   */
  async perform<A extends unknown[], T>(operation: Operation<A, T>, ...args: A): Promise<T> {
    operation.check(...args);
    const steps = operation.steps(this.dialect, ...args);
    if (!operation.transaction) {
      return await this.#onConnection(
        operation.name,
        (connection) => driveAsync(steps, (statement) => _send(connection, statement)),
      );
    }
    let connection: Mysql.PoolConnection | null = null;
    let fatal = false;
    try {
      return await driveAsync(steps, async (statement) => {
        connection ??= await this.#begin(operation.name);
        return await _send(connection, statement);
      }).then(async (result) => {
        if (connection) await (connection as Mysql.PoolConnection).commit();
        return result;
      });
    } catch (error) {
      fatal = _isFatal(error);
      if (connection && !fatal) {
        try {
          await (connection as Mysql.PoolConnection).rollback();
        } catch {
          fatal = true;
        }
      }
      throw this.#wrap(operation.name, error);
    } finally {
      const used = connection as Mysql.PoolConnection | null;
      if (used && fatal) used.destroy();
      else used?.release();
    }
  }

  /**
   * A connection with a transaction begun. A pooled connection found dead at
   * `BEGIN` is replaced once (nothing was sent yet, so retrying is safe).
   */
  async #begin(operation: string): Promise<Mysql.PoolConnection> {
    let connection = await this.#connect(operation);
    try {
      await connection.beginTransaction();
      return connection;
    } catch (error) {
      connection.destroy();
      if (!_isFatal(error)) throw this.#wrap(operation, error);
    }
    connection = await this.#connect(operation);
    try {
      await connection.beginTransaction();
      return connection;
    } catch (error) {
      connection.destroy();
      throw this.#wrap(operation, error);
    }
  }

  /** Ends the pool; later calls fail with a StoreError. */
  async close(): Promise<void> {
    if (!this.#pool) return;
    try {
      await (await this.#pool).end();
    } catch (error) {
      throw this.#wrap("close", error);
    }
  }

  async #onConnection<T>(
    operation: string,
    fn: (connection: Mysql.PoolConnection) => Promise<T>,
  ): Promise<T> {
    const connection = await this.#connect(operation);
    let fatal = false;
    try {
      return await fn(connection);
    } catch (error) {
      fatal = _isFatal(error);
      throw this.#wrap(operation, error);
    } finally {
      if (fatal) connection.destroy();
      else connection.release();
    }
  }

  async #connect(operation: string): Promise<Mysql.PoolConnection> {
    try {
      return await (await this.#getPool()).getConnection();
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  #wrap(operation: string, error: unknown): Error {
    if (error instanceof StoreError || error instanceof ModuleTooLargeError) return error;
    return new StoreError(`MySQL ${operation} failed on ${this.#server}: ${errorText(error)}`, {
      cause: error,
    });
  }
}

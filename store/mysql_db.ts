/**
 * The mysql2 pool under the MySQL stores: prepared statements only
 * (`execute` with `?` placeholders), transactions on one pooled connection,
 * and every failure wrapped in a StoreError that names the operation and the
 * server but never the password. Internal to `store/`.
 *
 * The pool heals by itself: a connection that fails fatally is destroyed, the
 * next call opens a new one, so the first call after a database restart works.
 *
 * @module
 */

// Versioned npm: specifiers on purpose: a module imported by URL gets no import map.
import mysql from "npm:mysql2@3.24.6/promise";
import type * as Mysql from "npm:mysql2@3.24.6/promise";
import { StoreError } from "./types.ts";

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

/** A result row of mysql2; extend it to name the columns a query returns. */
export type MysqlRow = Mysql.RowDataPacket;

/** A placeholder value. */
export type MysqlParam = number | string | null;

/** Runs prepared statements, on the pool or inside one transaction. */
export interface MysqlExecutor {
  /** Rows of a prepared query. */
  rows<T extends Mysql.RowDataPacket>(sql: string, params?: readonly MysqlParam[]): Promise<T[]>;
  /** Runs a prepared statement; resolves to the number of affected rows. */
  run(sql: string, params?: readonly MysqlParam[]): Promise<number>;
}

/** mysql2 marks errors after which the connection is unusable with `fatal`. */
function _isFatal(error: unknown): boolean {
  return error instanceof Error && (error as Error & { fatal?: boolean }).fatal === true;
}

function _executor(connection: Mysql.PoolConnection | Mysql.Pool): MysqlExecutor {
  return {
    async rows<T extends Mysql.RowDataPacket>(sql: string, params: readonly MysqlParam[] = []) {
      const [rows] = await connection.execute<T[]>(sql, [...params]);
      return rows;
    },
    async run(sql: string, params: readonly MysqlParam[] = []) {
      const [header] = await connection.execute<Mysql.ResultSetHeader>(sql, [...params]);
      return header.affectedRows;
    },
  };
}

/** A mysql2 pool with error wrapping and transactions. */
export class MysqlDb {
  readonly #pool: Mysql.Pool;
  readonly #server: string;

  /**
   * Creates the pool; no connection is opened until the first call.
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
    this.#pool = mysql.createPool({
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
    });
  }

  /** Runs `fn` with statements on the pool (each one autocommitted). */
  async call<T>(operation: string, fn: (db: MysqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await fn(_executor(this.#pool));
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  /** Runs `fn` with autocommitted statements on one connection of the pool. */
  withConnection<T>(operation: string, fn: (db: MysqlExecutor) => Promise<T>): Promise<T> {
    return this.#onConnection(operation, (connection) => fn(_executor(connection)));
  }

  /**
   * Runs `fn` in one transaction on one connection: commits when it resolves,
   * rolls back when it throws. A pooled connection found dead at `BEGIN` is
   * replaced once (nothing was sent yet, so retrying is safe).
   */
  async transaction<T>(operation: string, fn: (tx: MysqlExecutor) => Promise<T>): Promise<T> {
    let connection = await this.#connect(operation);
    try {
      await connection.beginTransaction();
    } catch (error) {
      connection.destroy();
      if (!_isFatal(error)) throw this.#wrap(operation, error);
      connection = await this.#connect(operation);
      try {
        await connection.beginTransaction();
      } catch (retryError) {
        connection.destroy();
        throw this.#wrap(operation, retryError);
      }
    }
    let fatal = false;
    try {
      const result = await fn(_executor(connection));
      await connection.commit();
      return result;
    } catch (error) {
      fatal = _isFatal(error);
      if (!fatal) {
        try {
          await connection.rollback();
        } catch {
          fatal = true;
        }
      }
      throw this.#wrap(operation, error);
    } finally {
      if (fatal) connection.destroy();
      else connection.release();
    }
  }

  /** Runs fixed SQL text (DDL) without placeholders, in order, on one connection. */
  exec(operation: string, statements: readonly string[]): Promise<void> {
    return this.#onConnection(operation, async (connection) => {
      for (const sql of statements) await connection.query(sql);
    });
  }

  /** Ends the pool; later calls fail with a StoreError. */
  async close(): Promise<void> {
    try {
      await this.#pool.end();
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
      return await this.#pool.getConnection();
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  #wrap(operation: string, error: unknown): Error {
    if (error instanceof StoreError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new StoreError(`MySQL ${operation} failed on ${this.#server}: ${message}`, {
      cause: error,
    });
  }
}

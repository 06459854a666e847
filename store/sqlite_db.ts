/**
 * The SQLite connection under the SQLite stores: opening (WAL, busy timeout),
 * a prepared-statement cache, `BEGIN IMMEDIATE` transactions and error
 * wrapping. Internal to `store/`.
 *
 * @module
 */

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { StoreError } from "./types.ts";

/** Options of the SQLite stores. */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another connection's lock, in milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** A result row as node:sqlite returns it. */
export type SqliteRow = Record<string, unknown>;

/** Reads an integer column, or throws a StoreError when it holds something else. */
export function sqliteInt(row: SqliteRow, column: string): number {
  const value = row[column];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  throw new StoreError(`Unexpected ${typeof value} in integer column ${column}`);
}

/** One SQLite connection with a statement cache and error wrapping. */
export class SqliteDb {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /**
   * Opens `path` (`:memory:` allowed), creating its directory when missing.
   * @throws {StoreError} when the database cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new RangeError(`Invalid busyTimeoutMs: ${busyTimeoutMs}`);
    }
    try {
      if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
      this.#db = new DatabaseSync(path);
      // PRAGMAs take no placeholders; the only value is a checked integer.
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      if (path !== ":memory:") this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec("PRAGMA synchronous = NORMAL");
    } catch (error) {
      throw new StoreError(`Cannot open SQLite database ${path}: ${_message(error)}`, {
        cause: error,
      });
    }
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` and wraps any non-argument error in a StoreError naming `operation`. */
  guard<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`SQLite ${operation} failed: ${_message(error)}`, { cause: error });
    }
  }

  /**
   * Runs `check` (argument errors pass through), then `fn` with errors wrapped
   * in a StoreError naming `operation`; the outcome as a promise.
   */
  call<T>(operation: string, check: () => void, fn: () => T): Promise<T> {
    try {
      check();
      return Promise.resolve(this.guard(operation, fn));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** All rows of a prepared query. */
  all(sql: string, params: readonly SQLInputValue[] = []): SqliteRow[] {
    return this.#prepare(sql).all(...params);
  }

  /** The first row of a prepared query, if any. */
  get(sql: string, params: readonly SQLInputValue[] = []): SqliteRow | undefined {
    return this.#prepare(sql).get(...params);
  }

  /** Runs a prepared statement; resolves to the number of changed rows. */
  run(sql: string, params: readonly SQLInputValue[] = []): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }

  /** Runs `fn` inside `BEGIN IMMEDIATE` ... `COMMIT`, rolling back on error. */
  transaction<T>(fn: () => T): T {
    this.run("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.run("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.run("ROLLBACK");
      throw error;
    }
  }

  /** Runs fixed SQL text (DDL) without placeholders. */
  exec(statements: readonly string[]): void {
    for (const sql of statements) this.#db.exec(sql);
  }

  /** Closes the connection; later calls fail with a StoreError. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** A `check` for `SqliteDb.call` that accepts everything. */
export function noCheck(): void {}

function _message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The SQLite driver (`node:sqlite`): runs store operations synchronously on
 * one connection. Several processes (DNS, reporter, CLI) may open the same
 * file: the database runs in WAL mode, waits `busyTimeoutMs` for another
 * writer, and every write transaction starts with `BEGIN IMMEDIATE` so it
 * takes the write lock before it reads. A new database file is created with
 * mode 0600 (SQLite gives its `-wal` and `-shm` files the same mode).
 *
 * @module
 */

import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import {
  type Driver,
  driveSync,
  type Operation,
  type SqlRow,
  type Statement,
} from "./operation.ts";
import { errorText } from "../reactor/text.ts";
import { ModuleTooLargeError, StoreError } from "./types.ts";

/** Options of the SQLite stores. */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another connection's lock, in milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** Creates `path` empty with mode 0600 unless it exists (an empty file is a valid database). */
function _createPrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
}

/** Runs operations on one SQLite connection with a prepared-statement cache. */
export class SqliteDriver implements Driver {
  /** Always `"sqlite"`. */
  readonly dialect = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #send = (statement: Statement): SqlRow[] | number => this.#send1(statement);

  /**
   * Opens `path` (`:memory:` allowed), creating it (mode 0600) and its
   * directory when missing.
   * @throws {RangeError} on a bad option
   * @throws {StoreError} when the database cannot be opened
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new RangeError(`Invalid busyTimeoutMs: ${busyTimeoutMs}`);
    }
    try {
      if (path !== ":memory:") _createPrivate(resolve(path));
      this.#db = new DatabaseSync(path);
      // PRAGMAs take no placeholders; the only value is a checked integer.
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      if (path !== ":memory:") this.#db.exec("PRAGMA journal_mode = WAL");
      this.#db.exec("PRAGMA synchronous = NORMAL");
    } catch (error) {
      throw new StoreError(`Cannot open SQLite database ${path}: ${errorText(error)}`, {
        cause: error,
      });
    }
  }

  /** Checks the arguments, then runs `operation` (in `BEGIN IMMEDIATE` ... `COMMIT` if it writes). */
  perform<A extends unknown[], T>(operation: Operation<A, T>, ...args: A): Promise<T> {
    try {
      operation.check(...args);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      return Promise.resolve(this.#run(operation, args));
    } catch (error) {
      return Promise.reject(_wrap(operation.name, error));
    }
  }

  /** Closes the connection; later calls fail with a StoreError. */
  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  #run<A extends unknown[], T>(operation: Operation<A, T>, args: A): T {
    const steps = operation.steps(this.dialect, ...args);
    if (!operation.transaction) return driveSync(steps, this.#send);
    let begun = false;
    try {
      const result = driveSync(steps, (statement) => {
        if (!begun) {
          this.#db.exec("BEGIN IMMEDIATE");
          begun = true;
        }
        return this.#send(statement);
      });
      if (begun) this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isOpen && this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  #send1(statement: Statement): SqlRow[] | number {
    if (statement.kind === "exec") {
      this.#db.exec(statement.sql);
      return 0;
    }
    const prepared = this.#prepare(statement.sql);
    const params = statement.params as SQLInputValue[];
    if (statement.kind === "query") return prepared.all(...params);
    return Number(prepared.run(...params).changes);
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function _wrap(operation: string, error: unknown): Error {
  if (error instanceof StoreError || error instanceof ModuleTooLargeError) return error;
  return new StoreError(`SQLite ${operation} failed: ${errorText(error)}`, { cause: error });
}

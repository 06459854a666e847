/**
 * How a store operation is written once and run on both databases: an
 * operation is a generator that yields the statements it needs (`query`,
 * `run`, `exec`) and receives each result back. A driver runs it: the SQLite
 * driver synchronously (`sqlite.ts`), the MySQL driver with `await`
 * (`mysql.ts`). The operation holds the SQL and the steps; a driver only
 * knows how to send one statement and how to open a transaction.
 *
 * @example
 * ```ts
 * import { defineOperation, intOf, query } from "./operation.ts";
 * const countRoutes = defineOperation({
 *   name: "countRoutes",
 *   transaction: false,
 *   *steps() {
 *     const [row] = yield* query("SELECT COUNT(*) AS n FROM RouteData");
 *     return intOf(row, "n");
 *   },
 * });
 * console.log(countRoutes.name); // "countRoutes"
 * ```
 *
 * @module
 */

import { StoreError } from "./types.ts";

/** The SQL dialects the stores speak. */
export type Dialect = "mysql" | "sqlite";

/** A placeholder value. */
export type SqlParam = number | string | null;

/** A result row, column name to value. */
export type SqlRow = Record<string, unknown>;

/** One statement an operation asks its driver to run. */
export type Statement =
  /** A prepared query; the driver sends back its rows. */
  | { kind: "query"; sql: string; params: readonly SqlParam[] }
  /** A prepared statement; the driver sends back the number of affected rows. */
  | { kind: "run"; sql: string; params: readonly SqlParam[] }
  /** Fixed SQL text without placeholders (DDL); the driver sends back 0. */
  | { kind: "exec"; sql: string };

/** The steps of an operation resolving to `T`: yields statements, receives their results. */
export type Steps<T> = Generator<Statement, T, SqlRow[] | number>;

/** One store operation: its name, its argument check and its steps. */
export interface Operation<A extends unknown[], T> {
  /** Named in errors ("SQLite addHost failed: ..."). */
  readonly name: string;
  /**
   * True: every statement runs in one transaction (started at the first
   * statement, so an operation that yields none costs nothing), committed when
   * the steps return and rolled back when anything throws. False: each
   * statement is committed on its own, on one connection.
   */
  readonly transaction: boolean;
  /** Throws `RangeError`/`TypeError` on bad arguments, before anything is sent. */
  check(...args: A): void;
  /** The statements, for `dialect`. */
  steps(dialect: Dialect, ...args: A): Steps<T>;
}

/** What runs operations: one driver per database. */
export interface Driver {
  /** The SQL dialect of the database. */
  readonly dialect: Dialect;
  /**
   * Checks the arguments, then runs the steps of `operation`.
   * @throws {RangeError} / {TypeError} on bad arguments (nothing sent)
   * @throws {StoreError} when the database fails (nothing written by a transaction)
   */
  perform<A extends unknown[], T>(operation: Operation<A, T>, ...args: A): Promise<T>;
  /** Releases the connection(s). */
  close(): Promise<void>;
}

/** Builds an operation; `check` defaults to accepting everything. */
export function defineOperation<A extends unknown[], T>(definition: {
  name: string;
  transaction: boolean;
  check?: (...args: A) => void;
  steps: (dialect: Dialect, ...args: A) => Steps<T>;
}): Operation<A, T> {
  return { check: () => {}, ...definition };
}

/** Step: the rows of a prepared query. */
export function* query(sql: string, params: readonly SqlParam[] = []): Steps<SqlRow[]> {
  return (yield { kind: "query", sql, params }) as SqlRow[];
}

/** Step: runs a prepared statement; the number of affected rows. */
export function* run(sql: string, params: readonly SqlParam[] = []): Steps<number> {
  return (yield { kind: "run", sql, params }) as number;
}

/** Step: runs fixed DDL text without placeholders. */
export function* exec(sql: string): Steps<void> {
  yield { kind: "exec", sql };
}

/**
 * Runs `steps` to the end with `send` answering each statement: the loop
 * every synchronous driver shares.
 */
export function driveSync<T>(
  steps: Steps<T>,
  send: (statement: Statement) => SqlRow[] | number,
): T {
  let next = steps.next();
  while (!next.done) next = steps.next(send(next.value));
  return next.value;
}

/** Runs `steps` to the end with `send` answering each statement asynchronously. */
export async function driveAsync<T>(
  steps: Steps<T>,
  send: (statement: Statement) => Promise<SqlRow[] | number>,
): Promise<T> {
  let next = steps.next();
  while (!next.done) next = steps.next(await send(next.value));
  return next.value;
}

/**
 * An integer column of either driver (SQLite gives numbers or bigints, MySQL
 * numbers, or strings for sums and decimals).
 * @throws {StoreError} when the column holds something else
 */
export function intOf(row: SqlRow | undefined, column: string): number {
  const value = row?.[column];
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  throw new StoreError(`Unexpected ${typeof value} in integer column ${column}`);
}

/** A text column (MySQL `char` columns come back right-trimmed already). */
export function textOf(row: SqlRow, column: string): string {
  const value = row[column];
  if (typeof value === "string") return value;
  throw new StoreError(`Unexpected ${typeof value} in text column ${column}`);
}

/**
 * Rows per multi-row statement, largest first. A batch is cut into chunks of
 * these sizes only, so each connection caches at most this many prepared
 * statements per table; 1000 rows x 9 values stays far below the 65535
 * placeholder limit of MySQL, SQLite's 32766 and any `max_allowed_packet`.
 */
export const CHUNK_SIZES: readonly number[] = [1000, 100, 10, 1];

/**
 * Chunk sizes of statements matching rows by an `OR` of conditions: SQLite
 * limits an expression tree to 1000 levels.
 */
export const OR_CHUNK_SIZES: readonly number[] = [100, 10, 1];

/** Cuts `count` rows into chunk sizes from `ladder` (greedy, largest first). */
export function chunkSizes(count: number, ladder: readonly number[] = CHUNK_SIZES): number[] {
  const sizes: number[] = [];
  let left = count;
  for (const size of ladder) {
    while (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** `(?, ?, ...), (?, ...)`: the placeholder list for `rows` rows of `columns` values. */
export function placeholderRows(rows: number, columns: number): string {
  const one = `(${new Array(columns).fill("?").join(", ")})`;
  return new Array(rows).fill(one).join(", ");
}

/**
 * The statements that handle `rows` in fixed-size chunks (see
 * {@linkcode chunkSizes}): for each, the SQL for its size and its parameters.
 */
export function* chunkedStatements<T>(
  rows: readonly T[],
  sqlFor: (size: number) => string,
  push: (params: SqlParam[], chunk: readonly T[]) => void,
  ladder: readonly number[] = CHUNK_SIZES,
): Generator<{ sql: string; params: SqlParam[] }> {
  let offset = 0;
  for (const size of chunkSizes(rows.length, ladder)) {
    const params: SqlParam[] = [];
    push(params, rows.slice(offset, offset + size));
    yield { sql: sqlFor(size), params };
    offset += size;
  }
}

/** Step: runs {@linkcode chunkedStatements} of `rows`; the total of affected rows. */
export function* runChunked<T>(
  rows: readonly T[],
  sqlFor: (size: number) => string,
  push: (params: SqlParam[], chunk: readonly T[]) => void,
  ladder: readonly number[] = CHUNK_SIZES,
): Steps<number> {
  let affected = 0;
  for (const { sql, params } of chunkedStatements(rows, sqlFor, push, ladder)) {
    affected += yield* run(sql, params);
  }
  return affected;
}

/** Step: the rows of {@linkcode chunkedStatements} queries of `keys`, concatenated. */
export function* queryChunked<T>(
  keys: readonly T[],
  sqlFor: (size: number) => string,
  push: (params: SqlParam[], chunk: readonly T[]) => void,
  ladder: readonly number[] = CHUNK_SIZES,
): Steps<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (const { sql, params } of chunkedStatements(keys, sqlFor, push, ladder)) {
    rows.push(...yield* query(sql, params));
  }
  return rows;
}

/**
 * A `WHERE` clause of equality conditions on the given columns (those whose
 * value is defined), its values, e.g. `{ modid: 1, cmdid: undefined }` gives
 * `" WHERE modid = ?"`. Conditions with an operator other than `=` are written
 * as `"minute >="` keys.
 */
export function whereOf(conditions: Record<string, number | undefined>): {
  where: string;
  params: number[];
} {
  const parts: string[] = [];
  const params: number[] = [];
  for (const [column, value] of Object.entries(conditions)) {
    if (value === undefined) continue;
    parts.push(column.includes(" ") ? `${column} ?` : `${column} = ?`);
    params.push(value);
  }
  return { where: parts.length ? ` WHERE ${parts.join(" AND ")}` : "", params };
}

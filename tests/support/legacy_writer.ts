/**
 * Writes route tables the way the original's web admin (and hand-written
 * SQL) does, bypassing the store's checks: plain statements, `version = now
 * in seconds` (so versions repeat within a second), no validation of ports or
 * addresses. Tests use it to feed the DNS service what other writers leave in
 * a shared database.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
// Versioned npm: specifier on purpose (no import map); see store/mysql_db.ts.
import mysql from "npm:mysql2@3.24.6/promise";
import { parseStoreUrl } from "../../store/url.ts";

/** One statement with its parameters. */
type Statement = [sql: string, params: (number | string)[]];

/** A connection to the store behind a `sqlite:` or `mysql://` URL for raw statements. */
export class LegacyWriter {
  #run: (statements: Statement[]) => Promise<void>;
  #close: () => Promise<void>;

  private constructor(
    run: (statements: Statement[]) => Promise<void>,
    close: () => Promise<void>,
  ) {
    this.#run = run;
    this.#close = close;
  }

  /** Opens the database of `url` (its tables must exist). */
  static async open(url: string): Promise<LegacyWriter> {
    const location = parseStoreUrl(url);
    if (location.kind === "sqlite") {
      const db = new DatabaseSync(location.path, { timeout: 5000 });
      return new LegacyWriter(
        (statements) => {
          db.exec("BEGIN IMMEDIATE");
          try {
            for (const [sql, params] of statements) db.prepare(sql).run(...params);
            db.exec("COMMIT");
          } catch (err) {
            db.exec("ROLLBACK");
            throw err;
          }
          return Promise.resolve();
        },
        () => Promise.resolve(db.close()),
      );
    }
    const conn = await mysql.createConnection({ ...location.config, connectTimeout: 5000 });
    return new LegacyWriter(
      async (statements) => {
        await conn.beginTransaction();
        try {
          for (const [sql, params] of statements) await conn.execute(sql, params);
          await conn.commit();
        } catch (err) {
          await conn.rollback();
          throw err;
        }
      },
      () => conn.end(),
    );
  }

  /**
   * Inserts `RouteData` rows as they are, one `RouteChange` row per module at
   * `version`, and sets `RouteVersion` to `version` (default now in seconds).
   */
  insertRows(
    rows: readonly { modid: number; cmdid: number; ip: number; port: number }[],
    version = Math.floor(Date.now() / 1000),
  ): Promise<void> {
    const statements: Statement[] = rows.map((r) => [
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)",
      [r.modid, r.cmdid, r.ip, r.port],
    ]);
    const modules = new Map(rows.map((r) => [`${r.modid},${r.cmdid}`, r]));
    for (const { modid, cmdid } of modules.values()) {
      statements.push([
        "INSERT INTO RouteChange (modid, cmdid, version) VALUES (?, ?, ?)",
        [modid, cmdid, version],
      ]);
    }
    statements.push(["UPDATE RouteVersion SET version = ? WHERE id = 1", [version]]);
    return this.#run(statements);
  }

  /** Inserts `RouteChange` rows without touching anything else. */
  insertChanges(changes: readonly { modid: number; cmdid: number; version: number }[]) {
    return this.#run(changes.map((c) => [
      "INSERT INTO RouteChange (modid, cmdid, version) VALUES (?, ?, ?)",
      [c.modid, c.cmdid, c.version],
    ]));
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.#close();
  }
}

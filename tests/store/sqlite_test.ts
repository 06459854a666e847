import assert from "node:assert/strict";
import { resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  mysqlUrlFromConfig,
  nextVersion,
  openRouteStore,
  parseStoreUrl,
  redactUrl,
  SqliteRouteStore,
  StoreError,
} from "../../store/mod.ts";
import { chunkSizes } from "../../store/operation.ts";
import { registerStoreContract } from "./contract.ts";

const tempDir = Deno.makeTempDirSync({ prefix: "lars-sqlite-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tempDir, { recursive: true }));
let databases = 0;

function pathOf(url: string): string {
  const location = parseStoreUrl(url);
  if (location.kind !== "sqlite") throw new TypeError(`Not a SQLite URL: ${url}`);
  return location.path;
}

registerStoreContract({
  name: "sqlite",
  unavailable: null,
  freshUrl: () => Promise.resolve(`sqlite:${tempDir}/db-${++databases}.sqlite`),
  rawExec(url, sql) {
    try {
      const db = new DatabaseSync(pathOf(url));
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  },
});

Deno.test("store sqlite - creates the parent directory and uses WAL", async () => {
  const path = `${tempDir}/nested/deeper/lars.db`;
  const store = await openRouteStore(`sqlite:${path}`);
  await store.close();
  const db = new DatabaseSync(path);
  try {
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
  } finally {
    db.close();
  }
});

Deno.test("store sqlite - a new database file and its WAL are private (mode 0600)", async () => {
  const path = `${tempDir}/private/lars.db`;
  const store = await openRouteStore(`sqlite:${path}`);
  try {
    await store.addHost(1, 1, 1, 1);
    for (const file of [path, `${path}-wal`]) {
      assert.equal(Deno.statSync(file).mode! & 0o777, 0o600, file);
    }
  } finally {
    await store.close();
  }
});

Deno.test("store sqlite - in-memory databases are private to their store", async () => {
  const first = await openRouteStore("sqlite::memory:");
  const second = await openRouteStore("sqlite::memory:");
  try {
    await first.addHost(1, 1, 1, 1);
    assert.equal((await first.loadRoutes()).length, 1);
    assert.deepEqual(await second.loadRoutes(), []);
  } finally {
    await first.close();
    await second.close();
  }
});

/** Holds the write lock of `path` from another process for `holdMs`; resolves once it is held. */
async function lockFromOtherProcess(path: string, holdMs: number) {
  const script = `
    import { DatabaseSync } from "node:sqlite";
    const db = new DatabaseSync(${JSON.stringify(path)});
    db.exec("BEGIN IMMEDIATE");
    console.log("locked");
    await new Promise((r) => setTimeout(r, ${holdMs}));
    db.exec("COMMIT");
    db.close();`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /locked/);
  reader.releaseLock();
  return async () => {
    await child.stdout.cancel();
    assert.equal((await child.status).success, true);
  };
}

Deno.test("store sqlite - a write waits for another process's lock (busy_timeout)", async () => {
  const path = `${tempDir}/busy.db`;
  const patient = new SqliteRouteStore(path, { busyTimeoutMs: 10_000 });
  const hasty = new SqliteRouteStore(path, { busyTimeoutMs: 50 });
  try {
    await patient.init();
    let release = await lockFromOtherProcess(path, 300);
    await assert.rejects(hasty.addHost(1, 1, 1, 1), StoreError);
    await release();

    release = await lockFromOtherProcess(path, 300);
    const started = Date.now();
    assert.equal((await patient.addHost(1, 1, 1, 1)).added, true);
    assert.ok(Date.now() - started >= 100, "the write waited for the lock");
    await release();
    assert.equal((await hasty.loadRoutes()).length, 1);
  } finally {
    await patient.close();
    await hasty.close();
  }
});

Deno.test("store - nextVersion is max(now, previous + 1)", () => {
  assert.equal(nextVersion(0, 1_700_000_000_999), 1_700_000_000);
  assert.equal(nextVersion(1_700_000_000, 1_700_000_000_500), 1_700_000_001);
  assert.equal(nextVersion(1_700_000_005, 1_700_000_000_000), 1_700_000_006);
});

Deno.test("store - chunkSizes cuts batches into few fixed statement sizes", () => {
  assert.deepEqual(chunkSizes(0), []);
  assert.deepEqual(chunkSizes(5000), [1000, 1000, 1000, 1000, 1000]);
  assert.deepEqual(chunkSizes(1234), [1000, 100, 100, 10, 10, 10, 1, 1, 1, 1]);
});

Deno.test("store url - sqlite paths", () => {
  assert.deepEqual(parseStoreUrl("sqlite::memory:"), { kind: "sqlite", path: ":memory:" });
  assert.deepEqual(parseStoreUrl("sqlite:data/lars.db"), {
    kind: "sqlite",
    path: resolve(Deno.cwd(), "data/lars.db"),
  });
  assert.deepEqual(parseStoreUrl("sqlite:///var/lib/lars.db"), {
    kind: "sqlite",
    path: "/var/lib/lars.db",
  });
  assert.throws(() => parseStoreUrl("sqlite:"), TypeError);
});

Deno.test("store url - mysql URLs decode user and password, default port 3306", () => {
  assert.deepEqual(parseStoreUrl("mysql://lars%40x:p%40ss%2Fw%3Ard@db.example:3307/lars_dns"), {
    kind: "mysql",
    config: {
      host: "db.example",
      port: 3307,
      user: "lars@x",
      password: "p@ss/w:rd",
      database: "lars_dns",
    },
  });
  assert.deepEqual(parseStoreUrl("mysql://root@[::1]/lars_dns"), {
    kind: "mysql",
    config: { host: "::1", port: 3306, user: "root", password: "", database: "lars_dns" },
  });
});

Deno.test("store url - bad URLs are TypeErrors that never show the password", () => {
  for (
    const url of [
      "postgres://u:secret@h/db",
      "mysql://u:secret@h",
      "mysql://u:secret@h/",
      "mysql://u:secret@h/a/b",
      "mysql://:secret@h/db",
      "mysql://u:secret@h/db?ssl=1",
      "mysql://u:secret%zz@h/db",
      "mysql://u:secret@h:99999/db",
      "lars.db",
    ]
  ) {
    assert.throws(() => parseStoreUrl(url), (error: Error) => {
      assert.ok(error instanceof TypeError, `${url}: ${error}`);
      assert.ok(!error.message.includes("secret"), error.message);
      return true;
    });
  }
});

Deno.test("store url - redactUrl hides passwords, even in malformed URLs", () => {
  assert.equal(redactUrl("mysql://lars:pw@h:3306/db"), "mysql://lars:***@h:3306/db");
  assert.equal(redactUrl("mysql://lars:p/w@d@h/db"), "mysql://lars:***@h/db");
  assert.equal(redactUrl("mysql://lars@h/db"), "mysql://lars@h/db");
  assert.equal(redactUrl("sqlite:data/lars.db"), "sqlite:data/lars.db");
});

Deno.test("store url - mysqlUrlFromConfig builds a URL that parses back", () => {
  const url = mysqlUrlFromConfig({
    host: "127.0.0.1",
    port: "3306",
    user: "root",
    passwd: "p@ss word",
    name: "lars_dns",
  });
  assert.equal(url, "mysql://root:p%40ss%20word@127.0.0.1:3306/lars_dns");
  assert.deepEqual(parseStoreUrl(url), {
    kind: "mysql",
    config: {
      host: "127.0.0.1",
      port: 3306,
      user: "root",
      password: "p@ss word",
      database: "lars_dns",
    },
  });
  assert.equal(
    mysqlUrlFromConfig({ host: "::1", user: "u", name: "d" }),
    "mysql://u:@[::1]:3306/d",
  );
  assert.throws(
    () => mysqlUrlFromConfig({ host: "h", port: "x", user: "u", name: "d" }),
    RangeError,
  );
  assert.throws(() => mysqlUrlFromConfig({ host: "", user: "u", name: "d" }), TypeError);
});

Deno.test("store sqlite - a RouteData table without weight (the original's) gets it at init", async () => {
  const url = `sqlite:${tempDir}/original-${++databases}.sqlite`;
  const db = new DatabaseSync(pathOf(url));
  db.exec(
    "CREATE TABLE RouteData (id INTEGER PRIMARY KEY AUTOINCREMENT, modid INTEGER NOT NULL, " +
      "cmdid INTEGER NOT NULL, serverip INTEGER NOT NULL, serverport INTEGER NOT NULL)",
  );
  db.exec("INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (1, 1, 10, 80)");
  db.close();
  const routes = await openRouteStore(url);
  try {
    await routes.addHost(1, 1, 11, 81, "test", 4);
    assert.deepEqual(await routes.loadModuleRoutes([{ modid: 1, cmdid: 1 }]), [
      { modid: 1, cmdid: 1, ip: 10, port: 80 },
      { modid: 1, cmdid: 1, ip: 11, port: 81, weight: 4 },
    ]);
  } finally {
    await routes.close();
  }
});

Deno.test("store sqlite - RouteChange gets its version index, fresh and on the original's table", async () => {
  const indexes = (path: string) => {
    const db = new DatabaseSync(path);
    try {
      const plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT id, modid, cmdid, version FROM RouteChange WHERE version >= ?",
      ).all(5).map((row) => String(row.detail));
      const names = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'RouteChange'",
      ).all().map((row) => String(row.name));
      return { names, plan };
    } finally {
      db.close();
    }
  };
  const fresh = `sqlite:${tempDir}/fresh-${++databases}.sqlite`;
  const existing = `sqlite:${tempDir}/original-${++databases}.sqlite`;
  const db = new DatabaseSync(pathOf(existing));
  db.exec(
    "CREATE TABLE RouteChange (id INTEGER PRIMARY KEY AUTOINCREMENT, modid INTEGER NOT NULL, " +
      "cmdid INTEGER NOT NULL, version INTEGER NOT NULL)",
  );
  db.exec("INSERT INTO RouteChange (modid, cmdid, version) VALUES (1, 1, 7)");
  db.close();
  assert.deepEqual(indexes(pathOf(existing)).names, []);
  for (const url of [fresh, existing, existing]) { // twice: init on an indexed table is a no-op
    const routes = await openRouteStore(url);
    await routes.close();
    const { names, plan } = indexes(pathOf(url));
    assert.deepEqual(names, ["RouteChange_version_index"]);
    assert.match(plan.join("\n"), /USING (COVERING )?INDEX RouteChange_version_index/);
  }
  const routes = await openRouteStore(existing);
  try {
    assert.deepEqual(await routes.changesSince(0), [{ id: 1, modid: 1, cmdid: 1, version: 7 }]);
  } finally {
    await routes.close();
  }
});

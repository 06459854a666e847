// Versioned npm: specifier on purpose (no import map); see store/mysql.ts.
import mysql from "npm:mysql2@3.24.6/promise";
import assert from "node:assert/strict";
import { ipToInt } from "../../proto/ip.ts";
import { openReportStore, openRouteStore, parseStoreUrl, StoreError } from "../../store/mod.ts";
import { getTestMysql, testMysqlUnavailableReason } from "../support/mariadb.ts";
import { registerStoreContract, statusRow } from "./contract.ts";

// Started here, outside any test, so the server process is invisible to test sanitizers.
const server = await getTestMysql();
const unavailable = server ? null : testMysqlUnavailableReason() ?? "no MySQL server";
let databases = 0;

/** Runs raw SQL without placeholders on the database of `url`; resolves to its rows. */
async function rawQuery(url: string, sql: string): Promise<unknown> {
  const location = parseStoreUrl(url);
  if (location.kind !== "mysql") throw new TypeError("Not a MySQL URL");
  const connection = await mysql.createConnection({ ...location.config, connectTimeout: 2000 });
  try {
    const [rows] = await connection.query(sql);
    return rows;
  } finally {
    await connection.end();
  }
}

function freshUrl(): Promise<string> {
  if (!server) throw new Error(`MySQL unavailable: ${unavailable}`);
  return server.createDatabase(`lars_store_${Deno.pid}_${++databases}`);
}

registerStoreContract({
  name: "mysql",
  unavailable,
  freshUrl,
  rawExec: async (url, sql) => {
    await rawQuery(url, sql);
  },
});

/** The original Lars `lars_dns.sql` tables (without its DROP/CREATE DATABASE). */
const ORIGINAL_SCHEMA = [
  `CREATE TABLE \`RouteData\` (
    \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
    \`modid\` int(10) unsigned NOT NULL,
    \`cmdid\` int(10) unsigned NOT NULL,
    \`serverip\` int(10) unsigned NOT NULL,
    \`serverport\` int(10) unsigned NOT NULL,
    PRIMARY KEY (\`id\`)
  ) ENGINE=InnoDB AUTO_INCREMENT=116064 DEFAULT CHARSET=utf8`,
  `CREATE TABLE RouteVersion (
    \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
    \`version\` int(10) unsigned NOT NULL,
    PRIMARY KEY (\`id\`)
  )`,
  "INSERT INTO RouteVersion(version) VALUES(0)",
  `CREATE TABLE RouteChange (
    \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
    \`modid\` int(10) unsigned NOT NULL,
    \`cmdid\` int(10) unsigned NOT NULL,
    \`version\` bigint(20) unsigned NOT NULL,
    PRIMARY KEY (\`id\`)
  )`,
  `CREATE TABLE \`ServerCallStatus\` (
    \`modid\` int(11) NOT NULL,
    \`cmdid\` int(11) NOT NULL,
    \`ip\` int(11) unsigned NOT NULL,
    \`port\` int(11) unsigned NOT NULL,
    \`caller\` int(11) unsigned NOT NULL,
    \`succ_cnt\` int(11) NOT NULL,
    \`err_cnt\` int(11) NOT NULL,
    \`ts\` bigint(20) NOT NULL,
    \`overload\` char(1) NOT NULL,
    PRIMARY KEY (\`modid\`,\`cmdid\`,\`ip\`,\`port\`,\`caller\`),
    KEY \`mlb_index\` (\`modid\`,\`cmdid\`,\`ip\`,\`port\`,\`caller\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8`,
  `CREATE TABLE ModIDConfig (
    \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
    \`modid\` int(10) unsigned NOT NULL,
    \`content\` char(255) NOT NULL,
    PRIMARY KEY (\`id\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8`,
  `CREATE TABLE CmdIDConfig (
    \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
    \`cmdid\` int(10) unsigned NOT NULL,
    \`content\` char(255) NOT NULL,
    PRIMARY KEY (\`id\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8`,
];

const TABLES = ["RouteData", "RouteVersion", "RouteChange", "ServerCallStatus", "ModIDConfig"];

async function showCreate(url: string): Promise<string[]> {
  const result: string[] = [];
  for (const table of TABLES) {
    const rows = await rawQuery(url, `SHOW CREATE TABLE ${table}`) as Record<string, string>[];
    result.push(rows[0]["Create Table"].replace(/ AUTO_INCREMENT=\d+/, ""));
  }
  return result;
}

Deno.test({
  name: "store mysql - a database made by the original Lars script works unchanged",
  ignore: unavailable !== null,
  async fn() {
    const url = await freshUrl();
    for (const sql of ORIGINAL_SCHEMA) await rawQuery(url, sql);
    await rawQuery(
      url,
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) " +
        `VALUES (1, 1, ${ipToInt("192.168.1.1")}, 7777), (1, 1, ${ipToInt("10.0.0.1")}, 7778)`,
    );
    const before = await showCreate(url);

    const routes = await openRouteStore(url);
    const reports = await openReportStore(url);
    try {
      assert.equal(await routes.version(), 0);
      assert.deepEqual(await routes.listRoutes(), [
        { modid: 1, cmdid: 1, ip: ipToInt("10.0.0.1"), port: 7778 },
        { modid: 1, cmdid: 1, ip: ipToInt("192.168.1.1"), port: 7777 },
      ]);
      const { added, version } = await routes.addHost(1, 1, ipToInt("255.255.255.255"), 7779);
      assert.equal(added, true);
      assert.equal(await routes.version(), version);
      await routes.setModName(1, "payments");
      const row = statusRow({ ip: ipToInt("192.168.1.1"), overload: true });
      await reports.upsertStatus([row]);
      assert.deepEqual(await reports.listStatus(), [row]);
      const raw = await rawQuery(url, "SELECT overload FROM ServerCallStatus");
      assert.deepEqual(raw, [{ overload: "1" }]);
    } finally {
      await reports.close();
      await routes.close();
    }
    // The only changes: the indexes listModules and the DNS's change poll need, and our weight
    // column (default 1), added to RouteData and RouteChange (and our RouteAudit table). The
    // original's inserts still work.
    const after = await showCreate(url);
    assert.match(after[0], /KEY `module_index` \(`modid`,`cmdid`\)/);
    assert.match(after[0], /`weight` int\(10\) unsigned NOT NULL DEFAULT 1/);
    assert.match(after[2], /KEY `version_index` \(`version`\)/);
    assert.deepEqual(
      after.map((ddl) =>
        ddl.replace(/,\n\s*KEY `(module|version)_index` [^\n]*/, "")
          .replace(/\n\s*`weight` [^\n]*,/, "")
      ),
      before,
    );
    await rawQuery(
      url,
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (2, 2, 1, 2)",
    );
    const reopened = await openRouteStore(url);
    try {
      assert.deepEqual(await reopened.listRoutes({ modid: 2 }), [{
        modid: 2,
        cmdid: 2,
        ip: 1,
        port: 2,
      }]);
    } finally {
      await reopened.close();
    }
    await rawQuery(url, "SELECT COUNT(*) FROM RouteAudit");
  },
});

Deno.test({
  name: "store mysql - a fresh database gets RouteChange's version index, and the poll uses it",
  ignore: unavailable !== null,
  async fn() {
    const url = await freshUrl();
    for (let round = 0; round < 2; round++) { // the second init finds the index
      const routes = await openRouteStore(url);
      await routes.close();
    }
    const keys = await rawQuery(
      url,
      "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS " +
        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'RouteChange' ORDER BY INDEX_NAME",
    );
    assert.deepEqual(keys, [
      { INDEX_NAME: "PRIMARY", COLUMN_NAME: "id" },
      { INDEX_NAME: "version_index", COLUMN_NAME: "version" },
    ]);
    const plan = await rawQuery(
      url,
      "EXPLAIN SELECT id, modid, cmdid, version FROM RouteChange WHERE version >= 5",
    ) as { possible_keys: string | null }[];
    assert.match(String(plan[0].possible_keys), /version_index/);
  },
});

Deno.test({
  name: "store mysql - a wrong password is a StoreError that does not show it",
  ignore: unavailable !== null,
  async fn() {
    const url = new URL(await freshUrl());
    url.password = "wrong-s3cret";
    const error = await openRouteStore(url.href).then(
      () => assert.fail("opened with a wrong password"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof StoreError, String(error));
    assert.match(error.message, /Access denied/);
    assert.ok(!error.message.includes("s3cret"), error.message);
  },
});

Deno.test({
  name: "store mysql - the same store works again after the server restarts",
  ignore: unavailable !== null || !server?.managed,
  // stop()/start() spawn a new server process inside this test; it outlives the test.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    assert.ok(server);
    const url = await freshUrl();
    const routes = await openRouteStore(url, { connectTimeoutMs: 2000 });
    const reports = await openReportStore(url, { connectTimeoutMs: 2000 });
    try {
      const first = await routes.addHost(1, 1, ipToInt("192.168.0.1"), 80);
      await reports.upsertStatus([statusRow()]);

      await server.stop({ signal: "SIGKILL" });
      const password = decodeURIComponent(new URL(url).password);
      for (const call of [routes.version(), routes.addHost(1, 1, 1, 1), reports.listStatus()]) {
        const error = await call.then(() => assert.fail("call succeeded"), (e: unknown) => e);
        assert.ok(error instanceof StoreError, String(error));
        assert.ok(!error.message.includes(password), error.message);
      }

      await server.start();
      assert.equal(await routes.version(), first.version);
      const second = await routes.addHost(1, 1, ipToInt("192.168.0.2"), 80);
      assert.ok(second.version > first.version);
      await reports.upsertStatus([statusRow({ succ: 42, ts: statusRow().ts + 1 })]);
      assert.equal((await reports.listStatus())[0].succ, 42);
      assert.equal((await routes.loadRoutes()).length, 2);

      // Restarted with no call while it was down: the pooled connections are stale.
      await server.stop();
      await server.start();
      assert.equal(await routes.version(), second.version);
      assert.equal((await routes.addHost(1, 1, ipToInt("192.168.0.3"), 80)).added, true);
      assert.equal((await reports.listStatus()).length, 1);
    } finally {
      await reports.close();
      await routes.close();
    }
  },
});

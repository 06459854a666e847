import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { ipToInt } from "../../proto/mod.ts";
import { getTestMysql } from "../support/mariadb.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import {
  listeningPort,
  repoTempDir,
  runTask,
  ServiceProcess,
  writeRepoFile,
} from "../support/process.ts";
import { ask, routes } from "./dns_suite.ts";
import { createReportStore, openRouteStore } from "../../store/url.ts";

const server = await getTestMysql();

async function runDnsWithRouteEdits(storeUrl: string, dir: string): Promise<void> {
  const conf = `${dir}/lars_dns.conf`;
  await writeRepoFile(
    conf,
    `[reactor]\nip = 127.0.0.1\nport = 0\nmaxConn = 16\n[store]\nurl = ${storeUrl}\n`,
  );
  const init = await runTask("lars", ["db", "init", "--config", conf]);
  assert.equal(init.code, 0, init.stderr);
  // Every service's tables, report tables included (createReportStore does not create them).
  const reports = createReportStore(storeUrl, { history: true });
  try {
    assert.deepEqual(await reports.listStatus(), []);
    assert.deepEqual(await reports.listHistory(), []);
  } finally {
    await reports.close();
  }
  const dns = new ServiceProcess("dns", ["--config", conf]);
  let conn: RawFrameConn | undefined;
  try {
    const port = await listeningPort(dns);
    conn = await RawFrameConn.connect(port);
    await ask(conn, 9, 9);
    await waitFor(() => routes(conn!).length === 1, "first answer");

    // A duplicate started by mistake on the busy port fails in one line and
    // changes nothing: the pushes below still arrive.
    const busy = `${dir}/lars_dns_busy.conf`;
    await writeRepoFile(
      busy,
      `[reactor]\nip = 127.0.0.1\nport = ${port}\n[store]\nurl = ${storeUrl}\n`,
    );
    const duplicate = await runTask("dns", ["--config", busy]);
    assert.equal(duplicate.code, 1, duplicate.stderr);
    assert.match(duplicate.stderr, /ERROR dns: .*in use/i);
    assert.doesNotMatch(duplicate.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(routes(conn).at(-1)!.host, []);

    const add = await runTask("lars", [
      "route",
      "add",
      "9",
      "9",
      "10.9.9.9",
      "99",
      "--config",
      conf,
    ]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /added 10\.9\.9\.9:99 to 9\/9/);
    await waitFor(() => routes(conn!).length === 2, "push after route add", 10_000);
    assert.equal(routes(conn).at(-1)!.host.length, 1);

    const unconfirmed = await runTask("lars", ["route", "del", "9", "9", "--config", conf]);
    assert.equal(unconfirmed.code, 1, unconfirmed.stderr);
    assert.match(unconfirmed.stdout, /removes all 1 hosts of 9\/9.*--yes to confirm/);
    const del = await runTask("lars", ["route", "del", "9", "9", "--yes", "--config", conf]);
    assert.equal(del.code, 0, del.stderr);
    await waitFor(() => routes(conn!).length === 3, "push after route del", 10_000);
    assert.deepEqual(routes(conn).at(-1)!.host, []);
    const store = await openRouteStore(storeUrl);
    try {
      const { entries } = await store.listAudit({ limit: 10, offset: 0 });
      assert.deepEqual(entries.map((e) => e.action), ["remove-module", "add"]);
      assert.match(entries[0].user, /^cli:/);
    } finally {
      await store.close();
    }
  } finally {
    await conn?.close();
    const status = await dns.stop("SIGTERM");
    assert.equal(status.code, 0, dns.log);
    assert.match(dns.log, /stopped/);
  }
}

Deno.test("dns process - sqlite: deno task dns serves and pushes lars route add/del", async () => {
  const dir = await repoTempDir("dns_");
  try {
    await runDnsWithRouteEdits(`sqlite:${dir.path}/lars.db`, dir.path);
  } finally {
    await dir.remove();
  }
});

Deno.test({
  name: "dns process - mariadb: deno task dns serves and pushes lars route add/del",
  ignore: server === null,
  async fn() {
    const dir = await repoTempDir("dns_");
    try {
      await runDnsWithRouteEdits(
        await server!.createDatabase(`lars_dns_proc_${Deno.pid}`),
        dir.path,
      );
    } finally {
      await dir.remove();
    }
  },
});

Deno.test("lars route - bad input is a one-line error and a non-zero exit", async () => {
  const dir = await repoTempDir("cli_");
  try {
    const store = `sqlite:${dir.path}/lars.db`;
    const cases: [string[], RegExp][] = [
      [["route", "add", "1", "1", "10.0.0.1", "70000"], /PORT must be 1\.\.65535, got "70000"/],
      [["route", "add", "1", "1", "10.0.0.256", "80"], /IP must be a dotted-quad IPv4 address/],
      [["route", "add", "x", "1", "10.0.0.1", "80"], /MODID must be a 32-bit integer, got "x"/],
      [["route", "add", "1", "1"], /route add takes MODID CMDID IP PORT/],
      [["route", "frob"], /unknown route command "frob"/],
    ];
    for (const [args, pattern] of cases) {
      const r = await runTask("lars", [...args, "--store", store]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr.split("\n")[0], pattern);
    }
    const missing = await runTask("lars", [
      "route",
      "del",
      "1",
      "1",
      "10.0.0.1",
      "80",
      "--store",
      store,
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /is not in 1\/1 \(nothing changed\)/);
    const list = await runTask("lars", ["route", "list", "--store", store]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /0 hosts, route version/);
  } finally {
    await dir.remove();
  }
});

Deno.test("lars route add - refuses to grow a module past one frame", async () => {
  const dir = await repoTempDir("cli_");
  try {
    const path = `${dir.path}/lars.db`;
    const init = await runTask("lars", ["db", "init", "--store", `sqlite:${path}`]);
    assert.equal(init.code, 0, init.stderr);
    // 4,095 hosts at 192.168.x.x (10-byte addresses on the wire) fill a frame.
    const db = new DatabaseSync(path);
    db.exec("BEGIN");
    const insert = db.prepare(
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (1, 1, ?, 9000)",
    );
    for (let i = 0; i < 4095; i++) insert.run(ipToInt("192.168.0.0") + i);
    db.exec("COMMIT");
    db.close();
    const refused = await runTask("lars", [
      "route",
      "add",
      "1",
      "1",
      "192.168.200.1",
      "9000",
      "--store",
      `sqlite:${path}`,
    ]);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stdout,
      /refusing to add 192\.168\.200\.1:9000: module 1\/1 would have 4096 hosts.*65527-byte limit/,
    );
    // Other modules, and hosts already present, are fine.
    const other = await runTask("lars", [
      "route",
      "add",
      "1",
      "2",
      "192.168.200.1",
      "9000",
      "--store",
      `sqlite:${path}`,
    ]);
    assert.equal(other.code, 0, other.stderr);
    const list = await runTask("lars", ["route", "list", "1", "1", "--store", `sqlite:${path}`]);
    assert.match(list.stdout, /4095 hosts, route version/);
  } finally {
    await dir.remove();
  }
});

Deno.test({
  name: "dns process - mariadb down at start: deno task dns retries, then serves",
  ignore: server === null || !server.managed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await repoTempDir("dns_");
    const url = await server!.createDatabase(`lars_dns_down_${Deno.pid}`);
    const conf = `${dir.path}/lars_dns.conf`;
    await writeRepoFile(conf, `[reactor]\nip = 127.0.0.1\nport = 0\n[store]\nurl = ${url}\n`);
    await server!.stop({ signal: "SIGKILL" });
    const dns = new ServiceProcess("dns", ["--config", conf]);
    let conn: RawFrameConn | undefined;
    try {
      await dns.waitForLog(/cannot load routes: .*retrying in \d+ ms/);
      assert.doesNotMatch(dns.log, /listening on/);
      await server!.start();
      conn = await RawFrameConn.connect(await listeningPort(dns, 30_000));
      await ask(conn, 1, 1);
      await waitFor(() => routes(conn!).length === 1, "answer once the database is back");
    } finally {
      await conn?.close();
      const status = await dns.stop("SIGTERM");
      assert.equal(status.code, 0, dns.log);
      await dir.remove();
    }
  },
});

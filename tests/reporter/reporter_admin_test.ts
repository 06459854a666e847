import assert from "node:assert/strict";
import { adminUrlIn, getJson, scrape } from "../support/admin.ts";
import { getTestMysql } from "../support/mariadb.ts";
import { RawFrameConn } from "../support/net.ts";
import { listeningPort, repoTempDir, ServiceProcess, writeRepoFile } from "../support/process.ts";
import { report, reportFrame } from "./service_suite.ts";

const server = await getTestMysql();

Deno.test("reporter admin - ready with a reachable store; rows written and frames counted", async () => {
  const dir = await repoTempDir("reporter_admin_");
  const conf = `${dir.path}/lars_reporter.conf`;
  await writeRepoFile(
    conf,
    `[reactor]\nip = 127.0.0.1\nport = 0\n[store]\nurl = sqlite:${dir.path}/lars.db\n` +
      `[reporter]\nflush_ms = 10\n[admin]\nport = 0\n`,
  );
  const reporter = new ServiceProcess("reporter", ["--config", conf]);
  try {
    await reporter.waitForLog(/admin endpoint on http:/);
    const base = adminUrlIn(reporter.log)!;
    const deadline = Date.now() + 10_000;
    let ready = await getJson(`${base}/readyz`);
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await getJson(`${base}/readyz`);
    }
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.checks.store.ok, true);
    const before = await scrape(base);
    assert.equal(before.value("lars_reporter_rows_written_total"), 0);
    assert.equal(before.value("lars_reporter_store_up"), 1);

    const conn = await RawFrameConn.connect(await listeningPort(reporter));
    const ts = Math.floor(Date.now() / 1000);
    await conn.write(reportFrame(report(1, ts, [{ succ: 3, err: 1 }, { succ: 5, err: 0 }])));
    let rows = 0;
    while (rows < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      rows = (await scrape(base)).value("lars_reporter_rows_written_total")!;
    }
    assert.equal(rows, 2);
    const after = await scrape(base);
    assert.equal(after.value("lars_reporter_reports_total"), 1);
    assert.equal(after.value("lars_reporter_results_total"), 2);
    assert.equal(after.value("lars_reporter_queue_keys"), 0);
    assert.equal(after.value("lars_reporter_dropped_total"), 0);
    assert.equal(after.value("lars_frames_received_total", { endpoint: "reporter" }), 1);
    await conn.close();
  } finally {
    const status = await reporter.stop("SIGTERM");
    assert.equal(status.code, 0, reporter.log);
    await dir.remove();
  }
});

Deno.test({
  name:
    "reporter admin - mariadb: an idle reporter turns unready when the store goes away, ready when back",
  ignore: server === null || !server.managed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await repoTempDir("reporter_admin_");
    const url = await server!.createDatabase(`lars_rep_ready_${Deno.pid}`);
    const conf = `${dir.path}/lars_reporter.conf`;
    await writeRepoFile(
      conf,
      `[reactor]\nip = 127.0.0.1\nport = 0\n[store]\nurl = ${url}\n` +
        `[admin]\nport = 0\n`,
    );
    const reporter = new ServiceProcess("reporter", ["--config", conf]);
    try {
      await reporter.waitForLog(/admin endpoint on http:/);
      const base = adminUrlIn(reporter.log)!;
      const until = async (status: number, what: string) => {
        const deadline = Date.now() + 30_000;
        while (true) {
          const ready = await getJson(`${base}/readyz`);
          if (ready.status === status) return ready.body;
          assert.ok(Date.now() < deadline, `${what}: ${JSON.stringify(ready.body)}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await until(200, "ready at start");
      await server!.stop({ signal: "SIGKILL" });
      // No report arrives: the reporter probes its store when asked after 5 s idle.
      const down = await until(503, "unready without the store");
      assert.equal(down.checks.store.ok, false);
      assert.match(down.checks.store.detail, /store unreachable for \d+ s: /);
      assert.equal((await scrape(base)).value("lars_reporter_store_up"), 0);
      await server!.start();
      const up = await until(200, "ready again");
      assert.match(up.checks.store.detail, /store reachable/);
    } finally {
      const status = await reporter.stop("SIGTERM");
      assert.equal(status.code, 0, reporter.log);
      await dir.remove();
    }
  },
});

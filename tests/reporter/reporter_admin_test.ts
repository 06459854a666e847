import assert from "node:assert/strict";
import { adminUrlIn, getJson, scrape } from "../support/admin.ts";
import { RawFrameConn } from "../support/net.ts";
import { freeTcpPort } from "../support/ports.ts";
import { repoTempDir, ServiceProcess, writeRepoFile } from "../support/process.ts";
import { report, reportFrame } from "./service_suite.ts";

Deno.test("reporter admin - ready with a reachable store; rows written and frames counted", async () => {
  const dir = await repoTempDir("reporter_admin_");
  const port = freeTcpPort();
  const conf = `${dir.path}/lars_reporter.conf`;
  await writeRepoFile(
    conf,
    `[reactor]\nip = 127.0.0.1\nport = ${port}\n[store]\nurl = sqlite:${dir.path}/lars.db\n` +
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

    const conn = await RawFrameConn.connect(port);
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

// deno-lint-ignore-file no-explicit-any -- JSON bodies of the admin endpoint
import assert from "node:assert/strict";
import { adminUrlIn, getJson, scrape } from "../support/admin.ts";
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

const server = await getTestMysql();

function dnsConfig(storeUrl: string, extra = ""): string {
  return `[reactor]\nip = 127.0.0.1\nport = 0\n[store]\nurl = ${storeUrl}\n` +
    `[admin]\nport = 0\n${extra}`;
}

async function adminOf(dns: ServiceProcess): Promise<string> {
  await dns.waitForLog(/admin endpoint on http:/);
  return adminUrlIn(dns.log)!;
}

Deno.test("dns admin - metrics move with requests and pushes; JSON log lines parse", async () => {
  const dir = await repoTempDir("dns_admin_");
  const conf = `${dir.path}/lars_dns.conf`;
  const storeUrl = `sqlite:${dir.path}/lars.db`;
  await writeRepoFile(conf, dnsConfig(storeUrl, "[log]\nformat = json\n"));
  const dns = new ServiceProcess("dns", ["--config", conf]);
  let conn: RawFrameConn | undefined;
  try {
    const base = await adminOf(dns);
    const port = await listeningPort(dns);
    const ready = await getJson(`${base}/readyz`);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.match(ready.body.checks.routes.detail, /version \d+: 0 modules, 0 hosts/);

    const before = await scrape(base);
    assert.equal(before.value("lars_dns_requests_total"), 0);
    assert.equal(before.value("lars_dns_hosts"), 0);
    assert.equal(before.value("lars_dns_push_delay_seconds_count"), 0);
    assert.equal(before.types.get("lars_dns_push_delay_seconds"), "histogram");

    conn = await RawFrameConn.connect(port);
    await ask(conn, 9, 9);
    await waitFor(() => routes(conn!).length === 1, "first answer");
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
    await waitFor(() => routes(conn!).length === 2, "push after route add", 10_000);

    const after = await scrape(base);
    assert.equal(after.value("lars_dns_requests_total"), 1);
    assert.equal(after.value("lars_dns_pushes_total"), 1);
    assert.equal(after.value("lars_dns_modules"), 1);
    assert.equal(after.value("lars_dns_hosts"), 1);
    assert.equal(after.value("lars_dns_subscriptions"), 1);
    assert.equal(after.value("lars_dns_push_delay_seconds_count"), 1);
    assert.equal(after.value("lars_bad_frames_total", { endpoint: "dns" }), 0);

    // A malformed frame closes its connection and is counted.
    const bad = await RawFrameConn.connect(port);
    await bad.write(new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])); // msglen -1
    await bad.waitClosed();
    const counted = await scrape(base);
    assert.equal(counted.value("lars_bad_frames_total", { endpoint: "dns" }), 1);
  } finally {
    await conn?.close();
    const status = await dns.stop("SIGTERM");
    assert.equal(status.code, 0, dns.log);
    await dir.remove();
  }
  // Every line is one JSON object; the push is at info with the module and hosts.
  const lines = dns.log.trim().split("\n").map((line) => JSON.parse(line));
  for (const line of lines) {
    assert.equal(typeof line.ts, "string");
    assert.ok(["debug", "info", "warn", "error"].includes(line.level), JSON.stringify(line));
    assert.equal(typeof line.msg, "string");
  }
  const push = lines.find((l: any) => l.msg.startsWith("pushed 9/9"));
  assert.ok(push, dns.log);
  assert.equal(push.level, "info");
  assert.equal(push.modid, 9);
  assert.equal(push.cmdid, 9);
  assert.match(push.msg, /10\.9\.9\.9:99/);
  assert.ok(lines.some((l: any) => l.level === "info" && /routes reloaded/.test(l.msg)));
});

Deno.test({
  name: "dns admin - mariadb down at start: /readyz is 503 with the reason, then 200",
  ignore: server === null || !server.managed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await repoTempDir("dns_admin_");
    const url = await server!.createDatabase(`lars_dns_ready_${Deno.pid}`);
    const conf = `${dir.path}/lars_dns.conf`;
    await writeRepoFile(conf, dnsConfig(url));
    await server!.stop({ signal: "SIGKILL" });
    const dns = new ServiceProcess("dns", ["--config", conf]);
    try {
      const base = await adminOf(dns);
      await dns.waitForLog(/cannot load routes/);
      const down = await getJson(`${base}/readyz`);
      assert.equal(down.status, 503);
      assert.equal(down.body.ready, false);
      assert.equal(down.body.checks.routes.ok, false);
      assert.match(down.body.checks.routes.detail, /no route table loaded yet: /);
      assert.equal((await getJson(`${base}/healthz`)).status, 200, "alive while not ready");
      const metrics = await scrape(base);
      assert.ok(metrics.value("lars_dns_db_errors_total")! >= 1);
      assert.equal(metrics.value("lars_dns_route_version"), -1);

      await server!.start();
      await dns.waitForLog(/listening on 127\.0\.0\.1:\d+/, 30_000);
      const up = await getJson(`${base}/readyz`);
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.checks.routes.ok, true);
    } finally {
      const status = await dns.stop("SIGTERM");
      assert.equal(status.code, 0, dns.log);
      await dir.remove();
    }
  },
});

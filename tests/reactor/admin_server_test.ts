import assert from "node:assert/strict";
import { AdminServer, startAdminServer } from "../../reactor/admin_server.ts";
import { Config, ConfigError } from "../../reactor/config.ts";
import { Counters } from "../../reactor/counters.ts";
import { createLogger } from "../../reactor/log.ts";
import { createMetricsRegistry, defineMetric } from "../../reactor/metrics.ts";
import { readAdminSettings, readLogFormat } from "../../reactor/ops_settings.ts";
import type { Transport } from "../../reactor/transport.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { nodeTransport } from "../../reactor/transport_node.ts";
import { getJson, scrape } from "../support/admin.ts";

async function exercise(transport: Transport): Promise<void> {
  const counters = new Counters(["requests"] as const);
  const registry = createMetricsRegistry();
  defineMetric(registry, {
    type: "counter",
    name: "lars_test_requests_total",
    help: "Requests.",
    read: () => counters.get("requests"),
  });
  defineMetric(registry, {
    type: "gauge",
    name: "lars_test_things",
    help: "Things by kind.",
    labels: ["kind"],
    read: () => Promise.resolve([{ labels: { kind: "a" }, value: 2 }]),
  });
  let loaded = false;
  const server = new AdminServer({
    transport,
    service: "test",
    registry,
    readiness: () => ({ table: { ok: loaded, detail: loaded ? "loaded" : "not loaded yet" } }),
    routes: {
      "/extra": () => new Response("extra"),
      "/broken": () => {
        throw new Error("broken route");
      },
    },
    log: createLogger("admin-test"),
  });
  await server.start();
  const base = server.url;
  try {
    const first = await scrape(base);
    assert.equal(first.value("lars_test_requests_total"), 0);
    assert.equal(first.types.get("lars_test_requests_total"), "counter");
    assert.equal(first.value("lars_test_things", { kind: "a" }), 2);
    assert.ok(first.types.has("lars_process_cpu_seconds_total"), "process metrics");
    assert.ok(first.value("lars_process_resident_memory_bytes")! > 0, "RSS");
    counters.inc("requests", 5);
    assert.equal((await scrape(base)).value("lars_test_requests_total"), 5, "the counter moves");

    const notReady = await getJson(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.body.checks, { table: { ok: false, detail: "not loaded yet" } });
    assert.equal(notReady.body.ready, false);
    loaded = true;
    const ready = await getJson(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);

    const health = await getJson(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "ok");
    assert.equal((await getJson(`${base}/nope`)).status, 404);
    const broken = await getJson(`${base}/broken`);
    assert.equal(broken.status, 500);
    assert.match(broken.body.error, /broken route/);
    const extra = await fetch(`${base}/extra`);
    assert.equal(await extra.text(), "extra");
    const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const index = await getJson(`${base}/`);
    assert.deepEqual(index.body.endpoints, [
      "/metrics",
      "/healthz",
      "/readyz",
      "/extra",
      "/broken",
    ]);
  } finally {
    await server.stop();
  }
}

Deno.test("admin server - deno transport: metrics move, readiness flips, errors are JSON", () =>
  exercise(denoTransport));

Deno.test("admin server - node transport (Bun): the same over node:http", () =>
  exercise(nodeTransport));

Deno.test("admin server - off without [admin] port; a port in use fails with the address", async () => {
  const off = readAdminSettings(Config.parse("[agent]\nport = 1\n", "a.conf"));
  assert.equal(off, null);
  let built = 0;
  const content = () => {
    built++;
    return { registry: createMetricsRegistry(), readiness: () => ({}) };
  };
  assert.equal(
    await startAdminServer(off, { transport: denoTransport, service: "x", content }),
    null,
  );
  assert.equal(built, 0, "no registry is built while the endpoint is off");
  const on = readAdminSettings(Config.parse("[admin]\nport = 0\n", "a.conf"))!;
  assert.deepEqual(on, { hostname: "127.0.0.1", port: 0 });
  const first = await startAdminServer(on, { transport: denoTransport, service: "x", content });
  assert.equal(built, 1);
  try {
    await assert.rejects(
      startAdminServer({ hostname: "127.0.0.1", port: first!.addr.port }, {
        transport: denoTransport,
        service: "y",
        content,
      }),
      new RegExp(`cannot serve the admin endpoint on 127\\.0\\.0\\.1:${first!.addr.port}`),
    );
  } finally {
    await first!.stop();
  }
});

Deno.test("ops settings - bad [admin] and [log] values name file, section and key", () => {
  assert.throws(
    () => readAdminSettings(Config.parse("[admin]\nport = 70000\n", "x.conf")),
    (err: unknown) => err instanceof ConfigError && /x\.conf: \[admin\] port:/.test(err.message),
  );
  assert.throws(
    () => readAdminSettings(Config.parse("[admin]\nip = everywhere\nport = 1\n", "x.conf")),
    /x\.conf: \[admin\] ip: expected an IPv4 address/,
  );
  assert.equal(readLogFormat(Config.parse("[log]\nformat = json\n", "x.conf")), "json");
  assert.equal(readLogFormat(Config.parse("", "x.conf")), undefined);
  assert.throws(
    () => readLogFormat(Config.parse("[log]\nformat = xml\n", "x.conf")),
    /x\.conf: \[log\] format: expected text or json, got "xml"/,
  );
});

Deno.test("metrics - names without lars_, or _total on a gauge, are refused", () => {
  const registry = createMetricsRegistry();
  const read = () => 1;
  assert.throws(() => defineMetric(registry, { type: "counter", name: "x_total", help: "", read }));
  assert.throws(() =>
    defineMetric(registry, { type: "gauge", name: "lars_x_total", help: "", read })
  );
  assert.throws(() => defineMetric(registry, { type: "counter", name: "lars_x", help: "", read }));
});

import assert from "node:assert/strict";
import { readDnsSettings } from "../../dns/config.ts";
import { DnsService } from "../../dns/dns_service.ts";
import { Subscriptions } from "../../dns/subscriptions.ts";
import { ipToInt } from "../../proto/mod.ts";
import { Config, ConfigError } from "../../reactor/config.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { openRouteStore } from "../../store/url.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { ask, routes } from "./dns_suite.ts";

const dir = await Deno.makeTempDir({ prefix: "lars_dns_edges_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
let n = 0;

Deno.test("subscriptions - per-connection caps, unknown modules capped apart", () => {
  const subs = new Subscriptions<string>({ maxPerConnection: 4, maxUnknownPerConnection: 2 });
  assert.equal(subs.add("a", "1,1"), "added");
  assert.equal(subs.add("a", "1,1"), "already");
  assert.equal(subs.add("a", "9,1", false), "added");
  assert.equal(subs.add("a", "9,2", false), "added");
  assert.equal(subs.add("a", "9,3", false), "unknown-full");
  assert.equal(subs.add("a", "1,2"), "added");
  assert.equal(subs.add("a", "1,3"), "full");
  assert.equal(subs.add("b", "1,1"), "added"); // caps are per connection
  assert.deepEqual([subs.size, subs.moduleCount, subs.unknownOf("a")], [5, 4, 2]);
  assert.deepEqual(subs.subscribers("1,1").sort(), ["a", "b"]);
  subs.removeConnection("a");
  assert.deepEqual([subs.size, subs.moduleCount], [1, 1]);
  assert.deepEqual(subs.subscribers("1,1"), ["b"]);
  assert.deepEqual(subs.subscribers("9,1"), []);
  subs.removeConnection("b");
  assert.deepEqual([subs.size, subs.moduleCount], [0, 0]);
  assert.throws(() => new Subscriptions({ maxPerConnection: 0 }), RangeError);
});

Deno.test("subscriptions - 1,000,000 distinct keys on one connection stay within the cap", () => {
  const subs = new Subscriptions<string>({ maxPerConnection: 1000, maxUnknownPerConnection: 10 });
  for (let i = 0; i < 1_000_000; i++) subs.add("a", `${i},1`, i % 2 === 0);
  assert.equal(subs.size, 1000);
  assert.equal(subs.moduleCount, 1000);
  assert.equal(subs.unknownOf("a"), 10);
});

Deno.test("dns edges - unknown modules beyond the cap are answered, not subscribed; within it they get the push", async () => {
  const url = `sqlite:${dir}/routes_${++n}.db`;
  const store = await openRouteStore(url);
  const admin = await openRouteStore(url);
  await admin.init();
  await admin.addHost(1, 1, ipToInt("10.0.0.1"), 80);
  const service = new DnsService({
    store,
    transport: denoTransport,
    port: 0,
    pollIntervalMs: 20,
    subscriptions: { maxPerConnection: 100, maxUnknownPerConnection: 3 },
  });
  await service.start();
  const conn = await RawFrameConn.connect(service.addr.port);
  try {
    await ask(conn, 1, 1);
    for (let modid = 100; modid < 600; modid++) await ask(conn, modid, 1);
    await waitFor(() => routes(conn).length === 501, "every request answered");
    assert.equal(service.subscriptionCount, 1 + 3);
    assert.equal(service.counters.get("subscriptionsRefused"), 497);
    // Modules created later: the first three asked for get a push, later ones do not.
    await admin.addHost(101, 1, ipToInt("10.0.0.2"), 81);
    await admin.addHost(500, 1, ipToInt("10.0.0.3"), 82);
    await waitFor(() => routes(conn).length === 502, "push of the created module");
    await waitFor(() => service.table.hosts(500, 1).length === 1, "table has module 500");
    await new Promise((r) => setTimeout(r, 100));
    const pushed = routes(conn).slice(501);
    assert.deepEqual(pushed.map((r) => [r.modid, r.host.length]), [[101, 1]]);
  } finally {
    await conn.close();
    await service.stop();
    await store.close();
    await admin.close();
  }
});

Deno.test("dns edges - config keys of the caps and limits, with file, section and key in errors", () => {
  const parse = (text: string) => readDnsSettings(Config.parse(text, "lars_dns.conf"));
  const store = "[store]\nurl = sqlite:x.db\n";
  const defaults = parse(store);
  assert.deepEqual(defaults.subscriptions, {
    maxPerConnection: 200_000,
    maxUnknownPerConnection: 1000,
  });
  assert.deepEqual(
    [defaults.maxConn, defaults.maxConnPerIp, defaults.frameTimeoutMs, defaults.allow],
    [1024, 128, 10_000, []],
  );
  const set = parse(`${store}[dns]\nmax_subscriptions = 5\nmax_unknown_subscriptions = 0\n`);
  assert.deepEqual(set.subscriptions, { maxPerConnection: 5, maxUnknownPerConnection: 0 });
  assert.throws(
    () => parse(`${store}[dns]\nmax_subscriptions = 0\n`),
    (e: Error) =>
      e instanceof ConfigError && e.message.startsWith("lars_dns.conf: [dns] max_subscriptions:"),
  );
});

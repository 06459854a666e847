// deno-lint-ignore-file no-explicit-any -- JSON bodies of the admin endpoint
import assert from "node:assert/strict";
import { ipToInt, RetCode } from "../../proto/mod.ts";
import { adminUrlIn, getJson, scrape } from "../support/admin.ts";
import { waitFor } from "../support/net.ts";
import { runTask } from "../support/process.ts";
import { AgentSystem } from "./agent_system.ts";

const A = { ip: ipToInt("10.0.0.1"), port: 8001 };
const B = { ip: ipToInt("10.0.0.2"), port: 8002 };

async function adminOf(sys: AgentSystem): Promise<string> {
  await sys.agent!.waitForLog(/admin endpoint on http:/);
  return adminUrlIn(sys.agent!.log)!;
}

Deno.test("agent admin - get_host moves lars_agent_get_host_total; failures show as overload in /hosts and metrics", async () => {
  const sys = await AgentSystem.start({
    loadBalance: { contin_err_limit: 3 },
    extraConfig: "[admin]\nport = 0",
  });
  try {
    const base = await adminOf(sys);
    for (const h of [A, B]) await sys.admin.addHost(5, 7, h.ip, h.port);
    const before = await scrape(base);
    assert.equal(before.value("lars_agent_get_host_total", { retcode: "succ" }), 0);
    assert.equal(before.types.get("lars_agent_get_host_total"), "counter");

    const deadline = Date.now() + 10_000;
    while ((await sys.probe.getHost(5, 7)).retcode !== RetCode.SUCC) {
      assert.ok(Date.now() < deadline, "the route never loaded");
      await new Promise((r) => setTimeout(r, 20));
    }
    await sys.probe.getHost(5, 7);
    const after = await scrape(base);
    assert.ok(after.value("lars_agent_get_host_total", { retcode: "succ" })! >= 2);
    assert.ok(after.value("lars_agent_get_host_total", { retcode: "noexist" })! >= 1);
    assert.equal(
      after.value("lars_agent_requests_total", { type: "get_host" }),
      after.value("lars_agent_get_host_total", { retcode: "succ" })! +
        after.value("lars_agent_get_host_total", { retcode: "noexist" })!,
    );
    assert.equal(after.value("lars_agent_hosts", { state: "idle" }), 2);
    assert.equal(after.value("lars_agent_hosts", { state: "overload" }), 0);
    assert.equal(after.value("lars_agent_dns_connected"), 1);
    assert.equal(after.value("lars_bad_frames_total", { endpoint: "agent-udp" }), 0);
    assert.ok(after.value("lars_process_resident_memory_bytes")! > 0, "RSS is read");

    for (let i = 0; i < 3; i++) sys.probe.report(5, 7, A, 1);
    let hosts: any;
    const until = Date.now() + 10_000;
    while (true) {
      hosts = (await getJson(`${base}/hosts`)).body;
      const module = hosts.modules.find((m: any) => m.modid === 5 && m.cmdid === 7);
      if (module?.hosts.some((h: any) => h.state === "overload")) break;
      assert.ok(Date.now() < until, `no host overloaded: ${JSON.stringify(hosts)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const module = hosts.modules.find((m: any) => m.modid === 5 && m.cmdid === 7);
    const bad = module.hosts.find((h: any) => h.ip === "10.0.0.1");
    assert.equal(bad.port, 8001);
    assert.equal(bad.state, "overload");
    assert.equal(bad.reason.rule, "contin_err");
    assert.match(bad.reason.text, /3 contiguous errors >= contin_err_limit 3/);
    assert.ok(Date.parse(bad.since) <= Date.now());
    assert.deepEqual(bad.window, { succ: 0, err: 0 }, "set_overload starts a fresh window");
    const good = module.hosts.find((h: any) => h.ip === "10.0.0.2");
    assert.equal(good.state, "idle");
    assert.equal(good.reason, null);
    assert.deepEqual(hosts.shards.map((s: any) => s.up), [true, true, true]);

    const metrics = await scrape(base);
    assert.equal(metrics.value("lars_agent_hosts", { state: "overload" }), 1);
    assert.equal(metrics.value("lars_agent_hosts", { state: "idle" }), 1);
    assert.equal(metrics.value("lars_agent_host_transitions_total", { rule: "contin_err" }), 1);
    assert.ok(metrics.value("lars_agent_requests_total", { type: "report" })! >= 3);
    await waitFor(() => /host 10\.0\.0\.1:8001 of 5\/7 overloaded/.test(sys.agent!.log), "log");

    const one = await getJson(`${base}/hosts?modid=5&cmdid=7`);
    assert.equal(one.body.modules.length, 1);
    assert.equal((await getJson(`${base}/hosts?modid=5`)).status, 400);
    assert.equal((await getJson(`${base}/hosts?modid=x&cmdid=1`)).status, 400);

    const ready = await getJson(`${base}/readyz`);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.equal(ready.body.checks.shards.ok, true);
    assert.equal((await getJson(`${base}/healthz`)).status, 200);

    // lars status --json reads the same view through the admin endpoint.
    const status = await runTask("lars", [
      "status",
      "--json",
      "--admin",
      base.replace("http://", ""),
      "--module",
      "5",
      "7",
    ]);
    assert.equal(status.code, 0, status.stderr);
    const snapshot = JSON.parse(status.stdout);
    assert.equal(snapshot.modules.length, 1);
    assert.equal(
      snapshot.modules[0].hosts.find((h: any) => h.ip === "10.0.0.1").state,
      "overload",
    );
  } finally {
    await sys.close();
  }
});

Deno.test("agent admin - readiness: ready with DNS or cached routes, not without both", async () => {
  const sys = await AgentSystem.start({ extraConfig: "[admin]\nport = 0" });
  try {
    const base = await adminOf(sys);
    await waitFor(() => sys.agent!.log.includes("DNS connected"), "DNS connection", 10_000);
    assert.equal((await getJson(`${base}/readyz`)).status, 200);
    await sys.stopDns();
    let ready = await getJson(`${base}/readyz`);
    const until = Date.now() + 10_000;
    while (ready.status === 200) {
      assert.ok(Date.now() < until, "still ready without DNS and without routes");
      await new Promise((r) => setTimeout(r, 50));
      ready = await getJson(`${base}/readyz`);
    }
    assert.equal(ready.status, 503);
    assert.equal(ready.body.ready, false);
    assert.match(ready.body.checks.routes.detail, /DNS not connected and no cached routes/);
    assert.equal(ready.body.checks.shards.ok, true);
  } finally {
    await sys.close();
  }
});

Deno.test("agent admin - /hosts is bounded by limit (hosts), lists whole modules in order and says truncated", async () => {
  const sys = await AgentSystem.start({ extraConfig: "[admin]\nport = 0" });
  try {
    const base = await adminOf(sys);
    // Modules 1/1 .. 6/1 (spread over the three shards), two hosts each.
    for (let m = 1; m <= 6; m++) {
      for (const h of [A, B]) await sys.admin.addHost(m, 1, h.ip, h.port);
    }
    for (let m = 1; m <= 6; m++) {
      const deadline = Date.now() + 10_000;
      while ((await sys.probe.getHost(m, 1)).retcode !== RetCode.SUCC) {
        assert.ok(Date.now() < deadline, `module ${m}/1 never loaded`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const all = await getJson(`${base}/hosts`);
    assert.equal(all.status, 200);
    assert.deepEqual(
      [all.body.limit, all.body.truncated, all.body.moduleCount, all.body.modules.length],
      [1000, false, 6, 6],
    );
    const five = (await getJson(`${base}/hosts?limit=5`)).body;
    assert.deepEqual(five.modules.map((m: any) => `${m.modid}/${m.cmdid}:${m.hosts.length}`), [
      "1/1:2",
      "2/1:2",
    ]);
    assert.deepEqual([five.truncated, five.moduleCount], [true, 6]);
    // A module bigger than the limit is still listed, alone and whole.
    const one = (await getJson(`${base}/hosts?limit=1`)).body;
    assert.deepEqual(one.modules.map((m: any) => [m.modid, m.hosts.length]), [[1, 2]]);
    assert.equal(one.truncated, true);
    for (const bad of ["0", "10001", "x"]) {
      const answer = await getJson(`${base}/hosts?limit=${bad}`);
      assert.equal(answer.status, 400, bad);
      assert.match(answer.body.error, /limit/);
    }
  } finally {
    await sys.close();
  }
});

/**
 * Our balancing rules through a real agent subprocess (DNS in this process,
 * statistics to a sink): the ejection cap, and host weights from DNS.
 */
import assert from "node:assert/strict";
import { ipToInt, RetCode } from "../../proto/mod.ts";
import { waitFor } from "../support/net.ts";
import { openReportStore } from "../../store/url.ts";
import { runTask } from "../support/process.ts";
import { adminUrlIn, getJson } from "../support/admin.ts";
import { AgentSystem } from "./agent_system.ts";

const A = { ip: ipToInt("10.0.0.1"), port: 8001 };
const B = { ip: ipToInt("10.0.0.2"), port: 8002 };
const key = (h: { ip: number; port: number } | undefined) => `${h?.ip}:${h?.port}`;

/** The part of a `/hosts` module these tests read. */
interface ModuleJson {
  panic: boolean;
  hosts: { state: string; pardoned: boolean; weight: number }[];
}

/**
 * Waits until the agent hands out hosts of the module, then fails each of
 * `hosts` `times` times and waits for statistics showing them all overloaded.
 */
async function failAll(
  sys: AgentSystem,
  modid: number,
  cmdid: number,
  hosts: { ip: number; port: number }[],
  times: number,
) {
  const deadline = Date.now() + 10_000;
  while ((await sys.probe.getHost(modid, cmdid)).retcode !== RetCode.SUCC) {
    if (Date.now() > deadline) throw new Error(`route of ${modid}/${cmdid} did not arrive`);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const host of hosts) for (let i = 0; i < times; i++) sys.probe.report(modid, cmdid, host, 1);
  // The statistics show both overloaded once every report is in.
  await waitFor(
    () =>
      sys.sink!.received.some((r) =>
        r.modid === modid && r.results.length === hosts.length &&
        r.results.every((h) => h.overload)
      ),
    "both hosts overloaded in the agent's statistics",
  );
}

Deno.test("balance system - max_ejection_percent 50: every host failing, calls still get a host", async () => {
  const sys = await AgentSystem.start({
    loadBalance: { contin_err_limit: 3 },
    extraConfig: "[admin]\nport = 0",
  });
  try {
    for (const h of [A, B]) await sys.admin.addHost(11, 1, h.ip, h.port);
    await failAll(sys, 11, 1, [A, B], 3);
    const codes = [];
    for (let i = 0; i < 24; i++) codes.push((await sys.probe.getHost(11, 1)).retcode);
    assert.deepEqual(new Set(codes), new Set([RetCode.SUCC]), `answers: ${codes.join(" ")}`);
    // The agent's /hosts says the module is in panic, and which host is kept in.
    await sys.agent!.waitForLog(/admin endpoint on http:/);
    const base = adminUrlIn(sys.agent!.log)!;
    const { body } = await getJson(`${base}/hosts?modid=11&cmdid=1`);
    const [module] = (body as { modules: ModuleJson[] }).modules;
    assert.equal(module.panic, true);
    assert.deepEqual(module.hosts.map((h) => h.state), ["overload", "overload"]);
    assert.equal(module.hosts.filter((h) => h.pardoned).length, 1);
    // lars status shows the panic and the host kept in, and passes /hosts through as JSON.
    const admin = ["--admin", base.replace("http://", ""), "--module", "11", "1"];
    const view = await runTask("lars", ["status", "--once", ...admin]);
    assert.equal(view.code, 0, view.stderr);
    assert.match(view.stdout, /^11\/1 .*PANIC: 1 overloaded kept in rotation/m);
    assert.equal(view.stdout.match(/^ {2}! 10\.0\.0\.\d:800\d\s+overload\s+1\s/gm)?.length, 2);
    assert.equal(view.stdout.match(/kept in \(panic\)/g)?.length, 1);
    const json = await runTask("lars", ["status", "--json", ...admin]);
    const [passed] = (JSON.parse(json.stdout) as { modules: ModuleJson[] }).modules;
    assert.equal(passed.panic, true);
    assert.deepEqual(passed.hosts.map((h) => h.weight), [1, 1]);
  } finally {
    await sys.close();
  }
});

Deno.test("balance system - max_ejection_percent 100 restores the original's RET_OVERLOAD", async () => {
  const sys = await AgentSystem.start({
    loadBalance: { contin_err_limit: 3, max_ejection_percent: 100, probe_interval: 0 },
  });
  try {
    for (const h of [A, B]) await sys.admin.addHost(12, 1, h.ip, h.port);
    await failAll(sys, 12, 1, [A, B], 3);
    const codes = [];
    for (let i = 0; i < 22; i++) codes.push((await sys.probe.getHost(12, 1)).retcode);
    // probe_num = 10: ten refusals, then a probe, twice.
    const overloads = codes.filter((c) => c === RetCode.OVERLOAD).length;
    assert.equal(overloads, 20, `answers: ${codes.join(" ")}`);
  } finally {
    await sys.close();
  }
});

/** Counts `n` picks of the module by host. */
async function tally(sys: AgentSystem, modid: number, cmdid: number, n: number) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await sys.probe.getHost(modid, cmdid);
    assert.equal(r.retcode, RetCode.SUCC);
    counts.set(key(r.host), (counts.get(key(r.host)) ?? 0) + 1);
  }
  return counts;
}

Deno.test("balance system - lars route add --weight reaches the agent through DNS and its cache", async () => {
  const sys = await AgentSystem.start();
  try {
    const add = (host: typeof A, ...extra: string[]) =>
      runTask("lars", [
        "route",
        "add",
        "21",
        "1",
        host === A ? "10.0.0.1" : "10.0.0.2",
        String(host.port),
        ...extra,
        "--store",
        sys.storeUrl,
      ]);
    const weighted = await add(A, "--weight", "3");
    assert.equal(weighted.code, 0, weighted.stderr);
    assert.match(weighted.stdout, /added 10\.0\.0\.1:8001 with weight 3 to 21\/1/);
    assert.equal((await add(B)).code, 0);
    const list = await runTask("lars", ["route", "list", "21", "--store", sys.storeUrl]);
    assert.match(list.stdout, /^21\t1\t10\.0\.0\.1\t8001\t3$/m);
    assert.match(list.stdout, /^21\t1\t10\.0\.0\.2\t8002\t1$/m);
    const bad = await add(B, "--weight", "0");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--weight must be 1\.\.10000, got "0"/);

    const deadline = Date.now() + 10_000;
    while ((await sys.probe.getHost(21, 1)).retcode !== RetCode.SUCC) {
      if (Date.now() > deadline) throw new Error("route of 21/1 did not arrive");
      await new Promise((r) => setTimeout(r, 20));
    }
    // Smooth weighted round robin: any 40 picks hold exactly ten 3:1 cycles.
    assert.deepEqual(await tally(sys, 21, 1, 40), new Map([[key(A), 30], [key(B), 10]]));

    // lars route weight changes it; DNS pushes the module and the agent follows.
    const reweigh = await runTask("lars", [
      "route",
      "weight",
      "21",
      "1",
      "10.0.0.2",
      "8002",
      "3",
      "--store",
      sys.storeUrl,
    ]);
    assert.equal(reweigh.code, 0, reweigh.stderr);
    const until = Date.now() + 10_000;
    let even = await tally(sys, 21, 1, 40);
    while (even.get(key(A)) !== 20) {
      assert.ok(Date.now() < until, `weights 3:3 never applied: ${[...even.values()]}`);
      await new Promise((r) => setTimeout(r, 50));
      even = await tally(sys, 21, 1, 40);
    }
    assert.deepEqual(even, new Map([[key(A), 20], [key(B), 20]]));

    // The route cache keeps the weight: an agent restarted while DNS is down still weighs.
    let cache = await runTask("lars", ["cache", "--config", sys.configPath]);
    for (let i = 0; i < 50 && !/10\.0\.0\.2/.test(cache.stdout); i++) {
      await new Promise((r) => setTimeout(r, 50)); // the cache write is debounced
      cache = await runTask("lars", ["cache", "--config", sys.configPath]);
    }
    await sys.stopAgent();
    await sys.stopDns();
    await sys.startAgent();
    assert.match(sys.agent!.log, /serving 1 routes from cache/);
    assert.deepEqual(await tally(sys, 21, 1, 40), new Map([[key(A), 20], [key(B), 20]]));
    await sys.startDns();
  } finally {
    await sys.close();
  }
});

Deno.test("balance system - ten agents saw a host fail: a fresh agent's first calls avoid it", async () => {
  const sys = await AgentSystem.start({
    dnsFleet: { intervalMs: 50 },
    loadBalance: { slow_start: 0 }, // a plain 1:1 rotation once A is back
  });
  const reports = await openReportStore(sys.storeUrl);
  try {
    // What ten agents reported (as the reporter stores it): six of them see A overloaded.
    const now = Math.floor(Date.now() / 1000);
    await reports.upsertStatus(Array.from({ length: 10 }, (_, i) => ({
      modid: 31,
      cmdid: 1,
      ...A,
      caller: ipToInt("10.9.0.1") + i,
      succ: 5,
      err: i < 6 ? 30 : 0,
      ts: now,
      overload: i < 6,
    })));
    for (const h of [A, B]) await sys.admin.addHost(31, 1, h.ip, h.port);
    await waitFor(() => sys.dns.table.hosts(31, 1).some((h) => h.fleetOverload), "the verdict");
    const deadline = Date.now() + 10_000;
    let first = await sys.probe.getHost(31, 1);
    while (first.retcode !== RetCode.SUCC) {
      if (Date.now() > deadline) throw new Error("route of 31/1 did not arrive");
      await new Promise((r) => setTimeout(r, 20));
      first = await sys.probe.getHost(31, 1);
    }
    // The fresh agent starts A in probing state: probe_num (10) picks go to B before A's probe.
    const picks = [key(first.host)];
    for (let i = 0; i < 9; i++) picks.push(key((await sys.probe.getHost(31, 1)).host));
    assert.deepEqual(picks, new Array(10).fill(key(B)), picks.join(" "));
    assert.equal(key((await sys.probe.getHost(31, 1)).host), key(A), "then one probe of A");
    // The probe succeeds (A is fine for this agent): a few successes bring A back.
    for (let i = 0; i < 6; i++) sys.probe.report(31, 1, A, 0);
    await new Promise((r) => setTimeout(r, 100));
    const after = await tally(sys, 31, 1, 20);
    assert.equal(after.get(key(A)), 10, "A back in plain rotation");
  } finally {
    await reports.close();
    await sys.close();
  }
});

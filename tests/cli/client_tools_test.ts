import assert from "node:assert/strict";
import { CACHE_FILE_NAME } from "../../agent/route_cache.ts";
import { ipToInt } from "../../proto/mod.ts";
import { AgentSystem } from "../agent/agent_system.ts";
import { waitFor } from "../support/net.ts";
import { runTask } from "../support/process.ts";

const A = { ip: ipToInt("10.7.0.1"), port: 7001 };
const B = { ip: ipToInt("10.7.0.2"), port: 7002 };

async function lars(sys: AgentSystem, ...args: string[]) {
  return await runTask("lars", [...args, "--config", sys.configPath]);
}

Deno.test("lars tools - gethost, getroute, report, simulator, example, qps against a live agent", async () => {
  const sys = await AgentSystem.start();
  try {
    for (const h of [A, B]) await sys.admin.addHost(21, 1, h.ip, h.port);

    await waitFor(() => sys.dns.table.moduleCount > 0, "DNS has loaded module 21/1");
    // The agent has never heard of 21/1: gethost calls reg_init first, as the C++ tool does,
    // so its very first call answers with a host.
    const got = await lars(sys, "gethost", "21", "1");
    assert.equal(got.code, 0, got.stdout + got.stderr);
    assert.match(got.stdout, /^RET_SUCC 10\.7\.0\.[12]:700[12]\n$/);

    const none = await lars(sys, "gethost", "99", "99");
    assert.equal(none.code, 1);
    assert.match(none.stdout, /^RET_NOEXIST/);

    const route = await lars(sys, "getroute", "21", "1");
    assert.equal(route.code, 0);
    assert.deepEqual(route.stdout.trim().split("\n").slice(0, 2).sort(), [
      "10.7.0.1:7001",
      "10.7.0.2:7002",
    ]);
    assert.match(route.stdout, /2 hosts for 21\/1/);

    const report = await lars(sys, "report", "21", "1", "10.7.0.1", "7001", "1");
    assert.equal(report.code, 0);
    assert.match(report.stdout, /reported failure of 10\.7\.0\.1:7001 for 21\/1/);
    await waitFor(
      () => sys.sink!.received.some((r) => r.modid === 21 && r.results.some((x) => x.err === 1)),
      "the reported failure in the statistics",
    );

    const sim = await lars(sys, "simulator", "21", "1", "--err-rate", "0", "--count", "200");
    assert.equal(sim.code, 0, sim.stderr);
    const rows = sim.stdout.trim().split("\n");
    assert.match(rows[0], /^HOST\s+SUCC\s+ERR$/);
    const totals = rows.slice(1).map((r) => r.split(/\s+/));
    assert.equal(totals.length, 2);
    assert.equal(totals.reduce((n, [, succ]) => n + Number(succ), 0), 200);
    assert.ok(totals.every(([, , err]) => err === "0"));

    const example = await lars(sys, "example", "21", "1", "--count", "3");
    assert.equal(example.code, 0);
    assert.match(example.stdout, /reg_init 21\/1: RET_SUCC/);
    assert.equal(example.stdout.match(/reporting success/g)?.length, 3);

    const qps = await lars(
      sys,
      "qps",
      "--clients",
      "2",
      "--seconds",
      "1",
      "--modid",
      "21",
      "--cmdid",
      "1",
    );
    assert.equal(qps.code, 0, qps.stderr);
    assert.match(qps.stdout, /^second 1: \d+ QPS, avg \d+ us, p50 \d+ us, p99 \d+ us/m);
    assert.match(qps.stdout, /^summary \(2 clients, 1 s\): [1-9]\d* QPS/m);
  } finally {
    await sys.close();
  }
});

Deno.test("lars tools - wrong arguments print usage and exit 2; --help exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [["gethost", "1"], /gethost takes MODID CMDID/],
    [["report", "1", "1", "10.0.0.1", "80", "7"], /must be 0 \(success\) or 1 \(failure\)/],
    [["simulator", "1", "1", "--err-rate", "11"], /--err-rate must be an integer from 0 to 10/],
    [["qps", "--clients", "0"], /--clients must be an integer from 1 to 1000/],
    [["qps", "--bogus", "1"], /unknown option --bogus/],
    [["frobnicate"], /unknown command "frobnicate"/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runTask("lars", args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.match(r.stderr, /usage:/);
  }
  const help = await runTask("lars", ["simulator", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /lars simulator MODID CMDID \[--err-rate 0\.\.10\] \[--count N\]/);
});

Deno.test("lars tools - no agent: gethost answers RET_SYSTEM_ERROR and exits 1", async () => {
  const sys = await AgentSystem.start();
  try {
    await sys.stopAgent();
    const r = await lars(sys, "gethost", "1", "1");
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^RET_SYSTEM_ERROR \(no answer from the agent/);
  } finally {
    await sys.close();
  }
});

Deno.test("lars tools - --json, --agent, --version, help, and unknown options named", async () => {
  const sys = await AgentSystem.start();
  try {
    await sys.admin.addHost(23, 4, A.ip, A.port);
    await waitFor(() => sys.dns.table.moduleCount > 0, "DNS has loaded module 23/4");
    const agent = `127.0.0.1:${sys.agentPort}`;
    const host = await runTask("lars", ["gethost", "23", "4", "--json", "--agent", agent]);
    assert.equal(host.code, 0, host.stderr);
    assert.deepEqual(JSON.parse(host.stdout), {
      modid: 23,
      cmdid: 4,
      retcode: "RET_SUCC",
      ip: "10.7.0.1",
      port: 7001,
    });
    const route = await lars(sys, "getroute", "23", "4", "--json");
    assert.deepEqual(JSON.parse(route.stdout), {
      modid: 23,
      cmdid: 4,
      retcode: "RET_SUCC",
      hosts: [{ ip: "10.7.0.1", port: 7001 }],
    });
    const list = await runTask("lars", ["route", "list", "23", "--json", "--store", sys.storeUrl]);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout);
    assert.deepEqual(listed.routes, [{
      modid: 23,
      cmdid: 4,
      ip: "10.7.0.1",
      port: 7001,
      weight: 1,
    }]);
    assert.equal(typeof listed.version, "number");
    const cacheFile = `${sys.dir.path}/cache/${CACHE_FILE_NAME}`;
    await waitFor(() => {
      try {
        return Deno.statSync(new URL(`../../${cacheFile}`, import.meta.url)).isFile;
      } catch {
        return false;
      }
    }, "the route cache file");
    const cache = JSON.parse((await lars(sys, "cache", "--json")).stdout);
    assert.deepEqual(cache.routes.map((r: { hosts: unknown }) => r.hosts), [[{
      ip: "10.7.0.1",
      port: 7001,
    }]]);

    const version = await runTask("lars", ["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^lars \d+\.\d+\.\d+\n$/);
    const help = await runTask("lars", ["help", "getroute"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /lars getroute MODID CMDID \[--json\]/);
    assert.doesNotMatch(help.stdout, /lars gethost/);
    for (const args of [["gethost", "1", "1", "--bogus"], ["route", "list", "--nope=1"]]) {
      const bad = await runTask("lars", args);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, new RegExp(`^lars: unknown option ${args.at(-1)!.split("=")[0]}\n`));
    }
    const badAgent = await runTask("lars", ["gethost", "1", "1", "--agent", "localhost"]);
    assert.equal(badAgent.code, 2);
    assert.match(badAgent.stderr, /--agent must be IPv4:PORT/);
  } finally {
    await sys.close();
  }
});

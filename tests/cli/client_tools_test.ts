import assert from "node:assert/strict";
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

    const first = await lars(sys, "gethost", "21", "1");
    // The first call may only start the pull; a later one picks a host.
    assert.ok(first.code === 0 || /RET_NOEXIST/.test(first.stdout), first.stdout + first.stderr);
    let got = first;
    for (let i = 0; i < 50 && got.code !== 0; i++) got = await lars(sys, "gethost", "21", "1");
    assert.equal(got.code, 0, got.stderr);
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

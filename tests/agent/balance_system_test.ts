/**
 * Our balancing rules through a real agent subprocess (DNS in this process,
 * statistics to a sink): the ejection cap, and host weights from DNS.
 */
import assert from "node:assert/strict";
import { ipToInt, RetCode } from "../../proto/mod.ts";
import { waitFor } from "../support/net.ts";
import { AgentSystem } from "./agent_system.ts";

const A = { ip: ipToInt("10.0.0.1"), port: 8001 };
const B = { ip: ipToInt("10.0.0.2"), port: 8002 };
const key = (h: { ip: number; port: number } | undefined) => `${h?.ip}:${h?.port}`;

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
  const sys = await AgentSystem.start({ loadBalance: { contin_err_limit: 3 } });
  try {
    for (const h of [A, B]) await sys.admin.addHost(11, 1, h.ip, h.port);
    await failAll(sys, 11, 1, [A, B], 3);
    const codes = [];
    for (let i = 0; i < 24; i++) codes.push((await sys.probe.getHost(11, 1)).retcode);
    assert.deepEqual(new Set(codes), new Set([RetCode.SUCC]), `answers: ${codes.join(" ")}`);
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

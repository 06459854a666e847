import assert from "node:assert/strict";
import { ORIGINAL_RULES } from "../../agent/load_balance.ts";
import { runScenario } from "../../bench/balance_sim/engine.ts";
import { SCENARIOS } from "../../bench/balance_sim/scenarios.ts";
import { renderSvg } from "../../bench/balance_sim/svg.ts";

const byName = (name: string) => SCENARIOS.find((s) => s.name === name)!;

Deno.test("balance_sim - a seed gives the same result twice; another seed differs", () => {
  const scenario = byName("flapping");
  const first = runScenario(scenario, {}, 7);
  assert.deepEqual(runScenario(scenario, {}, 7), first);
  assert.notDeepEqual(runScenario(scenario, {}, 8).failedSeries, first.failedSeries);
});

Deno.test("balance_sim - the hard-down host is measured: out, back, and its traffic", () => {
  const scenario = byName("hard-down");
  const original = runScenario(scenario, ORIGINAL_RULES, 1);
  const ours = runScenario(scenario, {}, 1);
  for (const r of [original, ours]) {
    assert.ok(r.timeToOut > 0 && r.timeToOut < 10, `out after ${r.timeToOut} s`);
    assert.ok(r.timeToBack >= 0, `back after ${r.timeToBack} s`);
    assert.equal(r.overloadShare, 0);
  }
  // The original probes the dead host on every probe_num + 1-th pick: ~1/11 of calls.
  assert.ok(original.badHostShare > 0.08, `original: ${original.badHostShare}`);
  assert.ok(ours.badHostShare < original.badHostShare / 2, `ours: ${ours.badHostShare}`);
  assert.ok(ours.failedShare < original.failedShare);
});

Deno.test("balance_sim - a lost zone: the original refuses calls, the ejection cap does not", () => {
  const scenario = byName("zone-lost");
  const original = runScenario(scenario, ORIGINAL_RULES, 1);
  const ours = runScenario(scenario, {}, 1);
  assert.ok(original.overloadShare > 0.01, `original RET_OVERLOAD: ${original.overloadShare}`);
  assert.equal(ours.overloadShare, 0);
  assert.ok(ours.failedShare < original.failedShare);
  const svg = renderSvg([{ name: scenario.name, original, ours }], [scenario]);
  assert.match(svg, /^<svg [^>]*>.*<polyline .*<\/svg>\n$/s);
});

Deno.test("balance_sim - fresh agents with the fleet's verdict fail less in their first seconds", () => {
  const scenario = byName("fresh-agents");
  const without = runScenario(scenario, {}, 1, false);
  const withHints = runScenario(scenario, {}, 1, true);
  assert.ok(without.freshFailedShare > 0, `without: ${without.freshFailedShare}`);
  assert.ok(
    withHints.freshFailedShare < without.freshFailedShare * 0.75,
    `with hints ${withHints.freshFailedShare}, without ${without.freshFailedShare}`,
  );
  assert.ok(Number.isNaN(runScenario(byName("hard-down"), {}, 1, true).freshFailedShare));
});

/**
 * `deno task bench:balance`: the balancing simulator. Plays every scenario of
 * `bench/balance_sim/scenarios.ts` under the original's rules and under ours
 * (the shipped defaults), with the same seed, and prints per scenario the
 * share of failed calls, the time to take a bad host out, the time to bring
 * it back, and the share of traffic the bad host still got.
 *
 * Options: `--seed N` (default 1), `--svg PATH` writes the plot,
 * `--sweep` also prints the failed-call share across values of each new key.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_LOAD_BALANCE_OPTIONS, ORIGINAL_RULES } from "../agent/load_balance.ts";
import { type RunResult, runScenario } from "./balance_sim/engine.ts";
import { SCENARIOS } from "./balance_sim/scenarios.ts";
import { AGENTS, CALLS_PER_AGENT } from "./balance_sim/model.ts";
import { resultsTable, sweepTable } from "./balance_sim/report.ts";
import { renderSvg } from "./balance_sim/svg.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    svg: { type: "string" },
    sweep: { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);

console.log(
  `balance_sim: seed ${seed}, ${AGENTS} agents x ${CALLS_PER_AGENT} calls/s, ` +
    `ours = ${JSON.stringify(pick(DEFAULT_LOAD_BALANCE_OPTIONS))}`,
);
const rows: { name: string; original: RunResult; ours: RunResult }[] = [];
for (const scenario of SCENARIOS) {
  const original = runScenario(scenario, ORIGINAL_RULES, seed);
  const ours = runScenario(scenario, {}, seed, true);
  rows.push({ name: scenario.name, original, ours });
}
console.log(resultsTable(rows));

if (values.sweep) {
  const sweeps = {
    maxEjectionPercent: [10, 25, 34, 50, 75, 100],
    maxOverloadTimeout: [0, 60, 120, 240],
    probeInterval: [0, 0.25, 1, 2, 5],
    slowStart: [0, 5, 10, 20, 30],
  };
  for (const [key, settings] of Object.entries(sweeps)) {
    console.log(
      sweepTable(
        key,
        settings,
        (value) => SCENARIOS.map((scenario) => runScenario(scenario, { [key]: value }, seed, true)),
      ),
    );
  }
}

if (values.svg) {
  await Deno.writeTextFile(values.svg, renderSvg(rows, SCENARIOS));
  console.log(`wrote ${values.svg}`);
}

function pick(options: typeof DEFAULT_LOAD_BALANCE_OPTIONS) {
  const { maxEjectionPercent, maxOverloadTimeout, probeInterval, slowStart } = options;
  return { maxEjectionPercent, maxOverloadTimeout, probeInterval, slowStart };
}

/**
 * The text tables of the balancing simulator.
 *
 * @module
 */
import type { RunResult } from "./engine.ts";
import { SCENARIOS } from "./scenarios.ts";

const pct = (x: number) => Number.isNaN(x) ? "-" : `${(x * 100).toFixed(2)}%`;
const sec = (x: number) => Number.isNaN(x) ? "never" : `${x.toFixed(1)} s`;

/** Markdown table: per scenario, the original's rules against ours. */
export function resultsTable(
  rows: readonly { name: string; original: RunResult; ours: RunResult }[],
): string {
  const lines = [
    "| scenario | failed calls (orig → ours) | of which RET_OVERLOAD | time to take out | time to bring back | bad host's traffic | fresh agents' first 10 s failed |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const { name, original: o, ours: n } of rows) {
    lines.push(
      `| ${name} | ${pct(o.failedShare)} → ${pct(n.failedShare)} | ` +
        `${pct(o.overloadShare)} → ${pct(n.overloadShare)} | ` +
        `${sec(o.timeToOut)} → ${sec(n.timeToOut)} | ${sec(o.timeToBack)} → ${
          sec(n.timeToBack)
        } | ` +
        `${pct(o.badHostShare)} → ${pct(n.badHostShare)} | ` +
        (Number.isNaN(o.freshFailedShare)
          ? "- |"
          : `${pct(o.freshFailedShare)} → ${pct(n.freshFailedShare)} |`),
    );
  }
  return lines.join("\n");
}

/**
 * Markdown table: per scenario, failed-call share and time to bring the bad
 * host back, for each value of one key.
 */
export function sweepTable(
  key: string,
  settings: readonly number[],
  run: (value: number) => RunResult[],
): string {
  const lines = [
    `| ${key} | ${SCENARIOS.map((s) => s.name).join(" | ")} | mean |`,
    `| --- | ${SCENARIOS.map(() => "---").join(" | ")} | --- |`,
  ];
  for (const value of settings) {
    const results = run(value);
    const mean = results.reduce((sum, r) => sum + r.failedShare, 0) / results.length;
    const cells = results.map((r) => `${pct(r.failedShare)} / ${sec(r.timeToBack)}`);
    lines.push(`| ${value} | ${cells.join(" | ")} | ${pct(mean)} |`);
  }
  return `\nfailed calls / time to bring back, by ${key}:\n${lines.join("\n")}`;
}

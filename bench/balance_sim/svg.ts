/**
 * The plot of the balancing simulator, as a self-contained SVG: per scenario,
 * the watched host's traffic (relative to its fair share) and the share of
 * failed calls over time, the original's rules against ours.
 *
 * @module
 */
import { BUCKET_SECONDS, type RunResult } from "./engine.ts";
import type { Scenario } from "./model.ts";

const PANEL_W = 420;
const PANEL_H = 150;
const MARGIN = 36;
const COLUMNS = 2;
const ORIGINAL_COLOR = "#d62728";
const OURS_COLOR = "#1f77b4";

/** The SVG document for `rows` (one panel per scenario, same order as `scenarios`). */
export function renderSvg(
  rows: readonly { name: string; original: RunResult; ours: RunResult }[],
  scenarios: readonly Scenario[],
): string {
  const panels = rows.map((row, i) => _panel(row, scenarios[i], i));
  const rowsOfPanels = Math.ceil(rows.length / COLUMNS);
  const width = COLUMNS * (PANEL_W + MARGIN * 2);
  const height = rowsOfPanels * (PANEL_H + MARGIN * 2) + 40;
  const legend = `<g font-size="12" transform="translate(${MARGIN},20)">` +
    `<line x1="0" y1="-4" x2="24" y2="-4" stroke="${ORIGINAL_COLOR}" stroke-width="2"/>` +
    `<text x="30" y="0">original rules</text>` +
    `<line x1="140" y1="-4" x2="164" y2="-4" stroke="${OURS_COLOR}" stroke-width="2"/>` +
    `<text x="170" y="0">ours (defaults)</text>` +
    `<text x="290" y="0">solid: bad host's traffic / fair share (left, 0-2); dotted: failed calls (right, 0-100%)</text>` +
    `</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>${legend}${panels.join("")}</svg>\n`;
}

function _panel(
  row: { name: string; original: RunResult; ours: RunResult },
  scenario: Scenario,
  index: number,
): string {
  const x0 = (index % COLUMNS) * (PANEL_W + MARGIN * 2) + MARGIN;
  const y0 = Math.floor(index / COLUMNS) * (PANEL_H + MARGIN * 2) + MARGIN + 40;
  const n = row.original.watchedSeries.length;
  const x = (b: number) => (b / n) * PANEL_W;
  const line = (series: readonly number[], max: number, color: string, dash: string) => {
    const points = series.map((v, b) =>
      `${x(b).toFixed(1)},${(PANEL_H - Math.min(v / max, 1) * PANEL_H).toFixed(1)}`
    );
    return `<polyline fill="none" stroke="${color}" stroke-width="1.2"${dash} points="${
      points.join(" ")
    }"/>`;
  };
  const [start, end] = scenario.fault;
  const fault =
    `<rect x="${x(start / BUCKET_SECONDS)}" y="0" width="${
      Math.max(1, x((end - start) / BUCKET_SECONDS))
    }" ` +
    `height="${PANEL_H}" fill="#eee"/>`;
  const ticks = [0, 30, 60, 90, 120, 150].filter((t) => t <= scenario.seconds).map((t) =>
    `<text x="${x(t / BUCKET_SECONDS)}" y="${
      PANEL_H + 14
    }" font-size="10" text-anchor="middle">${t}s</text>`
  ).join("");
  return `<g transform="translate(${x0},${y0})">` +
    `<text x="0" y="-8" font-size="13" font-weight="bold">${row.name}</text>` + fault +
    `<rect x="0" y="0" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>` +
    `<line x1="0" x2="${PANEL_W}" y1="${PANEL_H / 2}" y2="${
      PANEL_H / 2
    }" stroke="#ccc" stroke-dasharray="2,2"/>` +
    line(row.original.watchedSeries, 2, ORIGINAL_COLOR, "") +
    line(row.ours.watchedSeries, 2, OURS_COLOR, "") +
    line(row.original.failedSeries, 1, ORIGINAL_COLOR, ' stroke-dasharray="2,2"') +
    line(row.ours.failedSeries, 1, OURS_COLOR, ' stroke-dasharray="2,2"') +
    ticks + `</g>`;
}

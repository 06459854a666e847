/**
 * Route files for bulk import and export: CSV (`modid,cmdid,ip,port,weight`,
 * a header line, dotted IPs) and JSON (`[{modid, cmdid, ip, port, weight}]`).
 * Exports always state each host's weight; imports take rows with or without
 * it (a CSV line of four fields, a JSON row without `weight`).
 *
 * @module
 */
import { intToIp } from "../proto/ip.ts";
import type { RouteRow } from "../store/types.ts";
import { asObject, FieldError, weightedRouteFields } from "./validate.ts";

/** File formats. */
export type RoutesFormat = "csv" | "json";

/** Most rows one import may carry. */
export const MAX_IMPORT_ROWS = 200_000;

/** The CSV header line (files without the `weight` column are read too). */
export const CSV_HEADER = "modid,cmdid,ip,port,weight";

const _CSV_HEADERS = new Set([CSV_HEADER, "modid,cmdid,ip,port"]);

/** A row as the API and the files show it: dotted `ip`, `weight` always stated. */
export function routeView(r: RouteRow): {
  modid: number;
  cmdid: number;
  ip: string;
  port: number;
  weight: number;
} {
  return { modid: r.modid, cmdid: r.cmdid, ip: intToIp(r.ip), port: r.port, weight: r.weight ?? 1 };
}

/** Formats rows as CSV with a header line. */
export function routesToCsv(rows: readonly RouteRow[]): string {
  const lines = [CSV_HEADER];
  for (const r of rows) {
    lines.push(`${r.modid},${r.cmdid},${intToIp(r.ip)},${r.port},${r.weight ?? 1}`);
  }
  return lines.join("\n") + "\n";
}

/** Formats rows as a JSON array with dotted IPs and weights. */
export function routesToJson(rows: readonly RouteRow[]): string {
  return JSON.stringify(rows.map(routeView));
}

/**
 * Parses an import file. Every row is validated; the first bad one throws a
 * FieldError naming it (`line 3: ip: ...` or `rows[2].ip: ...`).
 */
export function parseRoutes(text: string, format: RoutesFormat): RouteRow[] {
  const rows = format === "csv" ? _parseCsv(text) : _parseJson(text);
  if (rows.length > MAX_IMPORT_ROWS) {
    throw new FieldError("rows", `${rows.length} rows exceed ${MAX_IMPORT_ROWS}`);
  }
  return rows;
}

function _parseCsv(text: string): RouteRow[] {
  const lines = text.split(/\r?\n/);
  const rows: RouteRow[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (i === 0 && _CSV_HEADERS.has(line.replace(/\s/g, ""))) return;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== 4 && cells.length !== 5) {
      throw new FieldError(
        `line ${i + 1}`,
        `expected 4 or 5 fields (${CSV_HEADER}), got ${cells.length}`,
      );
    }
    const [modid, cmdid, ip, port, weight] = cells;
    rows.push(weightedRouteFields({ modid, cmdid, ip, port, weight }, `line ${i + 1}: `));
  });
  return rows;
}

function _parseJson(text: string): RouteRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FieldError("body", "not valid JSON");
  }
  if (!Array.isArray(parsed)) throw new FieldError("body", "expected a JSON array of routes");
  return parsed.map((item, i) => weightedRouteFields(asObject(item, `rows[${i}]`), `rows[${i}].`));
}

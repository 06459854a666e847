/**
 * Route files for bulk import and export: CSV (`modid,cmdid,ip,port`, a
 * header line, dotted IPs) and JSON (`[{modid, cmdid, ip, port}]`).
 *
 * @module
 */
import { intToIp } from "../proto/ip.ts";
import type { RouteRow } from "../store/types.ts";
import { asObject, FieldError, routeFields } from "./validate.ts";

/** File formats. */
export type RoutesFormat = "csv" | "json";

/** Most rows one import may carry. */
export const MAX_IMPORT_ROWS = 200_000;

/** The CSV header line. */
export const CSV_HEADER = "modid,cmdid,ip,port";

/** Formats rows as CSV with a header line. */
export function routesToCsv(rows: readonly RouteRow[]): string {
  const lines = [CSV_HEADER];
  for (const r of rows) lines.push(`${r.modid},${r.cmdid},${intToIp(r.ip)},${r.port}`);
  return lines.join("\n") + "\n";
}

/** Formats rows as a JSON array with dotted IPs. */
export function routesToJson(rows: readonly RouteRow[]): string {
  return JSON.stringify(rows.map((r) => ({ ...r, ip: intToIp(r.ip) })));
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
    if (i === 0 && line.replace(/\s/g, "") === CSV_HEADER) return;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== 4) {
      throw new FieldError(
        `line ${i + 1}`,
        `expected 4 fields (${CSV_HEADER}), got ${cells.length}`,
      );
    }
    const [modid, cmdid, ip, port] = cells;
    rows.push(routeFields({ modid, cmdid, ip, port }, `line ${i + 1}: `));
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
  return parsed.map((item, i) => routeFields(asObject(item, `rows[${i}]`), `rows[${i}].`));
}

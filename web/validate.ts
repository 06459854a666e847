/**
 * Validation of every field the web admin receives, from JSON bodies, query
 * strings and imported files. Each check throws a {@linkcode FieldError}
 * naming the field, which the API answers as `400 {error}`.
 *
 * @module
 */
import { ipToInt } from "../proto/ip.ts";
import { MAX_HOST_WEIGHT } from "../proto/messages.ts";
import type { RouteRow } from "../store/types.ts";

/** A bad or missing field; the message starts with the field's name. */
export class FieldError extends Error {
  /** The field concerned, e.g. `modid` or `rows[3].ip`. */
  readonly field: string;

  /** Builds the message `FIELD: DETAIL`. */
  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = "FieldError";
    this.field = field;
  }
}

const ID_MAX = 0x7FFFFFFF;
const INTEGER = /^(0|[1-9]\d{0,15})$/;

/** A JSON object body, or a FieldError for anything else. */
export function asObject(value: unknown, field = "body"): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FieldError(field, "expected a JSON object");
  }
  return value as Record<string, unknown>;
}

/** An integer in `min ..= max`, from a JSON number or a decimal string (query strings). */
export function intField(value: unknown, field: string, min: number, max: number): number {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && INTEGER.test(value.trim())) n = Number(value.trim());
  else if (value === undefined || value === null || value === "") {
    throw new FieldError(field, "missing");
  } else throw new FieldError(field, `expected an integer in ${min} ..= ${max}`);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FieldError(field, `expected an integer in ${min} ..= ${max}, got ${value}`);
  }
  return n;
}

/** A module id (`0 ..= 2^31-1`). */
export function modidField(value: unknown, field = "modid"): number {
  return intField(value, field, 0, ID_MAX);
}

/** A command id (`0 ..= 2^31-1`). */
export function cmdidField(value: unknown, field = "cmdid"): number {
  return intField(value, field, 0, ID_MAX);
}

/** A port (`1 ..= 65535`). */
export function portField(value: unknown, field = "port"): number {
  return intField(value, field, 1, 65535);
}

/** A host weight (`1 ..= MAX_HOST_WEIGHT`, the most the store and the agents take). */
export function weightField(value: unknown, field = "weight"): number {
  return intField(value, field, 1, MAX_HOST_WEIGHT);
}

/** An optional host weight: `undefined` when absent (or empty, from a form or a CSV cell). */
export function optionalWeight(value: unknown, field = "weight"): number | undefined {
  return value === undefined || value === null || value === ""
    ? undefined
    : weightField(value, field);
}

/** A dotted-quad IPv4 address; resolves to its unsigned 32-bit value. */
export function ipField(value: unknown, field = "ip"): number {
  if (value === undefined || value === null || value === "") throw new FieldError(field, "missing");
  if (typeof value !== "string") throw new FieldError(field, "expected a dotted IPv4 address");
  try {
    return ipToInt(value.trim());
  } catch {
    throw new FieldError(field, `expected a dotted IPv4 address, got "${value.slice(0, 40)}"`);
  }
}

/** A module or command name: 1 to 255 characters, no control characters. */
export function nameField(value: unknown, field = "name"): string {
  if (typeof value !== "string") throw new FieldError(field, "expected a string");
  const name = value.trim();
  const length = [...name].length;
  if (length === 0) throw new FieldError(field, "must not be empty");
  if (length > 255) throw new FieldError(field, `${length} characters exceed 255`);
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new FieldError(field, "must not contain control characters");
  }
  return name;
}

/** An optional search text (at most 100 characters). */
export function searchField(value: unknown, field = "search"): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new FieldError(field, "expected a string");
  if (value.length > 100) throw new FieldError(field, "longer than 100 characters");
  return value.trim();
}

/** Paging from a query: `limit` (1 ..= `max`, default `def`) and `offset` (>= 0, default 0). */
export function pageFields(
  query: Record<string, string | undefined>,
  def = 50,
  max = 1000,
): { limit: number; offset: number } {
  return {
    limit: query.limit === undefined ? def : intField(query.limit, "limit", 1, max),
    offset: query.offset === undefined ? 0 : intField(query.offset, "offset", 0, 1e12),
  };
}

/** An optional module id / command id filter from a query. */
export function filterFields(
  query: Record<string, string | undefined>,
): { modid?: number; cmdid?: number } {
  const filter: { modid?: number; cmdid?: number } = {};
  if (query.modid !== undefined) filter.modid = modidField(query.modid);
  if (query.cmdid !== undefined) filter.cmdid = cmdidField(query.cmdid);
  return filter;
}

/** A route row `{modid, cmdid, ip, port}` with a dotted `ip`. */
export function routeFields(body: Record<string, unknown>, prefix = ""): RouteRow {
  return {
    modid: modidField(body.modid, `${prefix}modid`),
    cmdid: cmdidField(body.cmdid, `${prefix}cmdid`),
    ip: ipField(body.ip, `${prefix}ip`),
    port: portField(body.port, `${prefix}port`),
  };
}

/** A route row as `routeFields`, with `weight` when the body has one (imports, adds). */
export function weightedRouteFields(body: Record<string, unknown>, prefix = ""): RouteRow {
  const row = routeFields(body, prefix);
  const weight = optionalWeight(body.weight, `${prefix}weight`);
  return weight === undefined ? row : { ...row, weight };
}

/**
 * The data routes of the JSON API: routes (hosts of modules), module and
 * command names, module list, route version, change and audit logs, call
 * status and history, bulk import and export. Each write is done as the
 * session's user, who is recorded in the store's audit log.
 *
 * @module
 */
import type { Context, Hono } from "npm:hono@4.13.19";
import { intToIp } from "../proto/ip.ts";
import type { ReportStore, RouteStore } from "../store/types.ts";
import { jsonBody } from "./api_auth.ts";
import type { WebEnv } from "./env.ts";
import { fleetHints } from "./fleet_hint.ts";
import {
  parseRoutes,
  type RoutesFormat,
  routesToCsv,
  routesToJson,
  routeView,
} from "./routes_file.ts";
import {
  cmdidField,
  FieldError,
  filterFields,
  intField,
  ipField,
  modidField,
  nameField,
  optionalWeight,
  pageFields,
  portField,
  routeFields,
  searchField,
} from "./validate.ts";

/** The stores, once open (a rejected promise answers 503). */
export interface DataDeps {
  /** Resolves to the opened stores; may reject while the database is down. */
  stores(): Promise<{ routes: RouteStore; reports: ReportStore }>;
  /** Clock in ms (tests pass a fixed one). */
  now?: () => number;
}

type Ctx = Context<WebEnv>;

const queries = (c: Ctx) => c.req.query() as Record<string, string | undefined>;
const actor = (c: Ctx) => c.get("session").user;

function formatField(value: string | undefined): RoutesFormat {
  if (value === undefined || value === "json") return "json";
  if (value === "csv") return "csv";
  throw new FieldError("format", `expected csv or json, got "${value.slice(0, 20)}"`);
}

function boolField(value: string | undefined, field: string): boolean {
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new FieldError(field, "expected true or false");
}

/** Adds the data routes (behind the session guard added by `mountAuth`). */
export function mountData(app: Hono<WebEnv>, deps: DataDeps): void {
  const now = deps.now ?? Date.now;
  const routes = async () => (await deps.stores()).routes;
  const reports = async () => (await deps.stores()).reports;

  app.get("/api/routes", async (c) => {
    const q = queries(c);
    const rows = await (await routes()).listRoutes({
      ...filterFields(q),
      ...pageFields(q, 1000, 10_000),
    });
    return c.json(rows.map(routeView));
  });
  app.post("/api/routes", async (c) => {
    const body = await jsonBody(c);
    const r = routeFields(body);
    const weight = optionalWeight(body.weight);
    const store = await routes();
    const result = await store.addHost(r.modid, r.cmdid, r.ip, r.port, actor(c), weight);
    if (!result.added) return c.json({ error: "host is already in the module", ...result }, 409);
    return c.json(result, 201);
  });
  app.delete("/api/routes", async (c) => {
    const r = routeFields(await jsonBody(c));
    const result = await (await routes()).removeHost(r.modid, r.cmdid, r.ip, r.port, actor(c));
    if (!result.removed) return c.json({ error: "host is not in the module", ...result }, 404);
    return c.json(result);
  });
  // Moves a host (newIp, newPort; each defaults to the old one), sets its weight, or both at once.
  app.put("/api/routes", async (c) => {
    const body = await jsonBody(c);
    const r = routeFields(body);
    const newIp = body.newIp === undefined ? r.ip : ipField(body.newIp, "newIp");
    const newPort = body.newPort === undefined ? r.port : portField(body.newPort, "newPort");
    const weight = optionalWeight(body.weight);
    const store = await routes();
    if (newIp === r.ip && newPort === r.port) {
      if (weight === undefined) {
        throw new FieldError("newIp", "missing: give newIp and newPort, or weight, or both");
      }
      const result = await store.setHostWeight(r.modid, r.cmdid, r.ip, r.port, weight, actor(c));
      if (!result.updated) {
        const error = "host is not in the module, or already has that weight";
        return c.json({ error, ...result }, 409);
      }
      return c.json(result);
    }
    const args = [r.modid, r.cmdid, r.ip, r.port, newIp, newPort, actor(c), weight] as const;
    const result = await store.updateHost(...args);
    if (!result.updated) {
      const error = "host is not in the module, or the new one already is";
      return c.json({ error, ...result }, 409);
    }
    return c.json(result);
  });

  app.get("/api/summary", async (c) => {
    const q = queries(c);
    const page = pageFields(q, 50, 1000);
    return c.json(await (await routes()).listModules({ search: searchField(q.search), ...page }));
  });

  for (const kind of ["modules", "commands"] as const) {
    const idName = kind === "modules" ? "modid" : "cmdid";
    const idField = kind === "modules" ? modidField : cmdidField;
    app.get(`/api/${kind}`, async (c) => {
      const names = await (await routes()).listNames();
      return c.json(kind === "modules" ? names.modules : names.commands);
    });
    const set = async (c: Ctx) => {
      const body = await jsonBody(c);
      const id = idField(body[idName]);
      const name = nameField(body.name);
      const store = await routes();
      if (kind === "modules") await store.setModName(id, name, actor(c));
      else await store.setCmdName(id, name, actor(c));
      return c.json({ [idName]: id, name });
    };
    app.post(`/api/${kind}`, set);
    app.put(`/api/${kind}`, set);
    app.delete(`/api/${kind}`, async (c) => {
      const id = idField((await jsonBody(c))[idName]);
      const store = await routes();
      const removed = kind === "modules"
        ? await store.removeModName(id, actor(c))
        : await store.removeCmdName(id, actor(c));
      if (!removed) return c.json({ error: `${idName} ${id} has no name` }, 404);
      return c.json({ removed });
    });
  }

  app.get("/api/version", async (c) => c.json({ version: await (await routes()).version() }));
  app.get("/api/changes", async (c) => {
    return c.json(await (await routes()).listChanges(pageFields(queries(c), 50, 1000)));
  });
  app.get("/api/audit", async (c) => {
    return c.json(await (await routes()).listAudit(pageFields(queries(c), 50, 1000)));
  });

  app.get("/api/status", async (c) => {
    const rows = await (await reports()).listStatus(filterFields(queries(c)));
    const nowS = Math.floor(now() / 1000);
    return c.json(rows.map((r) => ({
      ...r,
      ip: intToIp(r.ip),
      caller: intToIp(r.caller),
      age: Math.max(0, nowS - r.ts),
    })));
  });
  app.get("/api/fleet", async (c) => {
    const q = queries(c);
    const module = { modid: modidField(q.modid), cmdid: cmdidField(q.cmdid) };
    const rows = await (await reports()).listStatus(module);
    return c.json(fleetHints(rows, Math.floor(now() / 1000)));
  });
  app.get("/api/history", async (c) => {
    const q = queries(c);
    const nowS = Math.floor(now() / 1000);
    const since = q.since === undefined ? nowS - 3600 : intField(q.since, "since", 0, 1e12);
    const rows = await (await reports()).listHistory({ ...filterFields(q), since });
    return c.json(rows.map((r) => ({ ...r, ip: intToIp(r.ip), caller: intToIp(r.caller) })));
  });

  app.get("/api/export", async (c) => {
    const q = queries(c);
    const format = formatField(q.format);
    const rows = await (await routes()).listRoutes(filterFields(q));
    c.header("Content-Disposition", `attachment; filename="lars_routes.${format}"`);
    if (format === "csv") return c.body(routesToCsv(rows), 200, { "Content-Type": "text/csv" });
    return c.body(routesToJson(rows), 200, { "Content-Type": "application/json" });
  });
  app.post("/api/import", async (c) => {
    const q = queries(c);
    const format = formatField(q.format);
    const replace = boolField(q.replace, "replace");
    const rows = parseRoutes(await c.req.text(), format);
    const result = await (await routes()).importRoutes(rows, { replace, actor: actor(c) });
    return c.json({ rows: rows.length, ...result });
  });
}

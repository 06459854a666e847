/**
 * The web admin as one Hono app: the page and its scripts (uPlot served from
 * its npm package, no CDN), the JSON API under `/api/`, security headers,
 * body limits, and errors answered as `{error}` with the right status.
 *
 * @module
 */
import { Hono } from "npm:hono@4.13.19";
import { bodyLimit } from "npm:hono@4.13.19/body-limit";
import uplotCss from "npm:uplot@1.6.32/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "npm:uplot@1.6.32/dist/uPlot.iife.min.js" with { type: "text" };
import type { Logger } from "../reactor/log.ts";
import { ModuleTooLargeError, StoreError } from "../store/types.ts";
import { type AuthDeps, mountAuth } from "./api_auth.ts";
import { type DataDeps, mountData } from "./api_data.ts";
import appCss from "./assets/app.css" with { type: "text" };
import appJs from "./assets/app.js" with { type: "text" };
import domJs from "./assets/dom.js" with { type: "text" };
import adminJs from "./assets/pages_admin.js" with { type: "text" };
import routesJs from "./assets/pages_routes.js" with { type: "text" };
import statusJs from "./assets/pages_status.js" with { type: "text" };
import indexHtml from "./assets/index.html" with { type: "text" };
import type { WebEnv } from "./env.ts";
import { FieldError } from "./validate.ts";

/** Everything the app needs. */
export interface WebAppDeps extends AuthDeps, DataDeps {
  /** Log. */
  log: Logger;
}

const ASSETS: Record<string, [string, string]> = {
  "/": [indexHtml, "text/html; charset=utf-8"],
  "/assets/app.js": [appJs, "text/javascript; charset=utf-8"],
  "/assets/dom.js": [domJs, "text/javascript; charset=utf-8"],
  "/assets/pages_admin.js": [adminJs, "text/javascript; charset=utf-8"],
  "/assets/pages_routes.js": [routesJs, "text/javascript; charset=utf-8"],
  "/assets/pages_status.js": [statusJs, "text/javascript; charset=utf-8"],
  "/assets/app.css": [appCss, "text/css; charset=utf-8"],
  "/assets/uPlot.iife.min.js": [uplotJs, "text/javascript; charset=utf-8"],
  "/assets/uPlot.min.css": [uplotCss, "text/css; charset=utf-8"],
};

const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

const KIB = 1024;

/** Builds the app; serve it with `transport.serveHttp(addr, (req, info) => app.fetch(req, info))`. */
export function createWebApp(deps: WebAppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { counters } = deps;
  app.use("*", async (c, next) => {
    await next();
    counters.inc("requests");
    if (c.res.status >= 500) counters.inc("serverErrors");
    else if (c.res.status >= 400) counters.inc("clientErrors");
    else if (c.req.method !== "GET" && c.req.method !== "HEAD") counters.inc("writes");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (c.req.path.startsWith("/api/")) c.res.headers.set("Cache-Control", "no-store");
  });
  const tooLarge = (max: number) =>
    bodyLimit({
      maxSize: max,
      onError: (c) => c.json({ error: `body: larger than ${max / KIB} KiB` }, 413),
    });
  app.use("/api/import", tooLarge(16 * KIB * KIB));
  app.use("/api/*", async (c, next) => {
    if (c.req.path === "/api/import") return await next();
    return await tooLarge(64 * KIB)(c, next);
  });
  for (const [path, [body, type]] of Object.entries(ASSETS)) {
    app.get(path, (c) => c.body(body, 200, { "Content-Type": type }));
  }
  mountAuth(app, deps);
  mountData(app, deps);
  app.all("/api/*", (c) => c.json({ error: `no such API: ${c.req.method} ${c.req.path}` }, 404));
  app.onError((err, c) => {
    if (err instanceof FieldError) return c.json({ error: err.message }, 400);
    if (err instanceof ModuleTooLargeError) return c.json({ error: err.message }, 422);
    if (err instanceof StoreError) {
      counters.inc("storeUnavailable");
      deps.log.warn(`store: ${err.message}`);
      return c.json({ error: `store unavailable: ${err.message}` }, 503);
    }
    deps.log.error(`${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/**
 * What the web admin shows on its admin endpoint (`[admin] port`): its
 * metrics (read from its counters) and its readiness (the store is open).
 *
 * @module
 */
import type { AdminContent, Readiness } from "../reactor/admin_server.ts";
import { createMetricsRegistry, defineMetric } from "../reactor/metrics.ts";
import type { WebCounterName } from "./counters.ts";
import type { WebService } from "./web_service.ts";

const COUNTERS: [string, string, WebCounterName][] = [
  ["lars_web_requests_total", "HTTP requests answered (page, assets and API).", "requests"],
  [
    "lars_web_client_errors_total",
    "Requests answered 4xx (bad input, 401, 403, 404).",
    "clientErrors",
  ],
  [
    "lars_web_server_errors_total",
    "Requests answered 5xx (503 while the store is down).",
    "serverErrors",
  ],
  ["lars_web_store_unavailable_total", "API calls that failed on the store.", "storeUnavailable"],
  ["lars_web_writes_total", "Successful writes (route, name, import, login, logout).", "writes"],
  ["lars_web_logins_total", "Successful logins.", "logins"],
  ["lars_web_login_failures_total", "Logins with a wrong user or password.", "loginFailures"],
  ["lars_web_logins_limited_total", "Logins refused by the per-address limit.", "loginsLimited"],
];

/** The web admin's admin endpoint content: its metrics and readiness. */
export function webAdmin(service: WebService): AdminContent {
  const registry = createMetricsRegistry();
  for (const [name, help, counter] of COUNTERS) {
    defineMetric(registry, {
      type: "counter",
      name,
      help,
      read: () => service.counters.get(counter),
    });
  }
  defineMetric(registry, {
    type: "gauge",
    name: "lars_web_sessions",
    help: "Live login sessions.",
    read: () => service.sessions.size,
  });
  return { registry, readiness: () => webReadiness(service) };
}

/** Ready once the stores are open (tables created); says why not meanwhile. */
export function webReadiness(service: WebService): Readiness {
  const { ready, error } = service.store;
  return {
    store: ready
      ? { ok: true, detail: "route and report stores open" }
      : { ok: false, detail: error ? `store not open: ${error}` : "store not open yet" },
  };
}

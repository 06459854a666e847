/**
 * What the DNS service shows on its admin endpoint: its metrics (read from
 * the counters it keeps) and its readiness (a route table is loaded).
 *
 * @module
 */
import type { AdminContent, Readiness } from "../reactor/admin_server.ts";
import {
  createMetricsRegistry,
  defineHistogram,
  defineMetric,
  defineNetMetrics,
  type MetricsRegistry,
} from "../reactor/metrics.ts";
import type { DnsService } from "./dns_service.ts";

/** Buckets of `lars_dns_push_delay_seconds`: versions are whole seconds, so finer is noise. */
const PUSH_DELAY_BUCKETS = [0.5, 1, 2, 3, 5, 10, 30, 60, 300];

/** The DNS service's admin endpoint content: its metrics and readiness. */
export function dnsAdmin(service: DnsService): AdminContent {
  const registry = createMetricsRegistry();
  defineDnsMetrics(registry, service);
  return { registry, readiness: () => dnsReadiness(service) };
}

/**
 * Registers the DNS service's metrics: counters and gauges read at scrape
 * time, and `lars_dns_push_delay_seconds`, observed on every push.
 */
export function defineDnsMetrics(registry: MetricsRegistry, service: DnsService): void {
  const pushDelay = defineHistogram(registry, {
    name: "lars_dns_push_delay_seconds",
    help: "Seconds from a route change's commit (its RouteChange version) to the push to " +
      "subscribers; 1 s resolution.",
    buckets: PUSH_DELAY_BUCKETS,
  });
  service.addPushListener((push) => {
    if (push.delaySeconds !== null) pushDelay.observe(push.delaySeconds);
  });
  const counter = (name: string, help: string, read: () => number) =>
    defineMetric(registry, { type: "counter", name, help, read });
  const gauge = (name: string, help: string, read: () => number) =>
    defineMetric(registry, { type: "gauge", name, help, read });
  const c = service.counters;
  counter("lars_dns_requests_total", "GetRouteRequests answered.", () => c.get("requests"));
  counter(
    "lars_dns_pushes_total",
    "Route pushes written to subscribed connections.",
    () => c.get("pushes"),
  );
  counter(
    "lars_dns_pushed_modules_total",
    "Changed modules pushed (each to all its subscribers).",
    () => c.get("pushedModules"),
  );
  counter(
    "lars_dns_reloads_total",
    "Whole route table loads (at start, the periodic safety net, after a gap or a failure).",
    () => c.get("reloads"),
  );
  counter(
    "lars_dns_module_reloads_total",
    "Modules reloaded one by one because a new RouteChange row named them.",
    () => c.get("moduleReloads"),
  );
  counter(
    "lars_dns_gaps_total",
    "Route versions no unseen RouteChange row explained (each forced a whole reload).",
    () => c.get("gaps"),
  );
  counter(
    "lars_dns_invalid_rows_total",
    "Distinct RouteData rows skipped as unservable (bad port, address or ids).",
    () => c.get("invalidRows"),
  );
  counter(
    "lars_dns_oversized_modules_total",
    "Modules (per host count) whose answer exceeded one frame and was cut to fit.",
    () => c.get("oversizedModules"),
  );
  counter(
    "lars_dns_changes_deleted_total",
    "RouteChange rows this instance deleted after the retention window.",
    () => c.get("changesDeleted"),
  );
  counter(
    "lars_dns_version_changes_total",
    "RouteVersion changes seen by the poll.",
    () => c.get("versionChanges"),
  );
  counter(
    "lars_dns_db_errors_total",
    "Failed database loads and polls (retried with backoff).",
    () => c.get("dbErrors"),
  );
  counter(
    "lars_dns_subscriptions_refused_total",
    "GetRouteRequests answered without subscribing: a [dns] subscription cap was reached.",
    () => c.get("subscriptionsRefused"),
  );
  gauge("lars_dns_modules", "Modules in the route table.", () => service.table.moduleCount);
  gauge(
    "lars_dns_hosts",
    "Hosts in the route table, over all modules.",
    () => service.table.hostCount,
  );
  gauge(
    "lars_dns_route_version",
    "RouteVersion of the loaded table (-1 before the first load).",
    () => service.version,
  );
  gauge(
    "lars_dns_table_age_seconds",
    "Seconds since the route table was last known current (latest good poll; -1 before loading).",
    () => service.loaded ? (Date.now() - service.loadedAt) / 1000 : -1,
  );
  gauge(
    "lars_dns_subscriptions",
    "(connection, module) subscriptions that receive pushes.",
    () => service.subscriptionCount,
  );
  gauge("lars_dns_connections", "Open agent connections.", () => service.server.connections.size);
  defineNetMetrics(
    registry,
    () => [{ endpoint: "dns", values: service.server.counters.snapshot() }],
  );
}

/** Ready when a route table is loaded; says so when the database is failing meanwhile. */
export function dnsReadiness(service: DnsService): Readiness {
  const error = service.storeError;
  if (!service.loaded) {
    return {
      routes: {
        ok: false,
        detail: "no route table loaded yet" + (error ? `: ${error}` : ""),
      },
    };
  }
  const age = Math.round((Date.now() - service.loadedAt) / 1000);
  return {
    routes: {
      ok: true,
      detail: `version ${service.version}: ${service.table.moduleCount} modules, ` +
        `${service.table.hostCount} hosts, loaded ${age} s ago` +
        (error ? `; database failing (${error}), serving this table` : ""),
    },
  };
}

/**
 * The DNS service (`lars_dns`) as the service runner starts it: usage, the
 * settings reader, what the settings make it use, and the builder.
 * `dns/main.ts` runs it on Deno; the `lars` binary runs it on Bun.
 *
 * @module
 */
import { LEAN_V8_FLAGS, type ServiceDefinition, StartupError } from "../reactor/service.ts";
import { storeServiceAccess } from "../store/config.ts";
import { createRouteStore, redactUrl } from "../store/url.ts";
import { type DnsSettings, readDnsSettings } from "./config.ts";
import { DnsService } from "./dns_service.ts";
import { WorkerTableLoader } from "./table_loader.ts";

/** Source folders the table loader worker loads its modules from (read permission on Deno). */
const WORKER_SOURCES = ["dns", "store", "reactor", "proto"];

const USAGE = `usage: deno task dns [--config FILE]      (lars dns [--config FILE])

Lars DNS service: maps (modid, cmdid) to hosts from the route store and pushes
route changes to subscribed agents.
  -c, --config FILE   lars_dns.conf ([reactor] ip, port, maxConn, max_conn_per_ip,
                      frame_timeout_ms, allow; [dns] max_subscriptions,
                      max_unknown_subscriptions, poll_interval_ms, reload_interval,
                      change_retention, fleet_*; [store] url or [mysql];
                      [admin] ip, port; [log] format) (default conf/lars_dns.conf)
  -h, --help          this text`;

/** The DNS service, for the service runner (`runService` in `reactor/service.ts`). */
export const dnsService: ServiceDefinition<DnsSettings> = {
  name: "dns",
  usage: USAGE,
  defaultConfig: "conf/lars_dns.conf",
  v8Flags: LEAN_V8_FLAGS,
  readSettings: readDnsSettings,
  access(settings, config) {
    return storeServiceAccess(
      config,
      { hostname: settings.hostname, port: settings.port, key: "[reactor] ip, port" },
      WORKER_SOURCES,
    );
  },
  start(settings, { transport, log }) {
    log.info(`store ${redactUrl(settings.storeUrl)}`);
    // Not opened here: the service creates the schema and retries while the database is down.
    let store;
    try {
      store = createRouteStore(settings.storeUrl);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new StartupError(`cannot use store ${redactUrl(settings.storeUrl)}: ${why}`);
    }
    // Whole-table reloads are read (a synchronous read on SQLite; on MySQL, 100,000 rows parsed
    // into objects) and packed in a worker, which stops when idle.
    const tableLoader = new WorkerTableLoader(settings.storeUrl);
    const service = new DnsService({
      store,
      tableLoader,
      transport,
      hostname: settings.hostname,
      port: settings.port,
      maxConn: settings.maxConn,
      fleet: settings.fleet,
      limits: settings,
      subscriptions: settings.subscriptions,
      pollIntervalMs: settings.pollIntervalMs,
      reloadIntervalMs: settings.reloadIntervalMs,
      changeRetentionS: settings.changeRetentionS,
      log,
    });
    return Promise.resolve({
      // On Bun the port is bound asynchronously: a port in use shows in `bound`.
      ready: service.start().then((addr) => addr && service.server.bound),
      // Imported only when [admin] is on: it loads the metrics library (prom-client, npm).
      admin: async () => (await import("./dns_admin.ts")).dnsAdmin(service),
      async stop() {
        await service.stop();
        await tableLoader.close();
        await store.close();
        const counters = { ...service.counters.snapshot(), ...service.server.counters.snapshot() };
        log.info(`counters ${JSON.stringify(counters)}`);
      },
    });
  },
};

/**
 * Entrypoint of the DNS service (`lars_dns`).
 *
 *     deno task dns --config conf/lars_dns.conf
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { startAdminServer } from "../reactor/admin_server.ts";
import { createLogger, setLogFormat } from "../reactor/log.ts";
import { readAdminSettings, readLogFormat } from "../reactor/ops_settings.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { errorText } from "../reactor/text.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { createRouteStore, parseStoreUrl, redactUrl } from "../store/url.ts";
import { readDnsSettings } from "./config.ts";
import { dnsAdmin } from "./dns_admin.ts";
import { DnsService } from "./dns_service.ts";
import { WorkerTableLoader } from "./table_loader.ts";

const USAGE = `usage: deno task dns [--config FILE]

Lars DNS service: maps (modid, cmdid) to hosts from the route store and pushes
route changes to subscribed agents.
  -c, --config FILE   lars_dns.conf ([reactor] ip, port, maxConn, max_conn_per_ip,
                      frame_timeout_ms, allow; [dns] max_subscriptions,
                      max_unknown_subscriptions, poll_interval_ms, reload_interval,
                      change_retention; [store] url or [mysql]; [admin] ip, port;
                      [log] format) (default conf/lars_dns.conf)
  -h, --help          this text`;

const log = createLogger("dns");
const args = parseServiceArgs(Deno.args, USAGE, "conf/lars_dns.conf");
let settings, admin;
try {
  const config = await Config.load(args.config);
  settings = readDnsSettings(config);
  admin = readAdminSettings(config);
  const format = readLogFormat(config);
  if (format) setLogFormat(format);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.error(err.message);
  Deno.exit(1);
}
log.info(`store ${redactUrl(settings.storeUrl)}`);
// Not opened here: the service creates the schema and retries while the database is down.
let store;
try {
  store = createRouteStore(settings.storeUrl);
} catch (err) {
  log.error(`cannot use store ${redactUrl(settings.storeUrl)}: ${(err as Error).message}`);
  Deno.exit(1);
}
// On SQLite, whole-table reloads read in a worker, so the synchronous read
// never stalls answers (MySQL reads are asynchronous already).
const tableLoader = parseStoreUrl(settings.storeUrl).kind === "sqlite"
  ? new WorkerTableLoader(settings.storeUrl)
  : undefined;
const service = new DnsService({
  store,
  tableLoader,
  transport: denoTransport,
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
let adminServer;
try {
  // Before the routes load, so /readyz can say that they have not.
  adminServer = await startAdminServer(admin, {
    transport: denoTransport,
    service: "dns",
    content: () => dnsAdmin(service),
    log,
  });
} catch (err) {
  log.error((err as Error).message);
  Deno.exit(1);
}
stopOnSignals(log, async () => {
  await service.stop();
  await tableLoader?.close();
  await adminServer?.stop();
  await store.close();
  log.info(
    `counters ${
      JSON.stringify({ ...service.counters.snapshot(), ...service.server.counters.snapshot() })
    }`,
  );
});
try {
  await service.start();
} catch (err) {
  // A busy port, most likely: say so in one line. Nothing was deleted, so the
  // instances already serving this store lose no push.
  log.error(
    `cannot listen on ${settings.hostname}:${settings.port}: ${errorText(err)}; ` +
      "nothing in the store was changed",
  );
  Deno.exit(1);
}

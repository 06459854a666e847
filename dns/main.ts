/**
 * Entrypoint of the DNS service (`lars_dns`).
 *
 *     deno task dns --config conf/lars_dns.conf
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { createLogger } from "../reactor/log.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { createRouteStore, parseStoreUrl, redactUrl } from "../store/url.ts";
import { readDnsSettings } from "./config.ts";
import { DnsService } from "./dns_service.ts";
import { WorkerTableLoader } from "./table_loader.ts";

const USAGE = `usage: deno task dns [--config FILE]

Lars DNS service: maps (modid, cmdid) to hosts from the route store and pushes
route changes to subscribed agents.
  -c, --config FILE   lars_dns.conf ([reactor] ip, port, maxConn; [store] url or [mysql];
                      [dns] poll_interval_ms, reload_interval, change_retention)
                      (default conf/lars_dns.conf)
  -h, --help          this text`;

const log = createLogger("dns");
const args = parseServiceArgs(Deno.args, USAGE, "conf/lars_dns.conf");
let settings;
try {
  settings = readDnsSettings(await Config.load(args.config));
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
  pollIntervalMs: settings.pollIntervalMs,
  reloadIntervalMs: settings.reloadIntervalMs,
  changeRetentionS: settings.changeRetentionS,
  log,
});
stopOnSignals(log, async () => {
  await service.stop();
  await tableLoader?.close();
  await store.close();
  log.info(
    `counters ${
      JSON.stringify({ ...service.counters.snapshot(), ...service.server.counters.snapshot() })
    }`,
  );
});
await service.start();

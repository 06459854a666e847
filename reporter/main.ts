/**
 * Entrypoint of the report service (`lars_reporter`).
 *
 *     deno task reporter --config conf/lars_reporter.conf
 *
 * On SIGTERM or SIGINT it stops accepting, writes what is queued (giving up
 * after 8 s if the database stays down), logs its counters and exits.
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { startAdminServer } from "../reactor/admin_server.ts";
import { createLogger, setLogFormat } from "../reactor/log.ts";
import { readAdminSettings, readLogFormat } from "../reactor/ops_settings.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { redactUrl } from "../store/url.ts";
import { createReporterStore, readReporterSettings } from "./config.ts";
import { ReportService } from "./report_service.ts";
import { reporterAdmin } from "./reporter_admin.ts";

const USAGE = `usage: deno task reporter [--config FILE]

Lars report service: stores the call statistics agents report in
ServerCallStatus (and per-minute sums in ServerCallHistory with history = true).
  -c, --config FILE   lars_reporter.conf ([reactor] ip, port, maxConn, max_conn_per_ip,
                      frame_timeout_ms, allow; [store] url or [mysql]; [reporter] or
                      [repoter] db_thread_cnt, history, flush_ms, batch_rows, queue_max,
                      max_future_skew, caller_from_peer; [admin] ip, port; [log] format)
                      (default conf/lars_reporter.conf)
  -h, --help          this text`;

const FLUSH_TIMEOUT_MS = 8000;

const log = createLogger("reporter");
const args = parseServiceArgs(Deno.args, USAGE, "conf/lars_reporter.conf");
let settings, admin;
try {
  const config = await Config.load(args.config);
  settings = readReporterSettings(config);
  admin = readAdminSettings(config);
  const format = readLogFormat(config);
  if (format) setLogFormat(format);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.error(err.message);
  Deno.exit(1);
}
let created;
try {
  created = createReporterStore(settings);
} catch (err) {
  log.error(`cannot use store ${redactUrl(settings.storeUrl)}: ${(err as Error).message}`);
  Deno.exit(1);
}
const { store, writers, kind } = created;
log.info(`store ${redactUrl(settings.storeUrl)} (${kind}) in a worker`);
const service = new ReportService({
  store,
  transport: denoTransport,
  hostname: settings.hostname,
  port: settings.port,
  maxConn: settings.maxConn,
  limits: settings,
  maxFutureSkew: settings.maxFutureSkew,
  callerFromPeer: settings.callerFromPeer,
  writers,
  history: settings.history,
  flushMs: settings.flushMs,
  batchRows: settings.batchRows,
  queueMax: settings.queueMax,
  log,
});
let adminServer;
try {
  adminServer = await startAdminServer(admin, {
    transport: denoTransport,
    service: "reporter",
    content: () => reporterAdmin(service),
    log,
  });
} catch (err) {
  log.error((err as Error).message);
  Deno.exit(1);
}
stopOnSignals(log, async () => {
  const lost = await service.stop({ flushTimeoutMs: FLUSH_TIMEOUT_MS });
  await adminServer?.stop();
  await store.close();
  log.info(
    `counters ${
      JSON.stringify({ ...service.counters.snapshot(), ...service.server.counters.snapshot() })
    }`,
  );
  if (lost > 0) throw new Error(`${lost} queued rows were not written`);
}, FLUSH_TIMEOUT_MS + 2000);
service.start();

/**
 * The report service (`lars_reporter`) as the service runner starts it:
 * usage, the settings reader, what the settings make it use, and the
 * builder. `reporter/main.ts` runs it on Deno; the `lars` binary runs it on Bun.
 *
 * On SIGTERM or SIGINT it stops accepting, writes what is queued (giving up
 * after 8 s if the database stays down), logs its counters and exits.
 *
 * @module
 */
import { LEAN_V8_FLAGS, type ServiceDefinition, StartupError } from "../reactor/service.ts";
import { storeServiceAccess } from "../store/config.ts";
import { redactUrl } from "../store/url.ts";
import { createReporterStore, readReporterSettings, type ReporterSettings } from "./config.ts";
import { ReportService } from "./report_service.ts";

const USAGE = `usage: deno task reporter [--config FILE]      (lars reporter [--config FILE])

Lars report service: stores the call statistics agents report in
ServerCallStatus (and per-minute sums in ServerCallHistory with history = true).
  -c, --config FILE   lars_reporter.conf ([reactor] ip, port, maxConn, max_conn_per_ip,
                      frame_timeout_ms, allow; [store] url or [mysql]; [reporter] or
                      [repoter] db_thread_cnt, history, flush_ms, batch_rows, queue_max,
                      max_future_skew, caller_from_peer; [admin] ip, port; [log] format)
                      (default conf/lars_reporter.conf)
  -h, --help          this text`;

const FLUSH_TIMEOUT_MS = 8000;

/** Source folders the store worker loads its modules from (read permission on Deno). */
const WORKER_SOURCES = ["reporter", "store", "reactor", "proto"];

/** The report service, for the service runner (`runService` in `reactor/service.ts`). */
export const reporterService: ServiceDefinition<ReporterSettings> = {
  name: "reporter",
  usage: USAGE,
  defaultConfig: "conf/lars_reporter.conf",
  v8Flags: LEAN_V8_FLAGS,
  readSettings: readReporterSettings,
  access(settings, config) {
    return storeServiceAccess(
      config,
      { hostname: settings.hostname, port: settings.port, key: "[reactor] ip, port" },
      WORKER_SOURCES,
    );
  },
  start(settings, { transport, log }) {
    let created;
    try {
      created = createReporterStore(settings);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new StartupError(`cannot use store ${redactUrl(settings.storeUrl)}: ${why}`);
    }
    const { store, writers, kind } = created;
    log.info(`store ${redactUrl(settings.storeUrl)} (${kind}) in a worker`);
    const service = new ReportService({
      store,
      transport,
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
    service.start();
    return Promise.resolve({
      // On Bun the port is bound asynchronously: a port in use shows in `bound`.
      ready: service.server.bound,
      // Imported only when [admin] is on: it loads the metrics library (prom-client, npm).
      admin: async () => (await import("./reporter_admin.ts")).reporterAdmin(service),
      async stop() {
        const lost = await service.stop({ flushTimeoutMs: FLUSH_TIMEOUT_MS });
        await store.close();
        const counters = { ...service.counters.snapshot(), ...service.server.counters.snapshot() };
        log.info(`counters ${JSON.stringify(counters)}`);
        if (lost > 0) throw new Error(`${lost} queued rows were not written`);
      },
      unwritten() {
        const q = service.queueStats();
        const rows = q.queued + q.inFlight;
        if (rows === 0 && q.historyQueued === 0) return undefined;
        return `${rows} status rows and ${q.historyQueued} history sums`;
      },
    });
  },
  stopTimeoutMs: FLUSH_TIMEOUT_MS + 2000,
};

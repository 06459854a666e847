/**
 * The original reactor's echo server for its QPS test: answers every msgid 1
 * frame (an `EchoMessage`) with the same message.
 *
 *     deno task echo-server --config conf/lars_reactor.conf
 *
 * Reads `[reactor] ip` (default 127.0.0.1), `port` (default 7777), `maxConn`
 * and `threadNum`: with `threadNum` > 1, that many Web Workers each run an
 * event loop on the same port (SO_REUSEPORT), as the original's threads did.
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { createLogger } from "../reactor/log.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { WorkerPool } from "../reactor/worker_pool.ts";
import { startEchoServer } from "./echo_service.ts";
import type { FromEchoWorker, ToEchoWorker } from "./echo_worker.ts";

const USAGE = `usage: deno task echo-server [--config FILE]

Runs the reactor echo server used by echo-qps.
  -c, --config FILE   INI file with [reactor] ip, port, maxConn, threadNum
                      (default conf/lars_reactor.conf)`;

const log = createLogger("echo-server");
const args = parseServiceArgs(Deno.args, USAGE, "conf/lars_reactor.conf");
let settings;
let threads;
try {
  const config = await Config.load(args.config);
  threads = config.int("reactor", "threadNum", 1, { min: 1, max: 64 });
  settings = {
    hostname: config.ipv4("reactor", "ip", "127.0.0.1"),
    port: config.int("reactor", "port", 7777, { min: threads > 1 ? 1 : 0, max: 65535 }),
    maxConn: Math.ceil(config.int("reactor", "maxConn", 1024, { min: 1 }) / threads),
    reusePort: threads > 1,
  };
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.error(err.message);
  Deno.exit(1);
}

if (threads === 1) {
  const server = startEchoServer(settings, log);
  log.info(`listening on ${server.addr.hostname}:${server.addr.port}`);
  stopOnSignals(log, {
    async stop() {
      await server.close({ graceful: true });
      log.info(`counters ${JSON.stringify(server.counters.snapshot())}`);
    },
  });
} else {
  const pool = new WorkerPool<ToEchoWorker, FromEchoWorker>({
    url: new URL("./echo_worker.ts", import.meta.url),
    size: threads,
    name: "echo",
    onError: (err, i) => {
      log.error(`worker ${i} failed: ${err.message}`);
      Deno.exit(1);
    },
  });
  const replies = (type: FromEchoWorker["type"]) =>
    Promise.all(Array.from({ length: threads }, (_, i) =>
      new Promise<FromEchoWorker>((resolve) => {
        const off = pool.channel(i).onMessage((msg) => {
          if (msg.type === type || msg.type === "failed") {
            off();
            resolve(msg);
          }
        });
      })));
  const ready = replies("ready");
  pool.broadcast({ type: "start", settings });
  const failed = (await ready).find((m) => m.type === "failed");
  if (failed?.type === "failed") {
    log.error(`cannot start: ${failed.error}`);
    Deno.exit(1);
  }
  log.info(`listening on ${settings.hostname}:${settings.port} with ${threads} event loops`);
  stopOnSignals(log, {
    async stop() {
      const stopped = replies("stopped");
      pool.broadcast({ type: "stop" });
      const total: Record<string, number> = {};
      for (const m of await stopped) {
        if (m.type !== "stopped") continue;
        for (const [k, v] of Object.entries(m.counters)) total[k] = (total[k] ?? 0) + v;
      }
      pool.terminate();
      log.info(`counters ${JSON.stringify(total)}`);
    },
  });
}

/**
 * The original reactor's echo server for its QPS test: answers every msgid 1
 * frame (an `EchoMessage`) with the same message.
 *
 *     deno task echo-server --config conf/lars_reactor.conf
 *
 * Reads `[reactor] ip` (default 127.0.0.1), `port` (default 7777), `maxConn`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Config } from "../reactor/config.ts";
import { createLogger } from "../reactor/log.ts";
import { TcpServer } from "../reactor/tcp_server.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { ECHO_MSGID, EchoMessageCodec } from "./echo_message.ts";

const USAGE = `usage: deno task echo-server [--config FILE]

Runs the reactor echo server used by echo-qps.
  --config FILE   INI file with [reactor] ip, port, maxConn (default conf/lars_reactor.conf)`;

const log = createLogger("echo-server");
const { values } = parseArgs({
  options: {
    config: { type: "string", default: "conf/lars_reactor.conf" },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const config = await Config.load(values.config!);
const server = new TcpServer({
  transport: denoTransport,
  hostname: config.ipv4("reactor", "ip", "127.0.0.1"),
  port: config.int("reactor", "port", 7777, { min: 0, max: 65535 }),
  maxConn: config.int("reactor", "maxConn", 1024, { min: 1 }),
  name: "echo-server",
  log,
});
server.router.on(ECHO_MSGID, EchoMessageCodec, (message, { conn }) => {
  conn.send(ECHO_MSGID, EchoMessageCodec.encode(message));
});
const addr = server.listen();
log.info(`listening on ${addr.hostname}:${addr.port}`);

const stop = async () => {
  log.info(`stopping; counters ${JSON.stringify(server.counters.snapshot())}`);
  await server.close({ graceful: true });
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

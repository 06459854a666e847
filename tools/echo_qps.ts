/**
 * The original reactor's QPS test: N connections each send an `EchoMessage`
 * and send the next as soon as the answer arrives (one request in flight per
 * connection, as the original). Prints QPS each second and the average.
 *
 *     deno task echo-qps --config conf/lars_reactor.conf --connections 2 --seconds 10
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Config } from "../reactor/config.ts";
import { createLogger } from "../reactor/log.ts";
import { TcpClient } from "../reactor/tcp_client.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { ECHO_MSGID, EchoMessageCodec } from "./echo_message.ts";

const USAGE = `usage: deno task echo-qps [--config FILE] [--connections N] [--seconds S]

Measures echo round trips per second against echo-server.
  --config FILE      INI file with [reactor] ip, port (default conf/lars_reactor.conf)
  --connections N    client connections, one request in flight each (default 1)
  --seconds S        how long to run (default 10)`;

function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`echo-qps: --${name} must be a positive integer, got "${text}"\n${USAGE}`);
    Deno.exit(2);
  }
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      config: { type: "string", default: "conf/lars_reactor.conf" },
      connections: { type: "string", default: "1" },
      seconds: { type: "string", default: "10" },
      help: { type: "boolean" },
    },
  });
} catch (err) {
  console.error(`echo-qps: ${(err as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  Deno.exit(0);
}
const connections = positiveInt("connections", values.connections);
const seconds = positiveInt("seconds", values.seconds);
const config = await Config.load(values.config!);
const hostname = config.ipv4("reactor", "ip", "127.0.0.1");
const port = config.port("reactor", "port", 7777);
const log = createLogger("echo-qps");

let count = 0;
const payload = "Lars reactor echo QPS test: hello from the client";
const clients: TcpClient[] = [];
for (let i = 0; i < connections; i++) {
  const client = new TcpClient({ transport: denoTransport, hostname, port, log, name: "echo-qps" });
  let nextId = 1;
  client.router.on(ECHO_MSGID, EchoMessageCodec, (reply, c) => {
    if (reply.content !== payload) throw new Error(`echo mismatch: "${reply.content}"`);
    count++;
    c.send(ECHO_MSGID, EchoMessageCodec.encode({ content: payload, id: nextId++ }));
  });
  client.start();
  clients.push(client);
}
await Promise.all(clients.map((c) => c.whenConnected()));
for (const c of clients) c.send(ECHO_MSGID, EchoMessageCodec.encode({ content: payload, id: 0 }));

const perSecond: number[] = [];
let last = 0;
for (let s = 1; s <= seconds; s++) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const qps = count - last;
  last = count;
  perSecond.push(qps);
  console.log(`second ${s}: ${qps} QPS`);
}
await Promise.all(clients.map((c) => c.close()));
const average = Math.round(perSecond.reduce((a, b) => a + b, 0) / perSecond.length);
console.log(`average: ${average} QPS over ${seconds} s with ${connections} connection(s)`);

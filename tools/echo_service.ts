/**
 * One echo server event loop: answers every msgid 1 frame (an `EchoMessage`)
 * with the same message. Run in the main isolate, or in each of
 * `[reactor] threadNum` workers sharing the port (see `echo_worker.ts`).
 *
 * @module
 */
import type { Logger } from "../reactor/log.ts";
import { TcpServer } from "../reactor/tcp_server.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { ECHO_MSGID, EchoMessageCodec } from "./echo_message.ts";

/** Settings of one echo loop. */
export interface EchoSettings {
  /** Listen address. */
  hostname: string;
  /** Listen port. */
  port: number;
  /** Most connections of this loop. */
  maxConn: number;
  /** Share the port with the other loops. */
  reusePort: boolean;
}

/** Starts an echo server; resolves once listening. */
export function startEchoServer(settings: EchoSettings, log: Logger): TcpServer {
  const server = new TcpServer({
    transport: denoTransport,
    hostname: settings.hostname,
    port: settings.port,
    maxConn: settings.maxConn,
    reusePort: settings.reusePort,
    name: "echo-server",
    log,
  });
  server.router.on(ECHO_MSGID, EchoMessageCodec, (message, { conn }) => {
    conn.send(ECHO_MSGID, EchoMessageCodec.encode(message));
  });
  server.listen();
  return server;
}

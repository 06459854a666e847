/**
 * The reactor: Lars's networking framework without Lars business logic. TCP
 * server and reconnecting client and UDP endpoints that speak Lars frames and
 * route them by msgid; the transport seam they run on; a batched channel to
 * Web Workers (the original's thread_queue) and a worker pool; timers and
 * backoff; the INI config reader; counters and logging.
 *
 * @example
 * ```ts ignore
 * import { denoTransport, TcpServer } from "./mod.ts";
 * const server = new TcpServer({ transport: denoTransport, port: 7777 });
 * server.router.onRaw(1, (body, { conn }) => conn.send(1, body));
 * server.listen();
 * ```
 *
 * @module
 */
export * from "./transport.ts";
export * from "./transport_deno.ts";
export * from "./router.ts";
export * from "./framed_connection.ts";
export * from "./tcp_server.ts";
export * from "./tcp_client.ts";
export * from "./udp_endpoint.ts";
export * from "./worker_channel.ts";
export * from "./worker_pool.ts";
export * from "./timers.ts";
export * from "./config.ts";
export * from "./counters.ts";
export * from "./net_counters.ts";
export * from "./log.ts";
export * from "./text.ts";
export * from "./admin_server.ts";
export * from "./metrics.ts";
export * from "./ops_settings.ts";
export * from "./cidr.ts";
export * from "./drop_log.ts";
export * from "./server_settings.ts";

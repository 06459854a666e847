/**
 * What both client entries export: the runtime-neutral part of the client
 * (`LarsClientBase`, options, errors, the transport interface) and the wire
 * types and return codes its API uses. `deno.ts` and `node.ts` add a
 * `LarsClient` with their runtime's sockets.
 *
 * @module
 */
export * from "./lars_client.ts";
export { RetCode } from "../proto/ids.ts";
export * from "./errors.ts";
export {
  DEFAULT_AGENT_HOST,
  DEFAULT_AGENT_PORT,
  DEFAULT_TIMEOUT_MS,
  type LarsClientOptions,
} from "./options.ts";
export type { Counters } from "../reactor/counters.ts";
export type {
  Datagram,
  HttpHandler,
  HttpRequestInfo,
  HttpServer,
  ListenOptions,
  NetAddress,
  TcpConn,
  TcpListener,
  Transport,
  UdpSocket,
} from "../reactor/transport.ts";

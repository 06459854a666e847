/**
 * The Lars client: {@linkcode LarsClient} with `getHost`, `report`,
 * `getRoute` and `regInit`, its options and errors, and the transports it
 * can run on.
 *
 * @example
 * ```ts ignore
 * import { LarsClient } from "./mod.ts";
 * const client = new LarsClient({ timeoutMs: 100 });
 * console.log(await client.regInit(1, 1)); // 0 once the agent has the route
 * console.log(await client.getRoute(1, 1)); // [{ ip: "10.0.0.7", port: 9000 }, ...]
 * await client.close();
 * ```
 *
 * @module
 */
export * from "./lars_client.ts";
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
  NetAddress,
  TcpConn,
  TcpListener,
  Transport,
  UdpSocket,
} from "../reactor/transport.ts";
export { denoTransport } from "../reactor/transport_deno.ts";
export {
  createNodeTransport,
  nodeTransport,
  type NodeTransportOptions,
  SocketClosedError,
} from "../reactor/transport_node.ts";

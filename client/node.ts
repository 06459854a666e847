/**
 * The client's Bun and Node entry: {@linkcode LarsClient} on `node:dgram`, and
 * everything runtime-neutral from `common.ts`. It uses no `Deno.*` API; the
 * one-file build `dist/lars_client.mjs` is made from it.
 *
 * @module
 */
import { nodeTransport } from "../reactor/transport_node.ts";
import { LarsClientBase } from "./lars_client.ts";
import type { LarsClientOptions } from "./options.ts";

export * from "./common.ts";
export {
  createNodeTransport,
  nodeTransport,
  type NodeTransportOptions,
  SocketClosedError,
} from "../reactor/transport_node.ts";

/**
 * {@linkcode LarsClientBase} on `node:dgram`, unless `options.transport`
 * names other sockets.
 *
 * @example With no agent, calls end after `timeoutMs`
 * ```ts
 * import { LarsClient, RetCode } from "./node.ts";
 * await using client = new LarsClient({ port: 1, timeoutMs: 20 });
 * console.log((await client.getHost(1, 2)).retcode === RetCode.SYSTEM_ERROR); // true
 * ```
 * @tags allow-net
 */
export class LarsClient extends LarsClientBase {
  /**
   * Binds the client's UDP socket.
   *
   * @throws {TypeError | RangeError} on invalid options
   */
  constructor(options: LarsClientOptions = {}) {
    super({ ...options, transport: options.transport ?? nodeTransport });
  }
}

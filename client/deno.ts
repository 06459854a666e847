/**
 * The client's Deno entry: {@linkcode LarsClient} on Deno's own UDP API, and
 * everything runtime-neutral from `common.ts`. It loads no `node:` networking;
 * `node.ts` is the entry for Bun and Node.
 *
 * @module
 */
import { denoTransport } from "../reactor/transport_deno.ts";
import { LarsClientBase } from "./lars_client.ts";
import type { LarsClientOptions } from "./options.ts";

export * from "./common.ts";
export { denoTransport } from "../reactor/transport_deno.ts";

/**
 * {@linkcode LarsClientBase} on Deno's UDP API (run with `--unstable-net`, or
 * `"unstable": ["net"]` in deno.json), unless `options.transport` names other
 * sockets.
 *
 * @example With no agent, calls end after `timeoutMs`
 * ```ts
 * import { LarsClient, RetCode } from "./deno.ts";
 * await using client = new LarsClient({ port: 1, timeoutMs: 20 });
 * console.log((await client.getHost(1, 2)).retcode === RetCode.SYSTEM_ERROR); // true
 * ```
 * @tags allow-net
 */
export class LarsClient extends LarsClientBase {
  /**
   * Binds the client's UDP socket.
   *
   * @throws {TypeError} when Deno's UDP API is off (no `--unstable-net`) and no transport is given
   * @throws {TypeError | RangeError} on invalid options
   */
  constructor(options: LarsClientOptions = {}) {
    super({ ...options, transport: options.transport ?? _denoUdp() });
  }
}

function _denoUdp() {
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
  if (typeof deno?.listenDatagram !== "function") {
    throw new TypeError(
      "Cannot create LarsClient: Deno's UDP API is off; run with --unstable-net, or pass " +
        "options.transport (nodeTransport of node.ts uses node:dgram)",
    );
  }
  return denoTransport;
}

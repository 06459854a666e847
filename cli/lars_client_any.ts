/**
 * The {@linkcode LarsClient} of the API tools, which run both on Deno
 * (`deno task lars`) and compiled by Bun (`dist/lars`): Deno's UDP API
 * when it is on, else `node:dgram`. Applications pick their runtime's entry
 * instead (`mod.ts` or `node.ts`) and load one runtime only.
 *
 * @module
 */
import { LarsClientBase } from "../client/lars_client.ts";
import type { LarsClientOptions } from "../client/options.ts";
import type { Transport } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { nodeTransport } from "../reactor/transport_node.ts";

/** A Lars client on this runtime's sockets; see the module documentation. */
export class LarsClient extends LarsClientBase {
  /** Binds the client's UDP socket. */
  constructor(options: LarsClientOptions = {}) {
    super({ ...options, transport: options.transport ?? _runtimeTransport() });
  }
}

function _runtimeTransport(): Transport {
  const deno = (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno;
  return typeof deno?.listenDatagram === "function" ? denoTransport : nodeTransport;
}

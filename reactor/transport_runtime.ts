/**
 * Picks a {@linkcode Transport} by name, for code that runs in a Web Worker
 * and must use the same transport as the isolate that started it (the
 * agent's shards): `"deno"` for {@linkcode denoTransport}, anything else for
 * {@linkcode nodeTransport} (Bun and Node). Loads both transports; the client
 * never imports this module.
 *
 * @module
 */
import type { Transport } from "./transport.ts";
import { denoTransport } from "./transport_deno.ts";
import { nodeTransport } from "./transport_node.ts";

/** The transport named `name` (a {@linkcode Transport.name}). */
export function transportNamed(name: string): Transport {
  return name === denoTransport.name ? denoTransport : nodeTransport;
}

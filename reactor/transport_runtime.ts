/**
 * Picks a {@linkcode Transport} by name, for code that runs in a Web Worker
 * and must use the same transport as the isolate that started it (the
 * agent's shards), and for the `lars` binary: `"deno"` for the Deno
 * transport, anything else for the Node transport (Bun and Node). Only the
 * named transport is loaded: on Deno, importing the Node transport would load
 * Deno's Node compatibility layer (`node:net`, `node:http`, ...), about 6 MiB
 * of RSS per isolate, for nothing. The client never imports this module.
 *
 * @module
 */
import type { Transport } from "./transport.ts";

/** Loads the transport named `name` (a {@linkcode Transport.name}), and only that one. */
export async function loadTransport(name: string): Promise<Transport> {
  if (name === "deno") return (await import("./transport_deno.ts")).denoTransport;
  return (await import("./transport_node.ts")).nodeTransport;
}

/**
 * The Lars client for Deno: {@linkcode LarsClient} with `getHost`, `report`,
 * `getRoute` and `regInit`, its options and errors, and the transport
 * interface. Bun and Node use `node.ts` instead (or the one-file build
 * `dist/lars_client.mjs`).
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
export * from "./deno.ts";

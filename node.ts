/**
 * Lars for applications on Bun and Node: the same API as `mod.ts`, with
 * {@linkcode LarsClient} on `node:dgram`. `deno task build` bundles this file
 * into `dist/lars_client.mjs`, one ESM file that Bun and Node 20+ import.
 *
 * @example Pick a host, call it, report the outcome (needs a running agent)
 * ```ts ignore
 * import { LarsClient, RetCode } from "./dist/lars_client.mjs";
 * const client = new LarsClient(); // agent on 127.0.0.1, ports 8888..8890
 * const r = await client.getHost(1, 1);
 * if (r.retcode === RetCode.SUCC) {
 *   const ok = await callService(r.ip, r.port);
 *   client.report(1, 1, r.ip, r.port, ok ? 0 : 1);
 * }
 * await client.close();
 * ```
 *
 * @module
 */
export * from "./client/node.ts";
export * from "./proto/mod.ts";

/**
 * Lars for applications: ask the local Lars agent which host serves a module
 * `(modid, cmdid)`, report how the call went, read a module's route. This is
 * the Deno entry (it loads no `node:` networking); Bun and Node import
 * `node.ts`, or its one-file build `dist/lars_client.mjs`. Also exports the
 * wire protocol: message types and codecs, {@linkcode RetCode}, frame and IPv4
 * helpers.
 *
 * @example Pick a host, call it, report the outcome (needs a running agent)
 * ```ts ignore
 * import { LarsClient, RetCode } from "./mod.ts";
 * const client = new LarsClient(); // agent on 127.0.0.1, ports 8888..8890
 * const r = await client.getHost(1, 1);
 * if (r.retcode === RetCode.SUCC) {
 *   const ok = await callService(r.ip, r.port);
 *   client.report(1, 1, r.ip, r.port, ok ? 0 : 1);
 * }
 * await client.close();
 * ```
 *
 * @example Which agent port serves a module, and return code names
 * ```ts
 * import { retCodeName, RetCode, shardPort } from "./mod.ts";
 * console.log(shardPort(1, 2)); // 8888
 * console.log(retCodeName(RetCode.NOEXIST)); // "RET_NOEXIST"
 * ```
 *
 * @module
 */
export * from "./client/mod.ts";
export * from "./proto/mod.ts";

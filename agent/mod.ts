/**
 * The load-balance agent's core: the per-module balancer
 * ({@linkcode LoadBalance}), the per-shard route table ({@linkcode RouteTable})
 * and the main isolate's known routes with the empty-route hold
 * ({@linkcode KnownRoutes}), all pure and driven by a clock in seconds that the
 * caller passes in.
 *
 * @example
 * ```ts
 * import { RouteTable } from "./mod.ts";
 * import { RetCode } from "../proto/mod.ts";
 * const table = new RouteTable({ probeNum: 5 });
 * const first = table.getHost(1, 1, 1_700_000_000);
 * console.log(first.code === RetCode.NOEXIST, first.pull); // true true
 * table.applyUpdate(1, 1, [{ ip: 2130706433, port: 9000 }], 1_700_000_000);
 * const picked = table.getHost(1, 1, 1_700_000_001);
 * if (picked.code === RetCode.SUCC) {
 *   table.report(1, 1, picked.host.ip, picked.host.port, RetCode.SUCC, 1_700_000_002);
 * }
 * console.log(table.takeDirtySnapshots(2130706433, 1_700_000_003).length); // 1
 * ```
 *
 * @module
 */
export * from "./load_balance.ts";
export * from "./route_table.ts";
export * from "./known_routes.ts";

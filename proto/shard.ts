/**
 * The agent's shard rule, shared by the agent, the client and the tests: a
 * module `(modid, cmdid)` is served by UDP port `base + shardOf(modid, cmdid)`.
 * The original computes `(modid + cmdid) % 3` in C++, which is negative for a
 * negative sum; we make it non-negative so that every id maps to a port
 * (for non-negative sums both agree).
 *
 * @module
 */

/** Number of agent shards (UDP ports and shard workers). */
export const SHARD_COUNT = 3;

/**
 * Shard of a module: `(modid + cmdid) mod shards`, always in `0..shards-1`.
 *
 * @example
 * ```ts
 * import { shardOf } from "./shard.ts";
 * console.log(shardOf(1, 1)); // 2
 * console.log(shardOf(-1, 0)); // 2
 * ```
 */
export function shardOf(modid: number, cmdid: number, shards: number = SHARD_COUNT): number {
  return (((modid + cmdid) % shards) + shards) % shards;
}

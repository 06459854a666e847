/**
 * The Lars wire protocol: message ids and return codes, message types and
 * their protobuf codec, the 8-byte frame header and the TCP frame decoder,
 * IPv4 integer helpers and the agent's shard rule.
 *
 * @example
 * ```ts
 * import { encodeFrame, GetRouteRequestCodec, MessageId } from "./mod.ts";
 * const frame = encodeFrame(
 *   MessageId.GetRouteRequest,
 *   GetRouteRequestCodec.encode({ modid: 1, cmdid: 2 }),
 * );
 * console.log(frame.length); // 12
 * ```
 *
 * @module
 */
export * from "./ids.ts";
export * from "./ip.ts";
export * from "./frame.ts";
export * from "./messages.ts";
export * from "./shard.ts";

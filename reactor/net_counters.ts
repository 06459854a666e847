/**
 * The counters every reactor server and client keeps.
 *
 * @module
 */
import { Counters } from "./counters.ts";

/** Names of the network counters. */
export const NET_COUNTER_NAMES = [
  "connectionsAccepted",
  "connectionsRejected",
  "connectionsDenied",
  "connectionsOverIpLimit",
  "frameTimeouts",
  "silentEvicted",
  "connectionsClosed",
  "connects",
  "connectFailures",
  "framesIn",
  "framesOut",
  "bytesIn",
  "bytesOut",
  "badFrames",
  "unknownMsgid",
  "handlerErrors",
  "slowClosed",
  "sendDrops",
  "sendErrors",
  "deadPeers",
  "idleRefreshes",
] as const;

/** One of {@linkcode NET_COUNTER_NAMES}. */
export type NetCounterName = typeof NET_COUNTER_NAMES[number];

/** Counters of connections, frames and bytes, bad input and drops. */
export type NetCounters = Counters<NetCounterName>;

/** New network counters, all zero. */
export function createNetCounters(): NetCounters {
  return new Counters(NET_COUNTER_NAMES);
}

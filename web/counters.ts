/**
 * Counters of the web admin, read by its admin endpoint's metrics and logged
 * at stop.
 *
 * @module
 */
import { Counters } from "../reactor/counters.ts";

/** Names of the web admin's counters. */
export const WEB_COUNTER_NAMES = [
  "requests",
  "clientErrors",
  "serverErrors",
  "storeUnavailable",
  "writes",
  "logins",
  "loginFailures",
  "loginsLimited",
] as const;

/** One counter name. */
export type WebCounterName = typeof WEB_COUNTER_NAMES[number];

/** The web admin's counters. */
export type WebCounters = Counters<WebCounterName>;

/** New counters, all at zero. */
export function createWebCounters(): WebCounters {
  return new Counters(WEB_COUNTER_NAMES);
}

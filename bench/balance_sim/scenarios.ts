/**
 * The failure modes the balancing simulator plays, each on a module of ten
 * hosts called by every agent (fleet demand 1000 calls/s, each host able to
 * serve 150 calls/s).
 *
 * @module
 */
import { HOST_CAPACITY, type HostCondition, type Scenario } from "./model.ts";

const HEALTHY: HostCondition = Object.freeze({ errorRate: 0, capacity: HOST_CAPACITY });
const DOWN: HostCondition = Object.freeze({ errorRate: 1, capacity: HOST_CAPACITY });

/** Linear ramp from `from` to `to` between `start` and `end` seconds. */
function ramp(t: number, start: number, end: number, from: number, to: number): number {
  if (t <= start) return from;
  if (t >= end) return to;
  return from + (to - from) * (t - start) / (end - start);
}

/** Every scenario, in the order the results table lists them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "hard-down",
    description: "host 0 refuses every call from 30 s to 90 s",
    hosts: 10,
    seconds: 150,
    fault: [30, 90],
    watched: 0,
    condition: (i, t) => i === 0 && t >= 30 && t < 90 ? DOWN : HEALTHY,
  },
  {
    name: "flapping",
    description: "host 0 is down 5 s, up 5 s, from 30 s to 90 s",
    hosts: 10,
    seconds: 150,
    fault: [30, 90],
    watched: 0,
    condition: (i, t) =>
      i === 0 && t >= 30 && t < 90 && Math.floor((t - 30) / 5) % 2 === 0 ? DOWN : HEALTHY,
  },
  {
    name: "30%-errors",
    description: "host 0 fails 30% of its calls from 30 s to 90 s",
    hosts: 10,
    seconds: 150,
    fault: [30, 90],
    watched: 0,
    condition: (i, t) =>
      i === 0 && t >= 30 && t < 90 ? { errorRate: 0.3, capacity: HOST_CAPACITY } : HEALTHY,
  },
  {
    name: "slow-recovery",
    description: "host 0 is down from 30 s to 60 s, then its capacity climbs from 10% over 30 s",
    hosts: 10,
    seconds: 150,
    fault: [30, 60],
    watched: 0,
    condition: (i, t) => {
      if (i !== 0 || t < 30) return HEALTHY;
      if (t < 60) return DOWN;
      return { errorRate: 0, capacity: ramp(t, 60, 90, 0.1 * HOST_CAPACITY, HOST_CAPACITY) };
    },
  },
  {
    name: "zone-lost",
    description:
      "hosts 0-5 (a zone) are down from 30 s to 90 s; the other four can serve 60% of the demand",
    hosts: 10,
    seconds: 150,
    fault: [30, 90],
    watched: 0,
    condition: (i, t) => i < 6 && t >= 30 && t < 90 ? DOWN : HEALTHY,
  },
  {
    name: "fresh-agents",
    description: "host 0 is down from 20 s on; at 60 s ten fresh agents join the ten calling it",
    hosts: 10,
    seconds: 120,
    fault: [20, 120],
    watched: 0,
    freshAgents: { at: 60, count: 10 },
    condition: (i, t) => i === 0 && t >= 20 ? DOWN : HEALTHY,
  },
  {
    name: "host-added",
    description: "host 9 joins at 30 s with a cold cache: capacity climbs from 10% over 30 s",
    hosts: 9,
    seconds: 120,
    fault: [30, 30],
    watched: 9,
    routeChanges: [{ at: 30, hosts: 10 }],
    condition: (i, t) =>
      i === 9
        ? { errorRate: 0, capacity: ramp(t, 30, 60, 0.1 * HOST_CAPACITY, HOST_CAPACITY) }
        : HEALTHY,
  },
];

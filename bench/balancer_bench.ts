/**
 * Balancer pick benchmarks: `choose` + `report` under the original's rules
 * (plain round robin) against ours with equal weights (the same plain path),
 * with weights (smooth weighted round robin, one pass over the hosts per
 * pick) and in panic (every host failing, 90% kept in rotation), at 10 and
 * 100 hosts.
 *
 *     deno task bench
 */
import { LoadBalance, ORIGINAL_RULES } from "../agent/load_balance.ts";
import type { HostInfo } from "../proto/mod.ts";

const T0 = 1_700_000_000;

function hosts(count: number, weighted: boolean): HostInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    ip: 0x0A000001 + i,
    port: 9000,
    ...(weighted ? { weight: 1 + (i % 4) } : {}),
  }));
}

function balancer(count: number, original: boolean, weighted: boolean, panic = false) {
  const lb = new LoadBalance(1, 1, original ? ORIGINAL_RULES : { maxEjectionPercent: 10 });
  lb.update(hosts(count, weighted), T0);
  if (panic) {
    // Every host fails: the cap keeps 90% of them in rotation.
    for (const h of lb.hosts()) for (let i = 0; i < 15; i++) lb.report(h.ip, h.port, 1, T0);
  }
  return lb;
}

for (const count of [10, 100]) {
  const cases: [string, LoadBalance][] = [
    ["original rules", balancer(count, true, false)],
    ["ours, equal weights", balancer(count, false, false)],
    ["ours, weights", balancer(count, false, true)],
    ["ours, panic (every call fails)", balancer(count, false, false, true)],
  ];
  for (const [name, lb] of cases) {
    Deno.bench({
      name: `choose + report, ${count} hosts, ${name}`,
      group: `choose ${count}`,
      baseline: name === "original rules",
      fn() {
        const r = lb.choose(T0 + 1);
        if (r.code === 0) lb.report(r.host.ip, r.host.port, lb.panic ? 1 : 0, T0 + 1);
      },
    });
  }
}

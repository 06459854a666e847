/**
 * Our balancing rules beyond the original's, on the pure balancer with a fake
 * clock: the ejection cap (panic), probe pacing, repeat ejections, slow start
 * and weights. tests/agent/load_balance_test.ts pins the original's rules.
 */
import assert from "node:assert/strict";
import { LoadBalance, type LoadBalanceOptions, ORIGINAL_RULES } from "../../agent/load_balance.ts";
import { type HostInfo, RetCode } from "../../proto/mod.ts";
import { randInt, runWithSeed, testSeeds } from "../support/random.ts";

const T0 = 1_700_000_000;
const OK = RetCode.SUCC;
const FAIL = RetCode.SYSTEM_ERROR;
const key = (h: HostInfo) => `${h.ip}:${h.port}`;

function makeHosts(count: number, weights: number[] = []): HostInfo[] {
  return Array.from({ length: count }, (_, i) => {
    const host: HostInfo = { ip: 0x0A000001 + i, port: 8001 + i };
    if (weights[i] !== undefined) host.weight = weights[i];
    return host;
  });
}

/** Only the rule under test differs from the original. */
function balancer(hosts: HostInfo[], options: Partial<LoadBalanceOptions>, now = T0) {
  const lb = new LoadBalance(1, 2, { ...ORIGINAL_RULES, continErrLimit: 3, ...options });
  lb.update(hosts, now);
  return lb;
}

function fail(lb: LoadBalance, host: HostInfo, now: number, times = lb.options.continErrLimit) {
  for (let i = 0; i < times; i++) assert.equal(lb.report(host.ip, host.port, FAIL, now), true);
}

function succeed(lb: LoadBalance, host: HostInfo, now: number, times: number) {
  for (let i = 0; i < times; i++) assert.equal(lb.report(host.ip, host.port, OK, now), true);
}

/** Picks `n` times at `now` and counts the answers by host (or by return code). */
function tally(lb: LoadBalance, n: number, now: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = lb.choose(now);
    const k = r.code === OK ? key(r.host) : `code ${r.code}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

const overloaded = (lb: LoadBalance, h: HostInfo) => lb.hostStats(h.ip, h.port)!.overload;
const health = (lb: LoadBalance, h: HostInfo) => lb.hostHealth(h.ip, h.port)!;

Deno.test("balance rules - max_ejection_percent keeps the least-bad overloaded hosts in (panic)", () => {
  const hosts = makeHosts(4);
  const lb = balancer(hosts, { maxEjectionPercent: 50, probeNum: 1000 });
  const [a, b, c, d] = hosts;
  fail(lb, a, T0 + 1);
  fail(lb, b, T0 + 1);
  assert.equal(lb.panic, false, "two of four out is within 50%");
  // c fails less badly: successes first, then a streak of failures.
  succeed(lb, c, T0 + 1, 7);
  fail(lb, c, T0 + 1);
  assert.equal(overloaded(lb, c), true);
  assert.equal(lb.panic, true);
  assert.equal(health(lb, c).pardoned, true, "c (3 of 10 failed) is the least bad");
  assert.equal(health(lb, a).pardoned, false);
  const counts = tally(lb, 100, T0 + 2);
  assert.deepEqual([...counts.keys()].sort(), [key(c), key(d)].sort());
  // Everything overloaded: two stay in, and no call is refused.
  fail(lb, d, T0 + 2);
  assert.equal(lb.idleHosts().length, 0);
  const all = tally(lb, 100, T0 + 3);
  assert.equal(all.has(`code ${RetCode.OVERLOAD}`), false);
  assert.equal([...all.keys()].length, 2);
  // A pardoned host that recovers leaves panic behind.
  succeed(lb, c, T0 + 3, lb.options.continSuccLimit);
  succeed(lb, d, T0 + 3, lb.options.continSuccLimit);
  assert.equal(lb.panic, false);
  assert.equal(lb.overloadedHosts().length, 2);
});

Deno.test("balance rules - max_ejection_percent 100 answers RET_OVERLOAD as the original", () => {
  const hosts = makeHosts(2);
  const lb = balancer(hosts, { maxEjectionPercent: 100, probeNum: 3 });
  for (const h of hosts) fail(lb, h, T0);
  assert.equal(lb.panic, false);
  const codes = Array.from({ length: 4 }, () => lb.choose(T0 + 1).code);
  assert.deepEqual(codes, [RetCode.OVERLOAD, RetCode.OVERLOAD, RetCode.OVERLOAD, OK]);
});

Deno.test("balance rules - a one-host module under a cap below 100% is never refused", () => {
  const [only] = makeHosts(1);
  const lb = balancer([only], { maxEjectionPercent: 50 });
  fail(lb, only, T0);
  assert.equal(lb.panic, true);
  assert.deepEqual(tally(lb, 5, T0), new Map([[key(only), 5]]));
});

Deno.test("balance rules - probe_interval paces probes of a host that keeps failing", () => {
  const [bad, good] = makeHosts(2);
  const lb = balancer([bad, good], { probeInterval: 2, probeNum: 1 });
  fail(lb, bad, T0);
  assert.equal(health(lb, bad).probeAt, T0 + 2);
  assert.deepEqual(tally(lb, 20, T0 + 1.9), new Map([[key(good), 20]]), "not due yet");
  const due = tally(lb, 20, T0 + 2);
  assert.ok((due.get(key(bad)) ?? 0) >= 9, "probed every other pick once due");
  fail(lb, bad, T0 + 2, 1);
  assert.equal(health(lb, bad).probeAt, T0 + 4, "a failed probe pushes the next one out");
  assert.equal(tally(lb, 20, T0 + 3).has(key(bad)), false);
  // A successful probe leaves the next one due: recovery is not slowed.
  succeed(lb, bad, T0 + 4, 1);
  assert.equal(health(lb, bad).probeAt, T0 + 4);
});

Deno.test("balance rules - a host overloaded soon after coming back stays out longer, capped", () => {
  const [h, other] = makeHosts(2);
  const lb = balancer([h, other], {
    maxOverloadTimeout: 100,
    overloadTimeout: 15,
    probeInterval: 1,
    probeNum: 0,
  });
  let now = T0;
  const outFor: number[] = [];
  for (let round = 0; round < 5; round++) {
    fail(lb, h, now);
    outFor.push(health(lb, h).outUntil - now);
    const strikes = health(lb, h).strikes;
    assert.equal(health(lb, h).probeAt - now, Math.min(2 ** strikes, 100), "probe gap grows");
    // Not returned by the timeout before the out time is over...
    const outUntil = health(lb, h).outUntil;
    if (outUntil - now > 15) {
      fail(lb, h, now + 15, 1);
      assert.equal(overloaded(lb, h), true, `round ${round}: still out at 15 s`);
    }
    // ...then it comes back (a probe streak), and fails again soon.
    now = Math.max(outUntil, now + 15) + 1;
    succeed(lb, h, now, lb.options.continSuccLimit);
    assert.equal(overloaded(lb, h), false);
    now += 5;
  }
  assert.deepEqual(outFor, [0, 30, 60, 100, 100]);
  // Healthy for longer than max_overload_timeout: the next ejection starts over.
  now += 101;
  fail(lb, h, now, 1); // ends the long idle window (1 failure in 15 calls: stays idle)
  fail(lb, h, now);
  assert.equal(overloaded(lb, h), true);
  assert.equal(health(lb, h).strikes, 0);
  assert.equal(health(lb, h).outUntil, now);
});

Deno.test("balance rules - max_overload_timeout at or below overload_timeout never learns", () => {
  const [h, other] = makeHosts(2);
  const lb = balancer([h, other], { maxOverloadTimeout: 15, overloadTimeout: 15 });
  for (let i = 0; i < 3; i++) {
    fail(lb, h, T0 + i * 20);
    assert.equal(health(lb, h).strikes, 0);
    fail(lb, h, T0 + i * 20 + 15, 1); // the original's timeout return, at once
    assert.equal(overloaded(lb, h), false);
  }
});

Deno.test("balance rules - slow start ramps a returning host's share up over slow_start", () => {
  const [h, other] = makeHosts(2);
  const lb = balancer([h, other], { slowStart: 10, probeNum: 1000 });
  fail(lb, h, T0);
  succeed(lb, h, T0 + 1, lb.options.continSuccLimit);
  assert.equal(health(lb, h).rampFrom, T0 + 1);
  // At the start: 10% weight against 1 -> 1 of 11 picks.
  assert.equal(tally(lb, 1100, T0 + 1).get(key(h)), 100);
  // Half way: 0.5 against 1 -> 1 of 3.
  assert.equal(tally(lb, 900, T0 + 6).get(key(h)), 300);
  // Done: even shares, and the ramp is over.
  assert.equal(tally(lb, 100, T0 + 11).get(key(h)), 50);
  assert.ok(Number.isNaN(health(lb, h).rampFrom));
});

Deno.test("balance rules - a host joining a loaded route ramps; the first route does not", () => {
  const [a, b, late] = makeHosts(3);
  const lb = balancer([a, b], { slowStart: 20 });
  assert.ok(Number.isNaN(health(lb, a).rampFrom), "first load: full share at once");
  lb.update([a, b, late], T0 + 5);
  assert.equal(health(lb, late).rampFrom, T0 + 5);
  const early = tally(lb, 2100, T0 + 5).get(key(late));
  assert.equal(early, 100, "10% weight against 1 + 1");
  assert.equal(tally(lb, 300, T0 + 25).get(key(late)), 100);
});

Deno.test("balance rules - weights: smooth weighted round robin, absent or 0 means 1", () => {
  const hosts = makeHosts(3, [1, 2, 3]);
  const lb = balancer(hosts, {});
  assert.deepEqual(hosts.map((h) => health(lb, h).weight), [1, 2, 3]);
  const picks = Array.from({ length: 6 }, () => {
    const r = lb.choose(T0);
    return r.code === OK ? key(r.host) : "none";
  });
  // nginx's smooth order for 1:2:3: c b a c b c (never the heavy one three times in a row).
  const [a, b, c] = hosts.map(key);
  assert.deepEqual(picks, [c, b, a, c, b, c]);
  assert.deepEqual(
    tally(lb, 600, T0),
    new Map([[c, 300], [b, 200], [a, 100]]),
  );
  lb.update(makeHosts(3, [0, 5]), T0 + 1);
  assert.deepEqual(hosts.map((h) => health(lb, h).weight), [1, 5, 1], "weight changes apply");
  lb.update(makeHosts(3), T0 + 2);
  const even = tally(lb, 30, T0 + 2);
  assert.deepEqual([...even.values()], [10, 10, 10], "all weights 1: plain round robin");
});

Deno.test("balance rules - overloaded weighted hosts are skipped, and time-free choose works", () => {
  const hosts = makeHosts(3, [5, 1, 1]);
  const lb = balancer(hosts, { probeNum: 1000 });
  fail(lb, hosts[0], T0);
  const counts = tally(lb, 40, T0);
  assert.equal(counts.has(key(hosts[0])), false);
  assert.deepEqual([...counts.values()], [20, 20]);
  assert.equal(lb.choose().code, OK, "choose without a clock skips the time-based rules");
});

Deno.test("balance rules - a fleet-overloaded host this agent never called starts in probing state", () => {
  const [a, b, c] = makeHosts(3);
  const lb = balancer([a, { ...b, fleetOverload: true }, c], { probeNum: 4, probeInterval: 1 });
  assert.equal(overloaded(lb, b), true, "starts in the overload list");
  assert.equal(health(lb, b).strikes, 0);
  // The first picks go to the others; every fifth pick probes b.
  const picks = Array.from({ length: 10 }, () => {
    const r = lb.choose(T0);
    return r.code === OK ? key(r.host) : "none";
  });
  assert.deepEqual(picks.filter((p) => p === key(b)).length, 2);
  // Probes that succeed bring it back (six successes against five virtual errors).
  succeed(lb, b, T0, 6);
  assert.equal(overloaded(lb, b), false);
  // Once called, a later hint does not override what this agent saw itself.
  lb.update([a, { ...b, fleetOverload: true }, { ...c, fleetOverload: true }], T0 + 1);
  assert.equal(overloaded(lb, b), false, "b was called here: the agent's own view wins");
  assert.equal(overloaded(lb, c), true, "c was never called here: probing");
});

Deno.test("balance rules - fleet hints on most hosts: the ejection cap still keeps some in", () => {
  const hosts = makeHosts(4).map((h) => ({ ...h, fleetOverload: true }));
  const lb = balancer(hosts, { maxEjectionPercent: 50 });
  assert.equal(lb.panic, true);
  assert.equal(lb.overloadedHosts().length, 4);
  assert.equal(tally(lb, 20, T0).has(`code ${RetCode.OVERLOAD}`), false);
});

Deno.test("balance rules - property: random routes, reports and time keep the cap's invariants", () => {
  for (const seed of testSeeds(5)) {
    runWithSeed(seed, (random) => {
      const pool = makeHosts(8);
      const cap = [0, 25, 50, 75][randInt(random, 0, 3)];
      const lb = new LoadBalance(1, 2, {
        maxEjectionPercent: cap,
        continErrLimit: randInt(random, 1, 4),
        probeNum: randInt(random, 0, 5),
        probeInterval: random() * 2,
        slowStart: random() * 10,
        overloadTimeout: randInt(random, 1, 20),
        maxOverloadTimeout: randInt(random, 0, 80),
      });
      const route = () =>
        pool.filter(() => random() < 0.7).map((h) => ({
          ...h,
          ...(random() < 0.3 ? { weight: randInt(random, 1, 5) } : {}),
          ...(random() < 0.2 ? { fleetOverload: true } : {}),
        }));
      let now = T0;
      let hosts = route();
      if (hosts.length === 0) hosts = [pool[0]];
      lb.update(hosts, now);
      for (let step = 0; step < 2000; step++) {
        const roll = random();
        if (roll < 0.02) {
          const next = route();
          if (next.length > 0) lb.update(hosts = next, now);
        } else if (roll < 0.1) {
          now += random() * 5;
        } else {
          const r = lb.choose(now);
          assert.equal(r.code, OK, `step ${step}: a cap below 100% never refuses`);
          if (r.code !== OK) continue;
          assert.ok(hosts.some((h) => key(h) === key(r.host)), "picked host is in the route");
          lb.report(r.host.ip, r.host.port, random() < 0.4 ? FAIL : OK, now);
        }
        const overloadedCount = lb.overloadedHosts().length;
        const allowed = Math.floor(lb.size * cap / 100);
        const pardoned = lb.hosts().filter((h) => health(lb, h).pardoned).length;
        assert.equal(pardoned, Math.max(0, overloadedCount - allowed), `step ${step}: pardons`);
        assert.equal(lb.panic, pardoned > 0);
      }
    });
  }
});

Deno.test("balance rules - transitions say when the module is in panic, and fleet_overload is a reason", () => {
  const seen: { host: string; overload: boolean; rule: string; panic: boolean }[] = [];
  const lb = new LoadBalance(
    1,
    2,
    { ...ORIGINAL_RULES, maxEjectionPercent: 50, continErrLimit: 1 },
    (t) =>
      seen.push({
        host: `${t.ip}:${t.port}`,
        overload: t.overload,
        rule: t.reason.rule,
        panic: t.panic,
      }),
  );
  const [a, b, c] = makeHosts(3);
  lb.update([a, b, { ...c, fleetOverload: true }], T0);
  fail(lb, a, T0, 1);
  assert.deepEqual(seen, [
    { host: key(c), overload: true, rule: "fleet_overload", panic: false },
    { host: key(a), overload: true, rule: "contin_err", panic: true },
  ]);
});

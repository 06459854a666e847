import assert from "node:assert/strict";
import { LoadBalance, type LoadBalanceOptions, ORIGINAL_RULES } from "../../agent/load_balance.ts";
import { type HostInfo, RetCode } from "../../proto/mod.ts";

const T0 = 1_700_000_000;
const OK = RetCode.SUCC;
const FAIL = RetCode.SYSTEM_ERROR;

/** `count` distinct hosts 10.0.0.1:8001, 10.0.0.2:8002, ... */
function makeHosts(count: number): HostInfo[] {
  return Array.from({ length: count }, (_, i) => ({ ip: 0x0A000001 + i, port: 8001 + i }));
}

/**
 * A balancer for module (1, 2) loaded with `hosts` at `now`, under the
 * original's rules (this file pins them; tests/agent/balance_rules_test.ts
 * covers ours).
 */
function loaded(
  hosts: HostInfo[],
  options: Partial<LoadBalanceOptions> = {},
  now = T0,
): LoadBalance {
  const lb = new LoadBalance(1, 2, { ...ORIGINAL_RULES, ...options });
  lb.update(hosts, now);
  return lb;
}

function report(lb: LoadBalance, host: HostInfo, retcode: number, now: number): void {
  assert.equal(lb.report(host.ip, host.port, retcode, now), true);
}

function stats(lb: LoadBalance, host: HostInfo) {
  const found = lb.hostStats(host.ip, host.port);
  assert.ok(found, `host ${host.ip}:${host.port} is unknown`);
  return found;
}

/** The host picked by `choose`, failing when it answers anything else. */
function pick(lb: LoadBalance): HostInfo {
  const result = lb.choose();
  assert.equal(result.code, RetCode.SUCC);
  return result.host;
}

/** Puts `host` in the overload list by failing it `continErrLimit` times in a row. */
function overloadHost(lb: LoadBalance, host: HostInfo, now: number): void {
  for (let i = 0; i < lb.options.continErrLimit && !stats(lb, host).overload; i++) {
    report(lb, host, FAIL, now);
  }
  assert.equal(stats(lb, host).overload, true);
}

const RATES_OFF = { errRate: 1, succRate: 1, continErrLimit: 3, continSuccLimit: 3 };

Deno.test("load_balance - new hosts start idle with set_idle values and idle_ts = now", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], {}, T0 + 50);
  assert.deepEqual(stats(lb, host), {
    ip: host.ip,
    port: host.port,
    vsucc: 180,
    verr: 0,
    rsucc: 0,
    rerr: 0,
    continSucc: 0,
    continErr: 0,
    overload: false,
    idleTs: T0 + 50,
    overloadTs: T0 + 50,
    stateSince: T0 + 50,
    reason: null,
  });
  assert.equal(lb.status, "new");
  assert.equal(lb.lastUpdate, T0 + 50);
});

Deno.test("load_balance - a host added late keeps its first window (the original's bug)", () => {
  const [first, late] = makeHosts(2);
  const lb = loaded([first], {}, T0);
  lb.update([first, late], T0 + 1000);
  report(lb, late, FAIL, T0 + 1001);
  const s = stats(lb, late);
  assert.equal(s.overload, false, "first failure must not overload a fresh host");
  assert.equal(s.idleTs, T0 + 1000, "first report must not reset the window");
  assert.equal(s.rerr, 1);
});

Deno.test("load_balance - set_overload values when an idle host turns overloaded", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { ...RATES_OFF, initErrCnt: 7 });
  report(lb, host, OK, T0 + 1);
  overloadHost(lb, host, T0 + 2);
  const s = stats(lb, host);
  assert.deepEqual(
    [s.vsucc, s.verr, s.rsucc, s.rerr, s.continSucc, s.continErr, s.overloadTs, s.idleTs],
    [0, 7, 0, 0, 0, 0, T0 + 2, T0],
  );
  assert.deepEqual(lb.idleHosts(), []);
  assert.deepEqual(lb.overloadedHosts(), [host]);
});

Deno.test("load_balance - set_idle values when an overloaded host recovers", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { ...RATES_OFF, initSuccCnt: 42 });
  overloadHost(lb, host, T0 + 1);
  for (let i = 0; i < 3; i++) report(lb, host, OK, T0 + 2);
  const s = stats(lb, host);
  assert.deepEqual(
    [s.overload, s.vsucc, s.verr, s.rsucc, s.rerr, s.continSucc, s.continErr, s.idleTs],
    [false, 42, 0, 0, 0, 0, 0, T0 + 2],
  );
  assert.deepEqual(lb.idleHosts(), [host]);
  assert.deepEqual(lb.overloadedHosts(), []);
});

Deno.test("load_balance - report counts successes, failures and streaks", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host]);
  report(lb, host, OK, T0);
  report(lb, host, OK, T0);
  let s = stats(lb, host);
  assert.deepEqual([s.vsucc, s.rsucc, s.continSucc, s.verr, s.rerr, s.continErr], [
    182,
    2,
    2,
    0,
    0,
    0,
  ]);
  report(lb, host, RetCode.OVERLOAD, T0);
  s = stats(lb, host);
  assert.deepEqual([s.vsucc, s.rsucc, s.continSucc, s.verr, s.rerr, s.continErr], [
    182,
    2,
    0,
    1,
    1,
    1,
  ]);
});

Deno.test("load_balance - idle hosts are picked round-robin", () => {
  const hosts = makeHosts(3);
  const lb = loaded(hosts);
  const picks = Array.from({ length: 7 }, () => pick(lb));
  assert.deepEqual(picks, [...hosts, ...hosts, hosts[0]]);
  assert.deepEqual(lb.idleHosts(), [hosts[1], hosts[2], hosts[0]]);
  assert.equal(lb.accessCount, 0, "no counting while no host is overloaded");
});

Deno.test("load_balance - all overloaded: RET_OVERLOAD below probe_num, then a probe", () => {
  const [a, b] = makeHosts(2);
  const lb = loaded([a, b], { ...RATES_OFF, probeNum: 3 });
  overloadHost(lb, a, T0);
  overloadHost(lb, b, T0);
  const answers = Array.from({ length: 8 }, () => {
    const result = lb.choose();
    return result.code === RetCode.SUCC ? result.host : result.code;
  });
  const O = RetCode.OVERLOAD;
  assert.deepEqual(answers, [O, O, O, a, O, O, O, b]);
  assert.equal(lb.accessCount, 0);
});

Deno.test("load_balance - probe_num 0 probes the overload list on every pick", () => {
  const [a, b] = makeHosts(2);
  const lb = loaded([a, b], { ...RATES_OFF, probeNum: 0 });
  overloadHost(lb, a, T0);
  overloadHost(lb, b, T0);
  assert.deepEqual([pick(lb), pick(lb), pick(lb)], [a, b, a]);
});

Deno.test("load_balance - idle and overloaded: every probe_num + 1-th pick probes", () => {
  const [a, b, c] = makeHosts(3);
  const lb = loaded([a, b, c], { ...RATES_OFF, probeNum: 2 });
  overloadHost(lb, c, T0);
  const picks = Array.from({ length: 9 }, () => pick(lb));
  assert.deepEqual(picks, [a, b, c, a, b, c, a, b, c]);
  overloadHost(lb, b, T0);
  const next = Array.from({ length: 6 }, () => pick(lb));
  assert.deepEqual(next, [a, a, c, a, a, b], "overloaded hosts are probed round-robin");
});

Deno.test("load_balance - choose on a module without hosts answers RET_NOEXIST", () => {
  const lb = new LoadBalance(1, 2, { ...ORIGINAL_RULES, probeNum: 0 });
  assert.deepEqual(lb.choose(), { code: RetCode.NOEXIST });
  lb.update(makeHosts(1), T0);
  lb.update([], T0);
  assert.deepEqual(lb.choose(), { code: RetCode.NOEXIST });
});

Deno.test("load_balance - idle host overloads when verr / (vsucc + verr) > err_rate", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { initSuccCnt: 9, errRate: 0.1, continErrLimit: 100 });
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, false, "1 / 10 is not above 0.1");
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, true, "2 / 11 is above 0.1");
});

Deno.test("load_balance - a success never overloads an idle host", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { initSuccCnt: 0, errRate: 0, continErrLimit: 0 });
  report(lb, host, OK, T0);
  assert.equal(stats(lb, host).overload, false);
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, true);
});

Deno.test("load_balance - idle host overloads after contin_err_limit failures in a row", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], RATES_OFF);
  for (const code of [FAIL, FAIL, OK, FAIL, FAIL]) report(lb, host, code, T0);
  assert.equal(stats(lb, host).overload, false, "a success breaks the streak");
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, true);
});

Deno.test("load_balance - overloaded host recovers when vsucc / (vsucc + verr) > succ_rate", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { ...RATES_OFF, succRate: 0.5, continSuccLimit: 100 });
  overloadHost(lb, host, T0);
  for (let i = 0; i < 5; i++) report(lb, host, OK, T0);
  assert.equal(stats(lb, host).overload, true, "5 / 10 is not above 0.5");
  report(lb, host, OK, T0);
  assert.equal(stats(lb, host).overload, false, "6 / 11 is above 0.5");
});

Deno.test("load_balance - overloaded host recovers after contin_succ_limit successes", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], RATES_OFF);
  overloadHost(lb, host, T0);
  for (const code of [OK, OK, FAIL, OK, OK]) report(lb, host, code, T0);
  assert.equal(stats(lb, host).overload, true, "a failure breaks the streak");
  report(lb, host, OK, T0);
  assert.equal(stats(lb, host).overload, false);
});

Deno.test("load_balance - idle window overloads when real error rate >= window_err_rate", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { errRate: 1, continErrLimit: 100, windowErrRate: 0.7 });
  for (const code of [OK, OK, OK, FAIL, FAIL, FAIL, FAIL, FAIL, FAIL]) {
    report(lb, host, code, T0 + 1);
  }
  report(lb, host, FAIL, T0 + 14.9);
  assert.equal(stats(lb, host).overload, false, "window not over yet");
  const before = stats(lb, host);
  assert.deepEqual([before.rsucc, before.rerr], [3, 7]);
  report(lb, host, FAIL, T0 + 15);
  assert.equal(stats(lb, host).overload, true, "8 / 11 is at least 0.7");
  assert.equal(stats(lb, host).overloadTs, T0 + 15);
});

Deno.test("load_balance - idle window reaching exactly window_err_rate overloads", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { errRate: 1, continErrLimit: 100, windowErrRate: 0.7 });
  for (const code of [OK, OK, OK, FAIL, FAIL, FAIL, FAIL, FAIL, FAIL]) report(lb, host, code, T0);
  report(lb, host, FAIL, T0 + 15);
  assert.equal(stats(lb, host).overload, true, "7 / 10 is not below 0.7");
});

Deno.test("load_balance - idle window below window_err_rate resets the counters", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { errRate: 1, continErrLimit: 100, windowErrRate: 0.7 });
  for (const code of [OK, FAIL, OK]) report(lb, host, code, T0 + 3);
  report(lb, host, FAIL, T0 + 20);
  assert.deepEqual(stats(lb, host), {
    ...host,
    vsucc: 180,
    verr: 0,
    rsucc: 0,
    rerr: 0,
    continSucc: 0,
    continErr: 0,
    overload: false,
    idleTs: T0 + 20,
    overloadTs: T0,
    stateSince: T0,
    reason: null,
  });
});

Deno.test("load_balance - state rules run before the idle window check", () => {
  const [host] = makeHosts(1);
  const options = { initSuccCnt: 0, errRate: 0.1, continErrLimit: 100, windowErrRate: 0.7 };
  const lb = loaded([host], options);
  for (let i = 0; i < 8; i++) report(lb, host, OK, T0);
  report(lb, host, FAIL, T0 + 30);
  assert.equal(stats(lb, host).overload, true, "err_rate 1 / 9 > 0.1 must win over the window");
  assert.equal(stats(lb, host).overloadTs, T0 + 30);
});

Deno.test("load_balance - turning overloaded ends the report before the timeout check", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { ...RATES_OFF, errRate: 0, overloadTimeout: 0 });
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, true, "overload_timeout 0 waits for the next report");
  report(lb, host, FAIL, T0);
  assert.equal(stats(lb, host).overload, false, "now overload_timeout 0 has passed");
});

Deno.test("load_balance - overloaded host is reset to idle after overload_timeout", () => {
  const [host] = makeHosts(1);
  const lb = loaded([host], { ...RATES_OFF, continSuccLimit: 100, overloadTimeout: 15 });
  overloadHost(lb, host, T0 + 10);
  report(lb, host, FAIL, T0 + 24.5);
  report(lb, host, OK, T0 + 24.5);
  assert.equal(stats(lb, host).overload, true, "still inside overload_timeout");
  report(lb, host, FAIL, T0 + 25);
  const s = stats(lb, host);
  assert.deepEqual([s.overload, s.vsucc, s.rerr, s.idleTs], [false, 180, 0, T0 + 25]);
  assert.deepEqual(lb.idleHosts(), [host]);
});

Deno.test("load_balance - update adds hosts to the idle tail and removes vanished ones", () => {
  const [a, b, c, d, e] = makeHosts(5);
  const lb = loaded([a, b, c, d], RATES_OFF);
  overloadHost(lb, c, T0);
  overloadHost(lb, d, T0);
  report(lb, a, OK, T0);
  lb.update([a, d, e, e], T0 + 5);
  assert.deepEqual(lb.idleHosts(), [a, e]);
  assert.deepEqual(lb.overloadedHosts(), [d]);
  assert.deepEqual(lb.hosts(), [a, d, e]);
  assert.equal(stats(lb, a).rsucc, 1, "surviving hosts keep their counters");
  assert.equal(lb.hostStats(b.ip, b.port), undefined);
  assert.equal(lb.report(c.ip, c.port, OK, T0 + 6), false, "removed host is unknown");
  assert.equal(lb.lastUpdate, T0 + 5);
});

Deno.test("load_balance - report on an unknown host changes nothing", () => {
  const [a, b] = makeHosts(2);
  const lb = loaded([a]);
  assert.equal(lb.report(b.ip, b.port, FAIL, T0), false);
  assert.equal(lb.report(a.ip, a.port + 1, FAIL, T0), false);
  assert.equal(lb.dirty, false);
  assert.equal(stats(lb, a).rerr, 0);
});

Deno.test("load_balance - hosts are keyed by unsigned ip and port", () => {
  const high = { ip: 0xC0A80001, port: 80 };
  const odd = { ip: 0xC0A80001, port: 70000 };
  const lb = loaded([high, odd, { ip: 0xC0A80001, port: 81 }]);
  assert.equal(lb.size, 3);
  assert.equal(lb.report(high.ip | 0, 80, FAIL, T0), true, "signed wire ip finds the host");
  assert.equal(stats(lb, high).rerr, 1);
  assert.equal(lb.report(odd.ip, 70000, OK, T0), true);
  assert.equal(stats(lb, odd).rsucc, 1);
  assert.equal(stats(lb, { ip: 0xC0A80001, port: 81 }).rsucc, 0);
});

Deno.test("load_balance - snapshot lists idle then overloaded hosts with real counts", () => {
  const [a, b, c] = makeHosts(3);
  const lb = loaded([a, b, c], RATES_OFF);
  overloadHost(lb, a, T0);
  report(lb, a, OK, T0);
  report(lb, b, OK, T0);
  report(lb, b, FAIL, T0);
  report(lb, c, FAIL, T0);
  assert.deepEqual(lb.snapshot(0xC0A80001 | 0, T0 + 0.9), {
    modid: 1,
    cmdid: 2,
    caller: 0xC0A80001,
    ts: T0,
    results: [
      { ...b, succ: 1, err: 1, overload: false },
      { ...c, succ: 0, err: 1, overload: false },
      { ...a, succ: 1, err: 0, overload: true },
    ],
  });
});

Deno.test("load_balance - report sets dirty and takeSnapshot clears it", () => {
  const [a] = makeHosts(1);
  const lb = loaded([a]);
  assert.equal(lb.dirty, false);
  report(lb, a, OK, T0);
  assert.equal(lb.dirty, true);
  lb.snapshot(1, T0);
  assert.equal(lb.dirty, true, "snapshot alone keeps the flag");
  assert.equal(lb.takeSnapshot(1, T0).results[0].succ, 1);
  assert.equal(lb.dirty, false);
  assert.equal(stats(lb, a).rsucc, 1, "taking a snapshot keeps the real counters");
});

Deno.test("load_balance - needsRefresh after update_timeout while new", () => {
  const lb = new LoadBalance(1, 2, { updateTimeout: 15 });
  assert.equal(lb.status, "pulling");
  assert.equal(lb.needsRefresh(T0), false, "a pull is in flight");
  lb.update(makeHosts(1), T0);
  assert.equal(lb.needsRefresh(T0 + 15), false, "not after exactly update_timeout");
  assert.equal(lb.needsRefresh(T0 + 15.5), true);
  lb.markPulling();
  assert.equal(lb.needsRefresh(T0 + 100), false);
});

Deno.test("load_balance - a host taken out and put back records the rule, since when, and tells the listener", () => {
  const [host] = makeHosts(1);
  const heard: string[] = [];
  const lb = new LoadBalance(
    1,
    2,
    { continErrLimit: 3, continSuccLimit: 2, errRate: 1 },
    (t) =>
      heard.push(`${t.modid}/${t.cmdid} ${t.ip}:${t.port} ${t.overload} ${t.reason.rule} ${t.at}`),
  );
  lb.update([host], T0);
  for (let i = 0; i < 3; i++) report(lb, host, FAIL, T0 + 1);
  const out = stats(lb, host);
  assert.equal(out.overload, true);
  assert.equal(out.stateSince, T0 + 1);
  assert.equal(out.reason?.rule, "contin_err");
  assert.match(out.reason!.text, /3 contiguous errors >= contin_err_limit 3/);
  report(lb, host, OK, T0 + 5);
  report(lb, host, OK, T0 + 6);
  const back = stats(lb, host);
  assert.equal(back.overload, false);
  assert.equal(back.stateSince, T0 + 6);
  assert.equal(back.reason?.rule, "contin_succ");
  assert.deepEqual(heard, [
    `1/2 ${host.ip}:${host.port} true contin_err ${T0 + 1}`,
    `1/2 ${host.ip}:${host.port} false contin_succ ${T0 + 6}`,
  ]);
  assert.equal(lb.overloadedCount, 0);
  assert.deepEqual(lb.allHostStats().map((h) => h.port), [host.port]);
});

Deno.test("load_balance - the window rule and the error-rate rule name their numbers", () => {
  const [a, b] = makeHosts(2);
  const lb = loaded([a, b], { errRate: 1, continErrLimit: 100, windowErrRate: 0.5 });
  report(lb, a, FAIL, T0 + 1);
  report(lb, a, FAIL, T0 + 20);
  assert.equal(stats(lb, a).reason?.rule, "window_err_rate");
  assert.match(stats(lb, a).reason!.text, /window error rate 1\.000 \(2 of 2 calls in 15 s\)/);
  const strict = loaded([b], { errRate: 0.001, initSuccCnt: 10 });
  report(strict, b, FAIL, T0 + 1);
  assert.equal(stats(strict, b).reason?.rule, "err_rate");
  assert.match(stats(strict, b).reason!.text, /error rate 0\.091 \(1 of 11/);
});

import assert from "node:assert/strict";
import { LoadBalance } from "../../agent/load_balance.ts";
import {
  DEFAULT_LOAD_BALANCE_OPTIONS,
  resolveLoadBalanceOptions,
} from "../../agent/load_balance_options.ts";

Deno.test("load_balance_options - defaults are the shipped lars_lb_agent.conf values", () => {
  assert.deepEqual({ ...DEFAULT_LOAD_BALANCE_OPTIONS }, {
    probeNum: 10,
    initSuccCnt: 180,
    initErrCnt: 5,
    errRate: 0.1,
    succRate: 0.5,
    continErrLimit: 15,
    continSuccLimit: 15,
    windowErrRate: 0.7,
    idleTimeout: 15,
    overloadTimeout: 15,
    updateTimeout: 15,
    maxEjectionPercent: 50,
    maxOverloadTimeout: 120,
    probeInterval: 1,
    slowStart: 10,
  });
  assert.deepEqual(new LoadBalance(1, 1).options, DEFAULT_LOAD_BALANCE_OPTIONS);
});

Deno.test("load_balance_options - options merge over defaults and are validated", () => {
  const merged = resolveLoadBalanceOptions({ probeNum: 3, errRate: undefined });
  assert.equal(merged.probeNum, 3);
  assert.equal(merged.errRate, 0.1);
  assert.throws(() => resolveLoadBalanceOptions({ probeNum: -1 }), RangeError);
  assert.throws(() => resolveLoadBalanceOptions({ initSuccCnt: 1.5 }), RangeError);
  assert.throws(() => resolveLoadBalanceOptions({ errRate: Number.NaN }), RangeError);
  assert.throws(() => new LoadBalance(1, 1, { idleTimeout: -2 }), /idleTimeout: -2/);
  assert.throws(() => resolveLoadBalanceOptions({ maxEjectionPercent: 101 }), /above 100/);
  assert.throws(() => resolveLoadBalanceOptions({ slowStart: -1 }), /slowStart/);
});

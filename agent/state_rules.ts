/**
 * The rules that move a host between the idle and overload lists (the
 * original's `report` and `check_window`; see docs/balancing-rules.md), each
 * answering the {@linkcode StateReason} that fired, with its numbers, or null.
 * Pure: the balancer ({@linkcode LoadBalance}) applies them.
 *
 * @module
 */
import type { HostStats, StateReason } from "./host_list.ts";
import type { LoadBalanceOptions } from "./load_balance_options.ts";

/** `part / total`, or 0 when `total` is 0. */
function ratio(part: number, total: number): number {
  return total === 0 ? 0 : part / total;
}

/** An idle host that just failed: `err_rate` (virtual counts) or `contin_err_limit`. */
export function takeOutRule(host: HostStats, options: LoadBalanceOptions): StateReason | null {
  const { errRate, continErrLimit, initSuccCnt } = options;
  const calls = host.vsucc + host.verr;
  const rate = ratio(host.verr, calls);
  if (rate > errRate) {
    return {
      rule: "err_rate",
      text: `error rate ${rate.toFixed(3)} (${host.verr} of ${calls}, with the initial ` +
        `${initSuccCnt} successes) > err_rate ${errRate}`,
    };
  }
  if (host.continErr >= continErrLimit) {
    return {
      rule: "contin_err",
      text: `${host.continErr} contiguous errors >= contin_err_limit ${continErrLimit}`,
    };
  }
  return null;
}

/** An overloaded host that just succeeded: `succ_rate` (virtual counts) or `contin_succ_limit`. */
export function putBackRule(host: HostStats, options: LoadBalanceOptions): StateReason | null {
  const { succRate, continSuccLimit, initErrCnt } = options;
  const calls = host.vsucc + host.verr;
  const rate = ratio(host.vsucc, calls);
  if (rate > succRate) {
    return {
      rule: "succ_rate",
      text: `success rate ${rate.toFixed(3)} (${host.vsucc} of ${calls}, with the initial ` +
        `${initErrCnt} errors) > succ_rate ${succRate}`,
    };
  }
  if (host.continSucc >= continSuccLimit) {
    return {
      rule: "contin_succ",
      text: `${host.continSucc} contiguous successes >= contin_succ_limit ${continSuccLimit}`,
    };
  }
  return null;
}

/**
 * An idle host whose window (`idle_timeout`) is over: `window_err_rate` of the
 * real calls, which needs at least one call.
 */
export function windowRule(host: HostStats, options: LoadBalanceOptions): StateReason | null {
  const { windowErrRate, idleTimeout } = options;
  const calls = host.rsucc + host.rerr;
  if (calls === 0 || host.rerr / calls < windowErrRate) return null;
  return {
    rule: "window_err_rate",
    text: `window error rate ${(host.rerr / calls).toFixed(3)} (${host.rerr} of ${calls} ` +
      `calls in ${idleTimeout} s) >= window_err_rate ${windowErrRate}`,
  };
}

/** An overloaded host whose `overload_timeout` is over. */
export function overloadTimeoutRule(options: LoadBalanceOptions): StateReason {
  return {
    rule: "overload_timeout",
    text: `overloaded for overload_timeout ${options.overloadTimeout} s`,
  };
}

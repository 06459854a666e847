/**
 * The `[loadbalance]` settings of `lars_lb_agent.conf`, their shipped defaults,
 * and the one function that merges and validates them. What each one does:
 * docs/balancing-rules.md.
 *
 * @module
 */

/**
 * Tuning of the per-module balancer: the `[loadbalance]` section of
 * `lars_lb_agent.conf` (INI key in parentheses). Times are in seconds.
 */
export interface LoadBalanceOptions {
  /**
   * (`probe_num`) Picks answered from the idle list (or refused with
   * `RET_OVERLOAD`) between two probes of an overloaded host.
   *
   * @default {10}
   */
  probeNum: number;
  /**
   * (`init_succ_cnt`) Virtual successes a host starts with when it turns idle.
   *
   * @default {180}
   */
  initSuccCnt: number;
  /**
   * (`init_err_cnt`) Virtual errors a host starts with when it turns overloaded.
   *
   * @default {5}
   */
  initErrCnt: number;
  /**
   * (`err_rate`) An idle host that fails turns overloaded when
   * `verr / (vsucc + verr)` exceeds this.
   *
   * @default {0.1}
   */
  errRate: number;
  /**
   * (`succ_rate`) An overloaded host that succeeds turns idle when
   * `vsucc / (vsucc + verr)` exceeds this.
   *
   * @default {0.5}
   */
  succRate: number;
  /**
   * (`contin_err_limit`) An idle host that fails this many times in a row turns
   * overloaded.
   *
   * @default {15}
   */
  continErrLimit: number;
  /**
   * (`contin_succ_limit`) An overloaded host that succeeds this many times in a
   * row turns idle.
   *
   * @default {15}
   */
  continSuccLimit: number;
  /**
   * (`window_err_rate`) When an idle host's window ends, it turns overloaded if
   * its real error rate `rerr / (rsucc + rerr)` is at least this.
   *
   * @default {0.7}
   */
  windowErrRate: number;
  /**
   * (`idle_timeout`) Length of an idle host's statistics window, in seconds.
   *
   * @default {15}
   */
  idleTimeout: number;
  /**
   * (`overload_timeout`) Seconds after which an overloaded host is reset to idle
   * at its next report.
   *
   * @default {15}
   */
  overloadTimeout: number;
  /**
   * (`update_timeout`) Seconds after the last route update from DNS after which
   * the next `get_host` / `get_route` pulls the route again.
   *
   * @default {15}
   */
  updateTimeout: number;
  /**
   * (`max_ejection_percent`) At most this share of a module's hosts, in
   * percent, is out of rotation; past it the least-bad overloaded hosts stay
   * in and the module is in panic. 100 restores the original (every host may
   * be out, and callers get `RET_OVERLOAD`).
   *
   * @default {50}
   */
  maxEjectionPercent: number;
  /**
   * (`max_overload_timeout`) Cap, in seconds, of a repeat offender's time out:
   * a host overloaded again within this many seconds of coming back is neither
   * probed nor returned for `overload_timeout * 2^n` seconds (n = repeats in a
   * row). A value at or below `overload_timeout` restores the original.
   *
   * @default {120}
   */
  maxOverloadTimeout: number;
  /**
   * (`probe_interval`) Seconds an overloaded host whose last call failed waits
   * before it is probed again (probes still come every `probe_num` picks).
   * 0 restores the original (probe by pick count only).
   *
   * @default {1}
   */
  probeInterval: number;
  /**
   * (`slow_start`) Seconds over which a host that comes back from overload,
   * or joins a loaded route, ramps its share from 10% to its full weight.
   * 0 restores the original (full share at once).
   *
   * @default {10}
   */
  slowStart: number;
}

/** The defaults of the shipped `lars_lb_agent.conf`. */
export const DEFAULT_LOAD_BALANCE_OPTIONS: Readonly<LoadBalanceOptions> = Object.freeze({
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

/**
 * The settings that turn every rule we added off: with them the balancer
 * behaves exactly as the original's.
 */
export const ORIGINAL_RULES: Readonly<Partial<LoadBalanceOptions>> = Object.freeze({
  maxEjectionPercent: 100,
  maxOverloadTimeout: 0,
  probeInterval: 0,
  slowStart: 0,
});

const COUNT_KEYS = [
  "probeNum",
  "initSuccCnt",
  "initErrCnt",
  "continErrLimit",
  "continSuccLimit",
] as const;

const NUMBER_KEYS = [
  "errRate",
  "succRate",
  "windowErrRate",
  "idleTimeout",
  "overloadTimeout",
  "updateTimeout",
  "maxEjectionPercent",
  "maxOverloadTimeout",
  "probeInterval",
  "slowStart",
] as const;

/**
/** Objects {@linkcode resolveLoadBalanceOptions} returned (frozen, so still valid). */
const _resolved = new WeakSet<object>();

/**
 * Merges `options` over {@linkcode DEFAULT_LOAD_BALANCE_OPTIONS} and validates
 * the result. Keys whose value is `undefined` take their default. Options it
 * returned before are returned as they are (already valid and frozen), so
 * every balancer of a table shares its table's options object.
 *
 * @throws {RangeError} when a count is not a non-negative integer or a rate or
 * time is not a finite non-negative number
 */
export function resolveLoadBalanceOptions(
  options: Partial<LoadBalanceOptions> = {},
): Readonly<LoadBalanceOptions> {
  if (_resolved.has(options)) return options as Readonly<LoadBalanceOptions>;
  const resolved: LoadBalanceOptions = { ...DEFAULT_LOAD_BALANCE_OPTIONS };
  for (const key of [...COUNT_KEYS, ...NUMBER_KEYS]) {
    const value = options[key];
    if (value !== undefined) resolved[key] = value;
  }
  for (const key of COUNT_KEYS) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Invalid load-balance option ${key}: ${value} is not a count`);
    }
  }
  for (const key of NUMBER_KEYS) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `Invalid load-balance option ${key}: ${value} is not a finite non-negative number`,
      );
    }
  }
  if (resolved.maxEjectionPercent > 100) {
    throw new RangeError(
      `Invalid load-balance option maxEjectionPercent: ${resolved.maxEjectionPercent} is above 100`,
    );
  }
  Object.freeze(resolved);
  _resolved.add(resolved);
  return resolved;
}

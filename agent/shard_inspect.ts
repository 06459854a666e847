/**
 * What a shard worker tells the admin endpoint: its modules and hosts as the
 * balancers see them, GetHost answers by result, and hosts taken out or put
 * back (counted by rule, and logged at info within a {@linkcode LogBudget}).
 *
 * @module
 */
import { RetCode } from "../proto/ids.ts";
import { intToIp } from "../proto/ip.ts";
import { LogBudget, type Logger } from "../reactor/log.ts";
import type { HostTransition, LoadBalance, StateReason } from "./load_balance.ts";
import type { RouteTable } from "./route_table.ts";
import type { InspectRequest, ModuleView, ShardInspection, ShardStats } from "./shard_protocol.ts";
import type { NetCounterName } from "../reactor/net_counters.ts";

const RESULT_NAMES: Record<number, string> = {
  [RetCode.SUCC]: "succ",
  [RetCode.OVERLOAD]: "overload",
  [RetCode.NOEXIST]: "noexist",
  [RetCode.SYSTEM_ERROR]: "system_error",
};

const RULES: readonly StateReason["rule"][] = [
  "err_rate",
  "contin_err",
  "window_err_rate",
  "succ_rate",
  "contin_succ",
  "overload_timeout",
  "fleet_overload",
];

/** Counts and logs what the admin endpoint shows about one shard. */
export class ShardWatch {
  readonly #index: number;
  readonly #budget: LogBudget;
  readonly #results: Record<string, number> = { succ: 0, overload: 0, noexist: 0 };
  readonly #transitions: Record<string, number> = Object.fromEntries(
    RULES.map((rule) => [rule, 0]),
  );

  /** A watch for shard `index`, logging host state changes to `log`. */
  constructor(index: number, log: Logger) {
    this.#index = index;
    this.#budget = new LogBudget(log, "host state changes");
  }

  /** Counts one GetHost answer. */
  countGetHost(retcode: number): void {
    const name = RESULT_NAMES[retcode] ?? "system_error";
    this.#results[name] = (this.#results[name] ?? 0) + 1;
  }

  /** Counts and logs one host taken out or put back (the balancers' listener). */
  onTransition = (t: HostTransition): void => {
    this.#transitions[t.reason.rule] = (this.#transitions[t.reason.rule] ?? 0) + 1;
    const host = `${intToIp(t.ip)}:${t.port}`;
    const panic = t.panic
      ? "; the module is in panic (max_ejection_percent): its least-bad overloaded hosts stay in"
      : "";
    this.#budget.info(
      (t.overload
        ? `host ${host} of ${t.modid}/${t.cmdid} overloaded, taken out: ${t.reason.text}`
        : `host ${host} of ${t.modid}/${t.cmdid} back in rotation: ${t.reason.text}`) + panic,
      {
        modid: t.modid,
        cmdid: t.cmdid,
        host,
        state: t.overload ? "overload" : "idle",
        rule: t.reason.rule,
        panic: t.panic,
      },
    );
  };

  /** The answer to `request`. */
  inspect(
    request: InspectRequest,
    table: RouteTable,
    stats: ShardStats,
    net: Record<NetCounterName, number>,
  ): ShardInspection {
    const hostStates = { idle: 0, overload: 0 };
    for (const lb of table.balancers()) {
      hostStates.overload += lb.overloadedCount;
      hostStates.idle += lb.size - lb.overloadedCount;
    }
    return {
      stats,
      getHostResults: { ...this.#results },
      hostStates,
      transitions: { ...this.#transitions },
      net,
      ...(request.hosts ? this.#modules(request, table) : { modules: null }),
    };
  }

  /** A host's state under our rules (weight, panic pardon, repeats, slow-start share). */
  #health(lb: LoadBalance, ip: number, port: number) {
    const health = lb.hostHealth(ip, port)!;
    const now = Date.now() / 1000;
    return {
      weight: health.weight,
      pardoned: health.pardoned,
      repeats: health.strikes,
      share: Math.round(lb.slowStartShare(ip, port, now) * 100) / 100,
    };
  }

  #modules(
    request: InspectRequest,
    table: RouteTable,
  ): { modules: ModuleView[]; moduleCount: number } {
    const out: ModuleView[] = [];
    const only = request.module;
    const limit = request.hostLimit ?? Infinity;
    const listed = [...table.balancers()]
      .filter((lb) => !only || (lb.modid === only.modid && lb.cmdid === only.cmdid))
      .sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
    let hosts = 0;
    for (const lb of listed) {
      if (out.length > 0 && hosts + lb.size > limit) break;
      hosts += lb.size;
      out.push({
        modid: lb.modid,
        cmdid: lb.cmdid,
        shard: this.#index,
        status: lb.status,
        lastUpdate: lb.lastUpdate,
        panic: lb.panic,
        hosts: lb.allHostStats().map((h) => ({
          ip: intToIp(h.ip),
          port: h.port,
          state: h.overload ? "overload" : "idle",
          window: { succ: h.rsucc, err: h.rerr },
          virtual: { succ: h.vsucc, err: h.verr },
          contiguous: { succ: h.continSucc, err: h.continErr },
          since: h.stateSince,
          windowSince: h.overload ? h.overloadTs : h.idleTs,
          reason: h.reason,
          ...this.#health(lb, h.ip, h.port),
        })),
      });
    }
    return { modules: out, moduleCount: listed.length };
  }
}

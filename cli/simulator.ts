/**
 * `lars simulator MODID CMDID [--err-rate 0..10] [--count N]`: the original's
 * simulator. Calls get_host `count` times and reports each call as failed
 * with probability errRate/10, then prints per-host success and error totals.
 *
 * @module
 */
import { LarsClient } from "./lars_client_any.ts";
import { RetCode, retCodeName } from "../proto/ids.ts";
import type { AgentTarget } from "./agent_target.ts";

/** Totals of one simulator run. */
export interface SimulatorResult {
  /** Per host `ip:port`: successes and errors reported. */
  hosts: Map<string, { succ: number; err: number }>;
  /** Answers other than RET_SUCC, by return code name. */
  misses: Map<string, number>;
}

/** Runs the simulation; `random` decides failures (for tests). */
export async function simulate(
  target: AgentTarget,
  modid: number,
  cmdid: number,
  errRate: number,
  count: number,
  random: () => number = Math.random,
): Promise<SimulatorResult> {
  const client = new LarsClient({ host: target.host, port: target.port });
  const result: SimulatorResult = { hosts: new Map(), misses: new Map() };
  try {
    for (let i = 0; i < count; i++) {
      const r = await client.getHost(modid, cmdid);
      if (r.retcode !== RetCode.SUCC) {
        const name = retCodeName(r.retcode);
        result.misses.set(name, (result.misses.get(name) ?? 0) + 1);
        continue;
      }
      const failed = random() * 10 < errRate;
      client.report(modid, cmdid, r.ip, r.port, failed ? 1 : 0);
      const key = `${r.ip}:${r.port}`;
      const totals = result.hosts.get(key) ?? { succ: 0, err: 0 };
      if (failed) totals.err++;
      else totals.succ++;
      result.hosts.set(key, totals);
    }
  } finally {
    await client.close();
  }
  return result;
}

/** Formats a result as a table. */
export function formatSimulation(result: SimulatorResult): string[] {
  const lines = ["HOST                   SUCC    ERR"];
  const sorted = [...result.hosts.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [host, t] of sorted) {
    lines.push(`${host.padEnd(21)} ${String(t.succ).padStart(5)} ${String(t.err).padStart(6)}`);
  }
  for (const [name, n] of result.misses) lines.push(`${name}: ${n}`);
  return lines;
}

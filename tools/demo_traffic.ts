/**
 * Background traffic of `deno task demo`: every second, calls each module in
 * the store (the first `maxModules`, by modid and cmdid) `callsPerModule`
 * times through the agent and reports each call, one in twenty as a failure.
 * So a host added in the web admin is soon served, and its calls show on the
 * module's status page and chart without running anything else.
 *
 * @module
 */
import { LarsClient } from "../cli/lars_client_any.ts";
import type { AgentTarget } from "../cli/agent_target.ts";
import { RetCode } from "../proto/ids.ts";
import { quietDelay } from "../reactor/timers.ts";
import { openRouteStore } from "../store/url.ts";

/** Options of {@linkcode runDemoTraffic}. */
export interface DemoTrafficOptions {
  /** The agent to call. */
  target: AgentTarget;
  /** The route store (modules to call are read from it every second). */
  storeUrl: string;
  /** Calls per module per second. */
  callsPerModule: number;
  /** Most modules called. @default 20 */
  maxModules?: number;
  /** Stops the loop. */
  signal: AbortSignal;
}

/** Runs until `signal` aborts; resolves to the number of calls that got a host. */
export async function runDemoTraffic(options: DemoTrafficOptions): Promise<number> {
  const { target, storeUrl, callsPerModule, signal } = options;
  const store = await openRouteStore(storeUrl);
  const client = new LarsClient(target);
  let served = 0;
  let n = 0;
  try {
    while (!signal.aborted) {
      const { modules } = await store.listModules({
        limit: options.maxModules ?? 20,
        offset: 0,
      });
      for (const { modid, cmdid } of modules) {
        for (let i = 0; i < callsPerModule && !signal.aborted; i++) {
          const r = await client.getHost(modid, cmdid);
          if (r.retcode !== RetCode.SUCC || r.ip === undefined || r.port === undefined) continue;
          client.report(modid, cmdid, r.ip, r.port, ++n % 20 === 0 ? 1 : 0);
          served++;
        }
      }
      await quietDelay(1000, signal);
    }
  } finally {
    await client.close();
    await store.close();
  }
  return served;
}

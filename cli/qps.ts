/**
 * `lars qps [--clients N] [--seconds S] [--modid M] [--cmdid C]`: the
 * original's agent QPS tool. Each client loops get_host + report (one request
 * in flight per client) and a line per second shows QPS, average, p50 and
 * p99 get_host latency; a summary follows.
 *
 * @module
 */
import { LarsClient } from "./lars_client_any.ts";
import { RetCode } from "../proto/ids.ts";
import type { AgentTarget } from "./agent_target.ts";

/** Options of a QPS run. */
export interface QpsOptions {
  /** Concurrent clients, each with its own socket. */
  clients: number;
  /** Duration in seconds. */
  seconds: number;
  /** Module to ask for. */
  modid: number;
  /** Command to ask for. */
  cmdid: number;
}

/** Summary of a QPS run. */
export interface QpsSummary {
  /** Loops (get_host + report) per second over the whole run. */
  qps: number;
  /** get_host latency, microseconds. */
  avgUs: number;
  /** Median get_host latency, microseconds. */
  p50Us: number;
  /** 99th percentile get_host latency, microseconds. */
  p99Us: number;
  /** get_host answers other than RET_SUCC. */
  misses: number;
}

/** Percentile of a sorted array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function summarize(latencies: number[], seconds: number, misses: number): QpsSummary {
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    qps: Math.round(latencies.length / seconds),
    avgUs: latencies.length ? Math.round((sum / latencies.length) * 1000) : 0,
    p50Us: Math.round(percentile(sorted, 0.5) * 1000),
    p99Us: Math.round(percentile(sorted, 0.99) * 1000),
    misses,
  };
}

/** Formats one line of output. */
export function formatQps(label: string, s: QpsSummary): string {
  return `${label}: ${s.qps} QPS, avg ${s.avgUs} us, p50 ${s.p50Us} us, p99 ${s.p99Us} us` +
    (s.misses ? `, ${s.misses} not RET_SUCC` : "");
}

/** Runs the load; prints a line per second; resolves to the summary. */
export async function runQps(
  target: AgentTarget,
  options: QpsOptions,
  print: (line: string) => void = console.log,
): Promise<QpsSummary> {
  const clients = Array.from(
    { length: options.clients },
    () => new LarsClient({ host: target.host, port: target.port, timeoutMs: 1000 }),
  );
  const { modid, cmdid } = options;
  // Warm up: the first get_host of a module only starts the pull from DNS.
  const init = await clients[0].regInit(modid, cmdid);
  if (init !== RetCode.SUCC) print(`warning: reg_init ${modid}/${cmdid} answered ${init}`);

  let window: number[] = [];
  const all: number[] = [];
  let misses = 0;
  let windowMisses = 0;
  let running = true;
  const loops = clients.map(async (client) => {
    while (running) {
      const start = performance.now();
      const r = await client.getHost(modid, cmdid);
      const ms = performance.now() - start;
      window.push(ms);
      if (r.retcode === RetCode.SUCC) client.report(modid, cmdid, r.ip, r.port, 0);
      else windowMisses++;
    }
  });
  for (let s = 1; s <= options.seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const done = window;
    window = [];
    for (const ms of done) all.push(ms);
    misses += windowMisses;
    print(formatQps(`second ${s}`, summarize(done, 1, windowMisses)));
    windowMisses = 0;
  }
  running = false;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.close()));
  const summary = summarize(all, options.seconds, misses);
  print(formatQps(`summary (${options.clients} clients, ${options.seconds} s)`, summary));
  return summary;
}

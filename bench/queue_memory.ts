/**
 * Memory of the report service's write queue per queued key (not a
 * `Deno.bench` file): queues `--keys` distinct status keys (50 callers × 100
 * modules × 10 hosts by default: every key of the full-rate benchmark) as the
 * TCP handler does, and prints the V8 heap and the off-heap (array buffer)
 * bytes they hold after a full collection. Needs `--v8-flags=--expose-gc`:
 *
 *     deno run --v8-flags=--expose-gc bench/queue_memory.ts --keys 50000
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createReporterCounters } from "../reporter/counters.ts";
import { toStatusRows } from "../reporter/ingest.ts";
import { statusKey, WriteQueue } from "../reporter/write_queue.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { keys: { type: "string", default: "50000" } },
});
const keys = Number(values.keys);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

function measure(): { heap: number; external: number } {
  gc!();
  gc!();
  const m = Deno.memoryUsage();
  return { heap: m.heapUsed, external: m.external };
}

const queue = new WriteQueue({ counters: createReporterCounters(), maxRows: keys });
const before = measure();
const ts = Math.floor(Date.now() / 1000);
for (let i = 0; i < keys / 10; i++) {
  const request = {
    modid: 1000 + (i % 100),
    cmdid: 1,
    caller: 0x0A000001 + Math.floor(i / 100),
    ts,
    results: Array.from({ length: 10 }, (_, h) => ({
      ip: 0xC0A80001 + h,
      port: 8000 + h,
      succ: i,
      err: i % 7,
      overload: false,
    })),
  };
  for (const row of toStatusRows(request, ts).rows) queue.putStatus(row, statusKey(row));
}
const after = measure();
const perKey = (n: number) => (n / queue.size).toFixed(0);
console.log(
  `${queue.size} keys queued: V8 heap +${((after.heap - before.heap) / 2 ** 20).toFixed(1)} MiB ` +
    `(${perKey(after.heap - before.heap)} B/key), off-heap +` +
    `${((after.external - before.external) / 2 ** 20).toFixed(1)} MiB ` +
    `(${perKey(after.external - before.external)} B/key)`,
);

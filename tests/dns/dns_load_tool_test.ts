/**
 * Sanity test of the DNS load tool (`bench/dns_load.ts`): a tiny run on
 * SQLite exits 0 and prints every summary line with a number. No timing
 * thresholds: the values depend on the machine.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("dns load tool - a tiny sqlite run exits 0 and prints its summary", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      "bench/dns_load.ts",
      "--store",
      "sqlite",
      "--modules",
      "20",
      "--hosts-per-module",
      "2",
      "--seconds",
      "1",
      "--subscribers",
      "5",
      "--changes",
      "2",
      "--pipeline",
      "4",
    ],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  const summary = stdout.slice(stdout.indexOf("\nSUMMARY dns_load"));
  assert.ok(summary.length > 0, stdout);
  const expected: RegExp[] = [
    /^\| store \| sqlite \|$/m,
    /^\| table \| 20 modules x 2 hosts = 40 \|$/m,
    /^\| seed \(bulk insert by the tool\) \| \d+ ms \|$/m,
    /^\| table load: loadRoutes \+ RouteMap, median of 3 \| \d+ ms \(loadRoutes \d+ ms/m,
    /^\| DNS start to listening .* \| \d+ ms \|$/m,
    /^\| DNS RSS, empty table \(baseline\) \| [\d.]+ MB \|$/m,
    /^\| DNS RSS, table loaded, idle \| [\d.]+ MB \|$/m,
    /^\| push latency, 5 subscribers x 2 changes \| median \d+ ms, p99 \d+ ms, min -?\d+ ms/m,
    /^\| push latency, .*, max \d+ ms \(10 pushes, 0 missing, 0 unexpected\) \|$/m,
    /^\| push: commit to first push, per change \| median \d+ ms, max \d+ ms \|$/m,
    /^\| push: fan-out to 5 .* \| median \d+ ms, max \d+ ms \|$/m,
    /^\| DNS RSS with 5 subscribers, before the changes \| [\d.]+ MB \|$/m,
    /^\| DNS RSS with 5 subscribers, after the changes \| [\d.]+ MB \|$/m,
    /^\| GetRoute QPS, 1 connection \(ping-pong\) \| [\d,]+\/s /m,
    /^\| GetRoute QPS, 50 connections \(ping-pong\) \| [\d,]+\/s /m,
    /^\| GetRoute QPS, 50 connections x 4 in flight \(pipelined\) \| [\d,]+\/s /m,
    /^\| DNS RSS after the QPS phases \| [\d.]+ MB \|$/m,
    /^\| DNS peak RSS \(VmHWM\) \| [\d.]+ MB \|$/m,
  ];
  for (const pattern of expected) assert.match(summary, pattern);
  // The QPS averages are real measurements, not zero.
  for (const m of summary.matchAll(/GetRoute QPS, [^|]+\| ([\d,]+)\/s/g)) {
    assert.ok(Number(m[1].replaceAll(",", "")) > 0, m[0]);
  }
});

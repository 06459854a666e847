import assert from "node:assert/strict";
import { HistoryTracker } from "../../reporter/history.ts";
import { DEFAULT_MAX_FUTURE_SKEW_SECONDS, toStatusRows } from "../../reporter/ingest.ts";
import { Config, ConfigError } from "../../reactor/config.ts";
import { readReporterSettings } from "../../reporter/config.ts";
import type { HostCallResult, ReportStatusRequest } from "../../proto/messages.ts";
import type { StatusRow } from "../../store/types.ts";

const NOW = 1_700_000_000;

function result(extra: Partial<HostCallResult> = {}): HostCallResult {
  return { ip: 0x0A000001, port: 9000, succ: 1, err: 0, overload: false, ...extra };
}

function request(results: HostCallResult[], extra: Partial<ReportStatusRequest> = {}) {
  return { modid: 1, cmdid: 2, caller: 0xC0A80001, ts: NOW - 5, results, ...extra };
}

Deno.test("ingest - a valid report becomes one row per result", () => {
  const { rows, invalid, clockFixes } = toStatusRows(
    request([result(), result({ ip: 0xFFFFFFFF, port: 65535, succ: 0x7FFFFFFF, overload: true })]),
    NOW,
  );
  assert.equal(invalid, 0);
  assert.equal(clockFixes, 0);
  assert.deepEqual(rows[1], {
    modid: 1,
    cmdid: 2,
    ip: 0xFFFFFFFF,
    port: 65535,
    caller: 0xC0A80001,
    succ: 0x7FFFFFFF,
    err: 0,
    ts: NOW - 5,
    overload: true,
  });
});

Deno.test("ingest - results that do not fit their columns are dropped and counted", () => {
  const bad = [
    result({ port: 0 }),
    result({ port: -1 }),
    result({ port: 65536 }),
    result({ succ: 0x80000000 }),
    result({ err: 0xFFFFFFFF }),
  ];
  const { rows, invalid } = toStatusRows(request([result(), ...bad, result({ ip: 7 })]), NOW);
  assert.equal(invalid, bad.length);
  assert.deepEqual(rows.map((r) => r.ip), [0x0A000001, 7]);
  const badCaller = toStatusRows(request([result(), result()], { caller: -1 }), NOW);
  assert.deepEqual([badCaller.rows.length, badCaller.invalid], [0, 2]);
});

Deno.test("ingest - ts 0 gets the reporter's clock; past max_future_skew rejects the report", () => {
  const zero = toStatusRows(request([result(), result()], { ts: 0 }), NOW);
  assert.deepEqual(zero.rows.map((r) => r.ts), [NOW, NOW]);
  assert.deepEqual([zero.clockFixes, zero.future], [2, false]);
  for (const ts of [NOW + DEFAULT_MAX_FUTURE_SKEW_SECONDS + 1, NOW + 3000, 0xFFFFFFFF]) {
    const r = toStatusRows(request([result(), result()], { ts }), NOW);
    assert.deepEqual([r.rows.length, r.invalid, r.clockFixes, r.future], [0, 0, 0, true]);
  }
  const ahead = toStatusRows(
    request([result()], { ts: NOW + DEFAULT_MAX_FUTURE_SKEW_SECONDS }),
    NOW,
  );
  assert.deepEqual([ahead.rows[0].ts, ahead.future], [
    NOW + DEFAULT_MAX_FUTURE_SKEW_SECONDS,
    false,
  ]);
  const strict = toStatusRows(request([result()], { ts: NOW + 60 }), NOW, 30);
  assert.equal(strict.future, true);
});

function snap(succ: number, err: number, ts: number, extra: Partial<StatusRow> = {}): StatusRow {
  return {
    modid: 1,
    cmdid: 1,
    ip: 1,
    port: 80,
    caller: 2,
    succ,
    err,
    ts,
    overload: false,
    ...extra,
  };
}

Deno.test("history - deltas of cumulative snapshots, resets and out-of-date snapshots", () => {
  const t = new HistoryTracker();
  const d = (row: StatusRow) => {
    const h = t.observe(row);
    return h === null ? null : [h.minute, h.succ, h.err];
  };
  assert.deepEqual(d(snap(10, 2, 125)), [120, 10, 2]); // first: its window so far
  assert.deepEqual(d(snap(15, 2, 130)), [120, 5, 0]);
  assert.equal(d(snap(15, 2, 131)), null); // no new calls
  assert.equal(d(snap(99, 9, 129)), null); // older than the last one seen
  assert.deepEqual(d(snap(3, 4, 185)), [180, 3, 4]); // succ went down: window reset
  assert.deepEqual(d(snap(4, 0, 190)), [180, 4, 0]); // err went down: reset
  assert.deepEqual(d(snap(1, 1, 190, { caller: 3 })), [180, 1, 1]); // another key
});

Deno.test("history - the tracker forgets the least recently reported key past maxKeys", () => {
  const t = new HistoryTracker({ maxKeys: 2 });
  t.observe(snap(10, 0, 60, { modid: 1 }));
  t.observe(snap(10, 0, 60, { modid: 2 }));
  t.observe(snap(11, 0, 61, { modid: 1 })); // modid 1 is now the most recent
  t.observe(snap(10, 0, 60, { modid: 3 })); // forgets modid 2
  assert.equal(t.size, 2);
  assert.equal(t.observe(snap(12, 0, 62, { modid: 1 }))?.succ, 1);
  assert.equal(t.observe(snap(12, 0, 62, { modid: 2 }))?.succ, 12); // counted as new
  assert.throws(() => new HistoryTracker({ maxKeys: 0 }), RangeError);
});

const parse = (text: string) => readReporterSettings(Config.parse(text, "lars_reporter.conf"));

Deno.test("config - both section spellings, defaults and our keys", () => {
  const shipped = parse("[repoter]\ndb_thread_cnt = 5\n[store]\nurl = sqlite:data/x.db\n");
  assert.deepEqual(shipped, {
    hostname: "127.0.0.1",
    port: 7779,
    maxConn: 1024,
    maxConnPerIp: 128,
    frameTimeoutMs: 10_000,
    allow: [],
    storeUrl: "sqlite:data/x.db",
    dbThreadCnt: 5,
    history: false,
    flushMs: 50,
    batchRows: 1000,
    queueMax: 100_000,
    maxFutureSkew: 300,
    callerFromPeer: false,
  });
  const ours = parse(
    "[reactor]\nip = 0.0.0.0\nport = 8000\n[mysql]\ndb_host = db\ndb_user = u\n" +
      "[reporter]\ndb_thread_cnt = 2\nhistory = true\nflush_ms = 0\nbatch_rows = 500\n" +
      "queue_max = 5000\n[repoter]\ndb_thread_cnt = 9\n",
  );
  assert.equal(ours.storeUrl, "mysql://u:@db:3306/lars_dns");
  assert.deepEqual(
    [ours.hostname, ours.port, ours.dbThreadCnt, ours.history, ours.flushMs, ours.batchRows],
    ["0.0.0.0", 8000, 2, true, 0, 500],
  );
  assert.equal(ours.queueMax, 5000);
  const hardened = parse(
    "[reactor]\nmax_conn_per_ip = 4\nframe_timeout_ms = 2500\nallow = 10.0.0.0/8 127.0.0.1\n" +
      "[reporter]\nmax_future_skew = 60\ncaller_from_peer = yes\n[store]\nurl = sqlite:x.db\n",
  );
  assert.deepEqual(
    [
      hardened.maxConnPerIp,
      hardened.frameTimeoutMs,
      hardened.maxFutureSkew,
      hardened.callerFromPeer,
    ],
    [4, 2500, 60, true],
  );
  assert.deepEqual(hardened.allow, [{ base: 0x0A000000, bits: 8 }, { base: 0x7F000001, bits: 32 }]);
});

Deno.test("config - bad values name the file, section and key", () => {
  const store = "[store]\nurl = sqlite::memory:\n";
  assert.throws(
    () => parse(`${store}[repoter]\ndb_thread_cnt = 0\n`),
    (e: Error) => e instanceof ConfigError && e.message.includes("[repoter] db_thread_cnt"),
  );
  assert.throws(
    () => parse(`${store}[reporter]\nhistory = maybe\n`),
    (e: Error) => e instanceof ConfigError && e.message.includes("[reporter] history"),
  );
  assert.throws(() => parse(`${store}[reporter]\nqueue_max = 10\n`), ConfigError);
  for (
    const [line, key] of [
      ["[reactor]\nallow = 10.0.0.0/33", "[reactor] allow"],
      ["[reactor]\nallow = 10.0.0.0/8, example.com", "[reactor] allow"],
      ["[reactor]\nmax_conn_per_ip = -1", "[reactor] max_conn_per_ip"],
      ["[reactor]\nframe_timeout_ms = soon", "[reactor] frame_timeout_ms"],
      ["[reporter]\nmax_future_skew = -5", "[reporter] max_future_skew"],
      ["[reporter]\ncaller_from_peer = maybe", "[reporter] caller_from_peer"],
    ]
  ) {
    assert.throws(
      () => parse(`${store}${line}\n`),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(`lars_reporter.conf: ${key}:`),
      line,
    );
  }
});

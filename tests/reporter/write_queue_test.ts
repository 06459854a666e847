import assert from "node:assert/strict";
import { createReporterCounters } from "../../reporter/counters.ts";
import { statusKey, statusKeyHash, WriteQueue } from "../../reporter/write_queue.ts";
import type { HistoryRow, StatusRow } from "../../store/types.ts";

function row(modid: number, succ: number, ts: number, extra: Partial<StatusRow> = {}): StatusRow {
  return {
    modid,
    cmdid: 1,
    ip: 0x0A000001,
    port: 9000,
    caller: 0x7F000001,
    succ,
    err: 0,
    ts,
    overload: false,
    ...extra,
  };
}

function hist(modid: number, minute: number, succ: number, err: number): HistoryRow {
  return { modid, cmdid: 1, ip: 0x0A000001, port: 9000, caller: 0x7F000001, minute, succ, err };
}

function queue(options: { maxRows?: number; maxHistoryRows?: number; now?: () => number } = {}) {
  const counters = createReporterCounters();
  return { counters, queue: new WriteQueue({ counters, ...options }) };
}

Deno.test("write queue - newest snapshot per key wins, older ts is ignored", () => {
  const { counters, queue: q } = queue();
  q.putStatus(row(1, 1, 100));
  q.putStatus(row(2, 1, 100));
  q.putStatus(row(1, 2, 101));
  q.putStatus(row(1, 3, 101)); // equal ts: the later one wins
  q.putStatus(row(1, 9, 99)); // older than the queued one
  assert.equal(q.size, 2);
  assert.equal(counters.get("coalesced"), 3);
  const taken = q.takeStatus(10);
  assert.deepEqual(taken.map((e) => [e.row.modid, e.row.succ, e.row.ts]), [[1, 3, 101], [
    2,
    1,
    100,
  ]]);
  assert.equal(q.isEmpty, true);
});

Deno.test("write queue - keys leave in first-queued order, a hot key keeps its place", () => {
  const { queue: q } = queue();
  for (let m = 1; m <= 5; m++) q.putStatus(row(m, 0, 100));
  for (let i = 1; i <= 10; i++) q.putStatus(row(1, i, 100 + i));
  assert.deepEqual(q.takeStatus(2).map((e) => [e.row.modid, e.row.succ]), [[1, 10], [2, 0]]);
  assert.deepEqual(q.takeStatus(10).map((e) => e.row.modid), [3, 4, 5]);
});

Deno.test("write queue - full queue drops the key queued longest ago and counts it", () => {
  const { counters, queue: q } = queue({ maxRows: 3 });
  for (let m = 1; m <= 5; m++) q.putStatus(row(m, m, 100));
  q.putStatus(row(5, 50, 101)); // an update of a queued key drops nothing
  assert.equal(counters.get("dropped"), 2);
  assert.deepEqual(q.takeStatus(10).map((e) => [e.row.modid, e.row.succ]), [[3, 3], [4, 4], [
    5,
    50,
  ]]);
});

Deno.test("write queue - requeue goes first and keeps newer snapshots queued meanwhile", () => {
  let now = 1000;
  const { queue: q } = queue({ now: () => now });
  q.putStatus(row(1, 1, 100));
  q.putStatus(row(2, 1, 100));
  const failed = q.takeStatus(10);
  now = 2000;
  q.putStatus(row(3, 1, 100));
  q.putStatus(row(2, 7, 105)); // newer than the failed one
  q.requeueStatus(failed);
  const again = q.takeStatus(10);
  assert.deepEqual(again.map((e) => [e.row.modid, e.row.succ]), [[1, 1], [2, 7], [3, 1]]);
  assert.deepEqual(again.map((e) => e.queuedAt), [1000, 1000, 2000]);
});

Deno.test("write queue - requeue past the bound drops the oldest", () => {
  const { counters, queue: q } = queue({ maxRows: 2 });
  q.putStatus(row(1, 1, 100));
  q.putStatus(row(2, 1, 100));
  const failed = q.takeStatus(10);
  q.putStatus(row(3, 1, 100));
  q.requeueStatus(failed);
  assert.equal(counters.get("dropped"), 1);
  assert.deepEqual(q.takeStatus(10).map((e) => e.row.modid), [2, 3]);
});

Deno.test("write queue - history sums add per key and minute, also when requeued", () => {
  const { counters, queue: q } = queue({ maxHistoryRows: 2 });
  q.addHistory(hist(1, 60, 2, 1));
  q.addHistory(hist(1, 60, 3, 0));
  q.addHistory(hist(1, 120, 1, 1));
  const failed = q.takeHistory(10);
  assert.deepEqual(failed.map((h) => [h.row.minute, h.row.succ, h.row.err]), [[60, 5, 1], [
    120,
    1,
    1,
  ]]);
  q.addHistory(hist(1, 120, 4, 0)); // arrives while the failed write is out
  q.addHistory(hist(1, 180, 1, 0));
  q.requeueHistory(failed);
  assert.equal(counters.get("historyDropped"), 1); // 3 sums, bound 2: the oldest goes
  assert.deepEqual(q.takeHistory(10).map((h) => [h.row.minute, h.row.succ, h.row.err]), [
    [120, 5, 1],
    [180, 1, 0],
  ]);
});

Deno.test("write queue - sequence numbers tell what was queued before a point", () => {
  const { queue: q } = queue();
  assert.equal(q.oldestSeq(), Infinity);
  q.putStatus(row(1, 1, 100)); // seq 1
  q.putStatus(row(1, 2, 101)); // same key: no new number
  q.addHistory(hist(1, 60, 1, 0)); // seq 2
  q.putStatus(row(2, 1, 100)); // seq 3
  assert.equal(q.lastSeq, 3);
  assert.equal(q.oldestSeq(), 1);
  const taken = q.takeStatus(1);
  assert.equal(q.oldestSeq(), 2);
  const history = q.takeHistory(10);
  assert.equal(q.oldestSeq(), 3);
  q.requeueStatus(taken);
  q.requeueHistory(history);
  assert.equal(q.oldestSeq(), 1);
  q.takeStatus(10);
  q.takeHistory(10);
  assert.equal(q.oldestSeq(), Infinity);
  q.putStatus(row(9, 1, 100));
  assert.equal(q.oldestSeq(), 4);
});

Deno.test("write queue - onRows wakes once when enough rows are queued", () => {
  const { queue: q } = queue();
  let woken = 0;
  q.onRows(3, () => woken++);
  q.putStatus(row(1, 1, 100));
  q.putStatus(row(1, 2, 101)); // same key: still one row
  q.putStatus(row(2, 1, 100));
  assert.equal(woken, 0);
  q.putStatus(row(3, 1, 100));
  q.putStatus(row(4, 1, 100));
  assert.equal(woken, 1);
  q.onRows(1, () => woken++); // already satisfied: at once
  assert.equal(woken, 2);
  q.takeStatus(10);
  q.onRows(1, () => woken++);
  q.cancelWait();
  q.putStatus(row(5, 1, 100));
  assert.equal(woken, 2);
});

Deno.test("write queue - oldestAgeMs is the age of the key queued longest ago", () => {
  let now = 10_000;
  const { queue: q } = queue({ now: () => now });
  assert.equal(q.oldestAgeMs(), 0);
  q.putStatus(row(1, 1, 100));
  now += 300;
  q.putStatus(row(2, 1, 100));
  now += 200;
  assert.equal(q.oldestAgeMs(), 500);
});

Deno.test("write queue - bad bounds are rejected", () => {
  assert.throws(() => queue({ maxRows: 0 }), RangeError);
  assert.throws(() => queue({ maxHistoryRows: 1.5 }), RangeError);
});

Deno.test("write queue - statusKeyHash spreads keys and is stable per key", () => {
  const counts = [0, 0, 0];
  const seen = new Map<string, number>();
  for (let m = 0; m < 3000; m++) {
    const r = row(m, 0, 0, { port: 1000 + (m % 7) });
    const shard = statusKeyHash(r) % 3;
    counts[shard]++;
    seen.set(statusKey(r), shard);
  }
  for (const c of counts) assert.ok(c > 800, `uneven shards ${counts}`);
  for (let m = 0; m < 3000; m++) {
    const r = row(m, 5, 9, { port: 1000 + (m % 7) });
    assert.equal(statusKeyHash(r) % 3, seen.get(statusKey(r)));
  }
});

Deno.test("write queue - thousands of keys keep their rows through growth, takes and requeues", () => {
  const { counters, queue: q } = queue({ maxRows: 5000 });
  const keys = 4000; // past the packed storage's first size (1,024 slots)
  for (let m = 1; m <= keys; m++) q.putStatus(row(m, m, 100, { ip: 0xC0A80000 + m }));
  for (let m = 1; m <= keys; m += 2) q.putStatus(row(m, m * 10, 101, { ip: 0xC0A80000 + m }));
  const first = q.takeStatus(1500);
  for (let m = keys + 1; m <= keys + 500; m++) q.putStatus(row(m, m, 102, { ip: 0xC0A80000 + m }));
  q.requeueStatus(first);
  const all = q.takeStatus(10_000);
  assert.equal(all.length, keys + 500);
  assert.equal(q.isEmpty, true);
  assert.equal(counters.get("dropped"), 0);
  all.forEach((entry, i) => {
    const m = i + 1;
    const odd = m % 2 === 1 && m <= keys;
    assert.deepEqual(
      entry.row,
      row(m, odd ? m * 10 : m, odd ? 101 : m > keys ? 102 : 100, {
        ip: 0xC0A80000 + m,
      }),
    );
    assert.equal(entry.key, statusKey(entry.row));
  });
  q.putStatus(row(1, 1, 200)); // the emptied queue starts over
  assert.deepEqual(q.takeStatus(10).map((e) => e.row.ts), [200]);
});

import assert from "node:assert/strict";
import { ChangeTracker } from "../../dns/change_tracker.ts";

/** A fake clock: `now` ms, moved by hand. */
function fakeClock() {
  const clock = { now: 0, read: () => clock.now };
  return clock;
}

const change = (id: number, version: number, modid = id) => ({ id, modid, cmdid: 1, version });

Deno.test("change tracker - reads after a version change, acts on each row once", () => {
  const clock = fakeClock();
  const t = new ChangeTracker({ overlap: 5, settleMs: 1000, clock: clock.read });
  t.begin(100, [change(1, 100)]);
  assert.equal(t.shouldRead(100), false);
  assert.equal(t.since(), 95);
  assert.equal(t.shouldRead(101), true);
  const first = t.accept(101, [change(1, 100), change(2, 101)]);
  assert.deepEqual(first, { fresh: [change(2, 101)], gap: false });
  assert.equal(t.watermark, 101);
  // The same rows again (overlap window): nothing fresh.
  clock.now = 500;
  assert.equal(t.shouldRead(101), true, "still settling");
  assert.deepEqual(t.accept(101, [change(1, 100), change(2, 101)]), { fresh: [], gap: false });
  clock.now = 1001;
  assert.equal(t.shouldRead(101), false, "settled");
});

Deno.test("change tracker - equal versions and late commits are not lost", () => {
  const clock = fakeClock();
  const t = new ChangeTracker({ overlap: 5, settleMs: 2000, clock: clock.read });
  t.begin(100, []);
  // The original's writers: version = now in seconds. Row 3 (version 104) is
  // read first; row 2 (version 103, a transaction that began earlier) commits
  // later, and a third change in the same second leaves RouteVersion at 104.
  assert.deepEqual(t.accept(104, [change(3, 104)]).fresh, [change(3, 104)]);
  clock.now = 300;
  assert.ok(t.shouldRead(104), "keeps reading while settling");
  assert.ok(t.since() <= 103);
  const late = t.accept(104, [change(2, 103), change(3, 104), change(4, 104)]);
  assert.deepEqual(late, { fresh: [change(2, 103), change(4, 104)], gap: false });
});

Deno.test("change tracker - a version no row explains is a gap", () => {
  const clock = fakeClock();
  const t = new ChangeTracker({ overlap: 5, clock: clock.read });
  t.begin(100, []);
  // Rows deleted (retention) before this instance read them.
  assert.deepEqual(t.accept(130, []), { fresh: [], gap: true });
  t.begin(130, []);
  assert.equal(t.shouldRead(130), true, "still settling after the version change");
  clock.now = 10_000;
  assert.equal(t.shouldRead(130), false);
  // Some rows read, but the version is newer than all of them: still a gap.
  assert.equal(t.accept(140, [change(9, 131)]).gap, true);
  // The version went back (a restored database) with no row at it: a gap.
  assert.equal(t.accept(120, []).gap, true);
});

Deno.test("change tracker - remembers only rows within the overlap", () => {
  const t = new ChangeTracker({ overlap: 10, clock: () => 0 });
  t.begin(0, []);
  for (let v = 1; v <= 1000; v++) t.accept(v, [change(v, v)]);
  assert.equal(t.watermark, 1000);
  assert.ok(t.remembered <= 11, `${t.remembered} rows remembered`);
  assert.equal(t.since(), 990);
});

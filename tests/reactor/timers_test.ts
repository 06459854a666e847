import assert from "node:assert/strict";
import { Backoff, delay, every } from "../../reactor/timers.ts";
import { withSeed } from "../support/random.ts";

/** A `random` that returns `values` in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

Deno.test("timers - Backoff without jitter doubles up to maxMs and resets", () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: false });
  const delays = Array.from({ length: 7 }, () => backoff.next());
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
  assert.equal(backoff.attempt, 7);
  backoff.reset();
  assert.equal(backoff.attempt, 0);
  assert.equal(backoff.next(), 100);
});

Deno.test("timers - Backoff with full jitter stays in [0, cap) for each attempt", () => {
  const caps = [100, 200, 400, 800, 1_000, 1_000];
  const top = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999999 });
  const bottom = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
  const half = new Backoff({ initialMs: 100, maxMs: 1_000, random: sequence(0.5) });
  for (const cap of caps) {
    const hi = top.next();
    assert.ok(hi < cap && hi > cap * 0.999, `attempt with cap ${cap} gave ${hi}`);
    assert.equal(bottom.next(), 0);
    assert.equal(half.next(), cap / 2);
  }
  // Many attempts: no overflow past maxMs, no NaN.
  withSeed((random) => {
    const long = new Backoff({ initialMs: 1, maxMs: 10_000, factor: 3, random });
    for (let i = 0; i < 5_000; i++) {
      const d = long.next();
      assert.ok(d >= 0 && d < 10_000, `attempt ${i} gave ${d}`);
    }
  });
});

Deno.test("timers - Backoff defaults and option checks", () => {
  const backoff = new Backoff({ jitter: false });
  assert.deepEqual([backoff.next(), backoff.next()], [100, 200]);
  for (let i = 0; i < 20; i++) backoff.next();
  assert.equal(backoff.next(), 10_000);
  assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ initialMs: 100, maxMs: 50 }), RangeError);
  assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
  assert.throws(() => new Backoff({ random: () => 1 }).next(), /random\(\) must return \[0, 1\)/);
});

/**
 * A sleep for `every()` that the test ends by hand: each call is queued with
 * its `ms` until {@linkcode ManualSleep.wake}; an abort ends it at once.
 */
class ManualSleep {
  readonly asked: number[] = [];
  #pending: (() => void)[] = [];
  #waiters: (() => void)[] = [];

  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      this.asked.push(ms);
      this.#pending.push(resolve);
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
      for (const wake of this.#waiters.splice(0)) wake();
    });

  /** Resolves once the loop is sleeping (has asked for its `n`-th sleep). */
  async sleeping(n: number): Promise<void> {
    while (this.asked.length < n) await new Promise<void>((r) => this.#waiters.push(r));
  }

  /** Ends the oldest pending sleep. */
  wake(): void {
    this.#pending.shift()!();
  }
}

Deno.test("timers - every() never overlaps an async task with itself", async () => {
  const controller = new AbortController();
  const clock = new ManualSleep();
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  let started!: () => void;
  let runStarted = new Promise<void>((r) => (started = r));
  const stopped = every(1, async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    runs++;
    started();
    await new Promise<void>((r) => (release = r)); // still running when the period is over
    running--;
  }, { signal: controller.signal, immediate: true, sleep: clock.sleep });
  await runStarted;
  // The run has not finished: the loop has not asked for its sleep, so no second run can start.
  assert.deepEqual(clock.asked, []);
  runStarted = new Promise<void>((r) => (started = r));
  release();
  await clock.sleeping(1);
  clock.wake();
  await runStarted;
  assert.equal(runs, 2);
  controller.abort();
  release();
  await stopped;
  assert.equal(maxRunning, 1);
  assert.equal(running, 0); // the run in progress finished before `stopped` resolved
  assert.deepEqual(clock.asked, [1, 1]);
});

Deno.test("timers - every() stops on abort and waits ms before the first run", async () => {
  const controller = new AbortController();
  const clock = new ManualSleep();
  let runs = 0;
  const stopped = every(20, () => {
    runs++;
  }, { signal: controller.signal, sleep: clock.sleep });
  await clock.sleeping(1);
  assert.deepEqual([clock.asked, runs], [[20], 0], "ran before its first sleep");
  clock.wake();
  await clock.sleeping(2);
  assert.equal(runs, 1);
  clock.wake();
  await clock.sleeping(3);
  assert.equal(runs, 2);
  controller.abort(); // ends the third sleep
  await stopped;
  assert.equal(runs, 2, "ran after abort");
  assert.deepEqual(clock.asked, [20, 20, 20]);

  let called = false;
  const aborted = AbortSignal.abort();
  await every(0, () => {
    called = true;
  }, { signal: aborted, immediate: true });
  assert.equal(called, false);
});

Deno.test("timers - every() sleeps with real timers by default", async () => {
  const controller = new AbortController();
  let runs = 0;
  await every(1, () => {
    if (++runs === 3) controller.abort();
  }, { signal: controller.signal });
  assert.equal(runs, 3);
});

Deno.test("timers - every() reports errors and keeps running", async () => {
  const controller = new AbortController();
  const errors: unknown[] = [];
  let runs = 0;
  const stopped = every(2, async () => {
    runs++;
    if (runs === 1) throw new Error("sync-style failure");
    if (runs === 2) await Promise.reject(new Error("async failure"));
    if (runs === 4) controller.abort();
  }, { signal: controller.signal, onError: (err) => errors.push(err), immediate: true });
  await stopped;
  assert.equal(runs, 4);
  assert.deepEqual(errors.map((e) => (e as Error).message), [
    "sync-style failure",
    "async failure",
  ]);
  assert.throws(() => every(-1, () => {}, { signal: controller.signal }), RangeError);
});

Deno.test("timers - delay() resolves after ms and rejects on abort", async () => {
  const start = performance.now();
  await delay(25);
  assert.ok(performance.now() - start >= 24);

  const controller = new AbortController();
  const pending = delay(10_000, controller.signal);
  controller.abort(new Error("stop now"));
  await assert.rejects(pending, /stop now/);

  const reason = new DOMException("already", "AbortError");
  await assert.rejects(delay(10, AbortSignal.abort(reason)), (err) => err === reason);
  // The aborted 10 s timer was cleared: the op sanitizer fails this test otherwise.
});

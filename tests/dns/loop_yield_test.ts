import assert from "node:assert/strict";
import { LoopYielder } from "../../dns/loop_yield.ts";

Deno.test("loop yield - timers and I/O run between slices; close releases the channel", async () => {
  const yielder = new LoopYielder();
  let timerRan = false;
  setTimeout(() => timerRan = true, 0);
  const started = performance.now();
  try {
    while (!timerRan) {
      assert.ok(performance.now() - started < 5000, "the timer never got a turn");
      await yielder.yield();
    }
  } finally {
    yielder.close();
  }
  yielder.close(); // idempotent
  // Usable again after close (a new channel), and closed again by the test.
  await yielder.yield();
  yielder.close();
});

import assert from "node:assert/strict";
import { loopStarved, loopTurn, TURN_BUDGET_MS } from "../../reactor/loop_fairness.ts";

Deno.test("loop fairness - a reader that never yields is told to wait for the loop's turn", async () => {
  // Let any turn pending from an earlier test pass.
  await loopTurn();
  assert.equal(loopStarved(), false, "a fresh turn is not starved");
  // Busy for longer than the budget without giving the loop a turn.
  const start = performance.now();
  while (performance.now() - start <= TURN_BUDGET_MS) {
    // spin
  }
  assert.equal(loopStarved(), true);
  let timerRan = false;
  setTimeout(() => (timerRan = true), 0);
  await loopTurn();
  assert.equal(loopStarved(), false, "the turn came, a new one starts");
  await loopTurn();
  // Timers queued behind the pending one got their turn too.
  assert.equal(timerRan, true);
});

/**
 * Fairness between busy connections and everything else in the process.
 * While data keeps arriving, a read can complete at once, again and again,
 * without the event loop getting a turn: a flood on the connections starves
 * timers and other sockets (mysql2's among them; a DB round trip then takes
 * seconds). While reading, one 0 ms timer is kept pending; if it has not fired
 * within {@linkcode TURN_BUDGET_MS}, the loop is starved, and every reader
 * waits for that timer before handling more data. When the loop is not
 * starved the timer fires on its own and nobody waits.
 *
 * The state is process-wide on purpose: the loop is shared by every
 * connection. Readers call, before handling each read:
 *
 * ```ts ignore
 * while (loopStarved()) await loopTurn();
 * ```
 *
 * @module
 */

/** How long the pending 0 ms timer may wait before the loop counts as starved, in ms. */
export const TURN_BUDGET_MS = 10;

let _turn: Promise<void> | null = null;
let _turnSince = 0;

/**
 * True when the event loop has not had a turn for {@linkcode TURN_BUDGET_MS}
 * while readers kept going. Keeps one 0 ms timer pending to find out.
 */
export function loopStarved(): boolean {
  if (_turn === null) {
    _turnSince = performance.now();
    _turn = new Promise((resolve) =>
      setTimeout(() => {
        _turn = null;
        resolve();
      }, 0)
    );
    return false;
  }
  return performance.now() - _turnSince > TURN_BUDGET_MS;
}

/** Resolves at the event loop's next turn: when the pending timer has fired. */
export function loopTurn(): Promise<void> {
  return _turn ?? Promise.resolve();
}

/**
 * Lets a long piece of work in the DNS service (unpacking and building a table
 * of 100,000 hosts) give the event loop a turn between slices, so requests
 * that arrived meanwhile are answered. A timer
 * (`setTimeout(0)`) costs 1-4 ms per turn; a message through a
 * `MessageChannel` costs tens of microseconds, and I/O is polled in between
 * just the same.
 *
 * @module
 */

/**
 * Yields to the event loop through a private `MessageChannel`, opened on the
 * first {@linkcode LoopYielder.yield} and released by
 * {@linkcode LoopYielder.close} (an open port keeps the process alive).
 *
 * @example
 * ```ts
 * import { LoopYielder } from "./loop_yield.ts";
 * const yielder = new LoopYielder();
 * try {
 *   for (let slice = 0; slice < 3; slice++) {
 *     // ... a slice of work ...
 *     await yielder.yield();
 *   }
 * } finally {
 *   yielder.close();
 * }
 * ```
 */
export class LoopYielder {
  #channel: MessageChannel | null = null;
  #waiting: (() => void)[] = [];

  /** Resolves on a later turn of the event loop. */
  yield(): Promise<void> {
    if (!this.#channel) {
      this.#channel = new MessageChannel();
      this.#channel.port1.onmessage = () => this.#waiting.shift()?.();
    }
    const channel = this.#channel;
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      channel.port2.postMessage(null);
    });
  }

  /** Closes the channel; pending yields resolve at once. */
  close(): void {
    if (!this.#channel) return;
    this.#channel.port1.close();
    this.#channel.port2.close();
    this.#channel = null;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

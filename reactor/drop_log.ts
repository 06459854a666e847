/**
 * Log of dropped input per peer, bounded whatever peers send: the first drop
 * from a peer is logged at once, with its detail; later ones are summed up in
 * one line per peer per interval (`dropped N frames with unknown msgids from
 * PEER`). At most `maxPeers` peers are tracked; drops from further peers go
 * into one line for all of them.
 *
 * @module
 */
import type { Logger } from "./log.ts";
import { unrefTimer } from "./timers.ts";

/** Options of a {@linkcode DropLog}. */
export interface DropLogOptions {
  /** Where lines go (as warnings). */
  log: Logger;
  /** What is dropped, as a plural noun phrase: `frames with unknown msgids`. */
  what: string;
  /**
   * Length of a summing interval in ms.
   * @default 10000
   */
  intervalMs?: number;
  /**
   * Most peers tracked at once; memory is bounded by this, not by input.
   * @default 64
   */
  maxPeers?: number;
}

/**
 * Counts drops per peer and logs them in bounded volume: per interval, at most
 * `maxPeers` first lines, `maxPeers` summary lines and one line for the rest.
 *
 * @example
 * ```ts
 * import { DropLog } from "./drop_log.ts";
 * import { createLogger } from "./log.ts";
 * const drops = new DropLog({ log: createLogger("demo"), what: "frames with unknown msgids" });
 * drops.add("10.0.0.1:4000", "msgid 99"); // logged now
 * drops.add("10.0.0.1:4000", "msgid 98"); // summed up at the end of the interval
 * drops.flush(); // "dropped 1 frames with unknown msgids from 10.0.0.1:4000"
 * ```
 */
export class DropLog {
  readonly #log: Logger;
  readonly #what: string;
  readonly #intervalMs: number;
  readonly #maxPeers: number;
  /** Drops since the last line, per tracked peer. */
  readonly #pending = new Map<string, number>();
  #otherDrops = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Creates the log; nothing runs until the first drop. */
  constructor(options: DropLogOptions) {
    this.#log = options.log;
    this.#what = options.what;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#maxPeers = options.maxPeers ?? 64;
  }

  /** Peers tracked now (at most `maxPeers`). */
  get trackedPeers(): number {
    return this.#pending.size;
  }

  /** Records one drop from `peer`; `detail` is logged only for a peer's first drop. */
  add(peer: string, detail: string): void {
    const pending = this.#pending.get(peer);
    if (pending !== undefined) {
      this.#pending.set(peer, pending + 1);
    } else if (this.#pending.size < this.#maxPeers) {
      this.#pending.set(peer, 0);
      this.#log.warn(
        `dropping ${this.#what} from ${peer}: ${detail} ` +
          `(more are summed up every ${this.#intervalMs / 1000} s)`,
      );
    } else {
      this.#otherDrops++;
    }
    this.#arm();
  }

  /**
   * Writes the summary lines now and starts a new interval. A peer with no
   * drops in the interval is forgotten, so its next drop is logged at once.
   */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const [peer, count] of this.#pending) {
      if (count === 0) {
        this.#pending.delete(peer);
        continue;
      }
      this.#log.warn(`dropped ${count} ${this.#what} from ${peer}`);
      this.#pending.set(peer, 0);
    }
    if (this.#otherDrops > 0) {
      this.#log.warn(
        `dropped ${this.#otherDrops} ${this.#what} from peers past the ${this.#maxPeers} tracked`,
      );
      this.#otherDrops = 0;
    }
    if (this.#pending.size > 0) this.#arm();
  }

  /** Writes what is pending and stops the timer. */
  close(): void {
    this.flush();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending.clear();
  }

  #arm(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, this.#intervalMs);
    unrefTimer(this.#timer);
  }
}

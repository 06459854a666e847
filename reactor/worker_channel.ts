/**
 * Lars's `thread_queue` rebuilt for Web Workers: a typed, batched, ordered message channel
 * between the main isolate and a Worker, usable from either end.
 *
 * `send()` appends to an outgoing batch that is posted as one `postMessage` (an array) at the end
 * of the current event-loop turn (see {@linkcode FlushOn}), or at once when it reaches
 * `maxBatch` messages. The other end unpacks batches and calls its handlers once per message,
 * in send order. A postMessage hop costs microseconds plus a structured clone, so one per batch
 * instead of one per message is what makes a worker queue cheap
 * (see `bench/worker_channel_bench.ts`).
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";

/**
 * The part of `Worker`, a worker's global scope (`self`) and `MessagePort` that a channel uses.
 */
export interface MessageEndpoint {
  /** Posts one structured-cloneable value to the other end. */
  postMessage(data: unknown, transfer: Transferable[]): void;
  /** Subscribes to `message` (and `messageerror`) events. */
  addEventListener(type: "message" | "messageerror", listener: (ev: MessageEvent) => void): void;
  /** Unsubscribes a listener added with `addEventListener`. */
  removeEventListener(
    type: "message" | "messageerror",
    listener: (ev: MessageEvent) => void,
  ): void;
  /** Starts delivery on a `MessagePort`; absent on `Worker` and worker scopes. */
  start?: () => void;
}

/**
 * When a channel posts a partial batch:
 * - `"microtask"`: `queueMicrotask`, once the current task's synchronous code is done;
 * - `"immediate"`: `setImmediate` (`node:timers`), once the event loop has run the tasks that
 *   are already queued, e.g. every packet or message event that arrived together;
 * - `"timer"`: a 0 ms `setTimeout`, which Deno delays by milliseconds.
 *
 * Measured with `bench/worker_channel_bench.ts` (Deno 2.9.6, 2 vCPU, averages, noisy host):
 * - a burst of 1,000 sends from one task makes the same batches in every mode; round trip
 *   1.3 ms (microtask), 0.9-1.5 ms (immediate), 5.2 ms (timer), 10-25 ms unbatched;
 * - one lone message: ~26 µs (microtask), ~29 µs (immediate), ~4.8 ms (timer, clamped);
 * - 1,000 sends each from its own task (one event each, like one packet per event):
 *   microtask posts one batch per send (19.7 ms, slower than unbatched at 15.9 ms), timer
 *   7.0 ms, immediate 2.6 ms; for 5,000 such sends, 39 posts (timer ~15, microtask 5,000).
 *
 * So `"immediate"` is the default: it batches per event-loop turn, as Lars's design asks (one
 * message per tick, not per packet), at the latency of a microtask.
 */
export type FlushOn = "microtask" | "immediate" | "timer";

/** Options for {@linkcode WorkerChannel}. */
export interface WorkerChannelOptions {
  /** Posts the outgoing batch at once when it holds this many messages. @default 512 */
  maxBatch?: number;
  /**
   * When a partial batch is posted; see {@linkcode FlushOn}.
   * @default "immediate"
   */
  flushOn?: FlushOn;
  /**
   * Called when a message handler throws (delivery of the rest of the batch goes on) or when
   * a batch cannot be read.
   * @default `reportError`, which raises it like an uncaught error: inside a worker that fires
   * the `error` event of the `Worker` on the main side
   */
  onError?: (error: unknown) => void;
}

/** Counters of a {@linkcode WorkerChannel}, all since it was created. */
export interface WorkerChannelStats {
  /** Messages passed to `send()`. */
  sent: number;
  /** `postMessage` calls, one per batch. */
  batches: number;
  /** Messages received and handed to handlers (or buffered before the first handler). */
  received: number;
  /** Batches received. */
  receivedBatches: number;
}

/** A message handler of a {@linkcode WorkerChannel}. */
export type ChannelHandler<In> = (message: In) => void;

/**
 * One end of a batched, ordered channel: sends `Out` messages and receives `In` messages.
 *
 * Messages that arrive before the first `onMessage()` handler are kept and delivered to it.
 *
 * @example On the main side and inside the worker
 * ```ts ignore
 * const worker = new Worker(new URL("./echo.ts", import.meta.url), { type: "module" });
 * const ch = new WorkerChannel<Request, Reply>(worker);
 * ch.onMessage((reply) => console.log(reply));
 * ch.send({ id: 1 });
 *
 * // echo.ts
 * const back = new WorkerChannel<Reply, Request>(workerScope());
 * back.onMessage((req) => back.send({ id: req.id }));
 * ```
 */
export class WorkerChannel<Out, In> {
  readonly #endpoint: MessageEndpoint;
  readonly #maxBatch: number;
  readonly #flushOn: FlushOn;
  readonly #onError: (error: unknown) => void;
  readonly #handlers: ChannelHandler<In>[] = [];
  #outgoing: Out[] = [];
  #scheduled = false;
  #cancelFlush: (() => void) | undefined;
  #pending: In[] = [];
  #closed = false;
  #sent = 0;
  #batches = 0;
  #received = 0;
  #receivedBatches = 0;

  /**
   * Opens a channel over `endpoint`: a `Worker` on the main side, {@linkcode workerScope} inside
   * a worker, or a `MessagePort` (started here).
   */
  constructor(endpoint: MessageEndpoint, options: WorkerChannelOptions = {}) {
    const maxBatch = options.maxBatch ?? 512;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(
        `Cannot open channel: maxBatch must be an integer >= 1, got ${maxBatch}`,
      );
    }
    this.#endpoint = endpoint;
    this.#maxBatch = maxBatch;
    this.#flushOn = options.flushOn ?? "immediate";
    this.#onError = options.onError ?? ((error) => reportError(error));
    endpoint.addEventListener("message", this.#onBatch);
    endpoint.addEventListener("messageerror", this.#onMessageError);
    endpoint.start?.();
  }

  /**
   * Queues `message` for the other end; it is posted with the rest of the current batch.
   * @throws {Error} if the channel is closed
   */
  send(message: Out): void {
    if (this.#closed) throw new Error("Cannot send: channel is closed");
    this.#outgoing.push(message);
    this.#sent++;
    if (this.#outgoing.length >= this.#maxBatch) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      this.#cancelFlush = _schedule(this.#flushOn, this.#scheduledFlush);
    }
  }

  /** Posts the outgoing batch now, if it holds any messages. */
  flush(): void {
    if (this.#outgoing.length === 0) return;
    const batch = this.#outgoing;
    this.#outgoing = [];
    this.#batches++;
    this.#endpoint.postMessage(batch, []);
  }

  /**
   * Adds a handler called once per received message, in send order; the first handler also
   * receives the messages that arrived before it. Returns a function that removes it.
   */
  onMessage(handler: ChannelHandler<In>): () => void {
    this.#handlers.push(handler);
    if (this.#handlers.length === 1 && this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      for (const message of pending) this.#deliver(message);
    }
    return () => {
      const i = this.#handlers.indexOf(handler);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /** The channel's counters. */
  stats(): WorkerChannelStats {
    return {
      sent: this.#sent,
      batches: this.#batches,
      received: this.#received,
      receivedBatches: this.#receivedBatches,
    };
  }

  /** Whether {@linkcode WorkerChannel.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Posts what is still queued, then stops delivery and removes the listeners from the
   * endpoint. It does not close or terminate the endpoint itself. Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    this.#endpoint.removeEventListener("message", this.#onBatch);
    this.#endpoint.removeEventListener("messageerror", this.#onMessageError);
    this.#handlers.length = 0;
    this.#pending = [];
  }

  #scheduledFlush = (): void => {
    this.#scheduled = false;
    this.#cancelFlush = undefined;
    if (!this.#closed) this.flush();
  };

  #onBatch = (ev: MessageEvent): void => {
    if (this.#closed) return;
    const batch: unknown = ev.data;
    if (!Array.isArray(batch)) {
      this.#onError(
        new TypeError(`Cannot read message: expected a batch array, got ${typeof batch}`),
      );
      return;
    }
    this.#receivedBatches++;
    this.#received += batch.length;
    for (const message of batch as In[]) {
      if (this.#closed) return;
      if (this.#handlers.length === 0) this.#pending.push(message);
      else this.#deliver(message);
    }
  };

  #onMessageError = (): void => {
    this.#onError(new TypeError("Cannot read message: the batch could not be deserialized"));
  };

  #deliver(message: In): void {
    // A copy when there are several, so a handler may remove itself (or others) safely.
    const handlers = this.#handlers.length === 1 ? this.#handlers : [...this.#handlers];
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}

/** Runs `fn` at the time `flushOn` names; returns a function that cancels it. */
function _schedule(flushOn: FlushOn, fn: () => void): (() => void) | undefined {
  switch (flushOn) {
    case "microtask":
      queueMicrotask(fn);
      return undefined; // cannot be cancelled; the flush checks `closed` instead
    case "immediate": {
      const handle = setImmediate(fn);
      return () => clearImmediate(handle);
    }
    case "timer": {
      const handle = setTimeout(fn, 0);
      return () => clearTimeout(handle);
    }
  }
}

/**
 * The current worker's global scope as a {@linkcode MessageEndpoint}, for a channel to the
 * main side.
 * @throws {TypeError} when not called inside a worker
 */
export function workerScope(): MessageEndpoint {
  const scope = globalThis as {
    WorkerGlobalScope?: abstract new () => unknown;
    Bun?: { isMainThread?: boolean };
  };
  // Bun has no WorkerGlobalScope; it says whether this is the main thread.
  const inWorker = typeof scope.WorkerGlobalScope === "function"
    ? globalThis instanceof scope.WorkerGlobalScope
    : scope.Bun?.isMainThread === false;
  if (!inWorker) throw new TypeError("Cannot open worker scope: not running inside a Worker");
  return globalThis as unknown as MessageEndpoint;
}

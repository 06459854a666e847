/**
 * A fixed pool of module Workers, each reached through a {@linkcode WorkerChannel}: the
 * original reactor's `thread_pool` (threads each running an event loop fed by a thread queue).
 *
 * @module
 */
import { WorkerChannel, type WorkerChannelOptions } from "./worker_channel.ts";
import { errorText } from "./text.ts";

/** An uncaught error inside a pool worker, or a batch from it that could not be read. */
export class WorkerError extends Error {
  /** Always `"WorkerError"`. */
  override name = "WorkerError";
  /** Index of the worker in its pool. */
  readonly index: number;

  /** Wraps `cause` (the worker's error, if it could be cloned) with the worker's index. */
  constructor(index: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.index = index;
  }
}

/** Receives the errors of a {@linkcode WorkerPool}, with the index of the worker concerned. */
export type WorkerErrorHandler = (error: WorkerError, index: number) => void;

/** Options for {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module; each worker runs it as `new Worker(url, { type: "module" })`. */
  url: URL | string;
  /** Number of workers, at least 1. */
  size: number;
  /** Prefix of the worker names, which are `${name}-${index}`. @default "worker" */
  name?: string;
  /**
   * Deno permissions of each worker (`deno.permissions` of the Worker options); needs
   * `--unstable-worker-options`.
   * @default undefined (the workers inherit the permissions of the main isolate)
   */
  permissions?: Deno.PermissionOptions;
  /** Options of every worker's channel; its `onError` is replaced by the pool's. @default {} */
  channel?: Omit<WorkerChannelOptions, "onError">;
  /** A first error handler, the same as calling {@linkcode WorkerPool.onError}. @default none */
  onError?: WorkerErrorHandler;
}

/**
 * `size` module workers, with a typed channel to each: `Out` is what the main side sends,
 * `In` what the workers send back.
 *
 * Errors are never swallowed: with at least one {@linkcode WorkerPool.onError} handler, a
 * worker's uncaught error goes to the handlers (and is kept from ending the main isolate);
 * without one it is raised in the main isolate as Deno does for any worker.
 */
export class WorkerPool<Out, In> {
  readonly #workers: Worker[] = [];
  readonly #channels: WorkerChannel<Out, In>[] = [];
  readonly #listeners: ((ev: ErrorEvent) => void)[] = [];
  readonly #errorHandlers: WorkerErrorHandler[] = [];
  readonly #options: WorkerPoolOptions;
  #terminated = false;

  /** Starts the workers. @throws {RangeError} if `size` is not an integer >= 1 */
  constructor(options: WorkerPoolOptions) {
    const { size } = options;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot start worker pool: size must be an integer >= 1, got ${size}`);
    }
    if (options.onError) this.#errorHandlers.push(options.onError);
    this.#options = options;
    for (let index = 0; index < size; index++) this.#spawn(index);
  }

  /** Number of workers. */
  get size(): number {
    return this.#workers.length;
  }

  /** Whether {@linkcode WorkerPool.terminate} was called. */
  get terminated(): boolean {
    return this.#terminated;
  }

  /** The channel to worker `index`. @throws {RangeError} for an index outside the pool */
  channel(index: number): WorkerChannel<Out, In> {
    const channel = this.#channels[index];
    if (!Number.isInteger(index) || channel === undefined) {
      throw new RangeError(`Cannot get channel: index ${index} is outside 0..${this.size - 1}`);
    }
    return channel;
  }

  /** Sends `message` to every worker. */
  broadcast(message: Out): void {
    for (const channel of this.#channels) channel.send(message);
  }

  /** Adds an error handler; returns a function that removes it. */
  onError(handler: WorkerErrorHandler): () => void {
    this.#errorHandlers.push(handler);
    return () => {
      const i = this.#errorHandlers.indexOf(handler);
      if (i >= 0) this.#errorHandlers.splice(i, 1);
    };
  }

  /**
   * Posts what each channel still holds, closes the channels and terminates the workers.
   * Messages a worker has not handled by then are lost: wait for a reply first where that
   * matters. Calling it again does nothing.
   */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    for (let i = 0; i < this.#workers.length; i++) this.#stop(i);
  }

  /**
   * Replaces worker `index` with a fresh one running the same module (for a
   * supervisor, after the worker failed): the old worker is terminated and its
   * channel closed; {@linkcode WorkerPool.channel} answers the new channel, on
   * which the caller registers its handlers again.
   *
   * @throws {RangeError} for an index outside the pool
   * @throws {Error} once the pool is terminated
   */
  restart(index: number): WorkerChannel<Out, In> {
    this.channel(index);
    if (this.#terminated) throw new Error(`Cannot restart worker ${index}: pool terminated`);
    this.#stop(index);
    return this.#spawn(index);
  }

  /** Same as {@linkcode WorkerPool.terminate}, for `using pool = new WorkerPool(...)`. */
  [Symbol.dispose](): void {
    this.terminate();
  }

  #spawn(index: number): WorkerChannel<Out, In> {
    const { url, name = "worker", permissions } = this.#options;
    const workerName = `${name}-${index}`;
    const worker = new Worker(url, {
      type: "module",
      name: workerName,
      ...(permissions === undefined ? {} : { deno: { permissions } }),
    });
    const listener = (ev: ErrorEvent) => this.#onWorkerError(index, workerName, ev);
    worker.addEventListener("error", listener);
    const channel = new WorkerChannel<Out, In>(worker, {
      ...this.#options.channel,
      onError: (err) => this.#onChannelError(index, workerName, err),
    });
    this.#workers[index] = worker;
    this.#channels[index] = channel;
    this.#listeners[index] = listener;
    return channel;
  }

  #stop(index: number): void {
    this.#channels[index].close();
    this.#workers[index].removeEventListener("error", this.#listeners[index]);
    this.#workers[index].terminate();
  }

  #onWorkerError(index: number, workerName: string, ev: ErrorEvent): void {
    if (this.#errorHandlers.length === 0) return; // Deno raises it in the main isolate.
    ev.preventDefault();
    const where = ev.filename ? ` (${ev.filename}:${ev.lineno}:${ev.colno})` : "";
    const error = new WorkerError(index, `Worker ${workerName} failed: ${ev.message}${where}`, {
      cause: ev.error,
    });
    this.#emit(error);
  }

  #onChannelError(index: number, workerName: string, err: unknown): void {
    const why = errorText(err);
    const error = new WorkerError(index, `Worker ${workerName} channel failed: ${why}`, {
      cause: err,
    });
    if (this.#errorHandlers.length === 0) reportError(error);
    else this.#emit(error);
  }

  #emit(error: WorkerError): void {
    for (const handler of [...this.#errorHandlers]) handler(error, error.index);
  }
}

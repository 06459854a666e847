/**
 * Main isolate side of the store worker: a `ReportStore` whose calls run in a
 * Web Worker (`store_worker.ts`, the worker side; `store_worker_protocol.ts`
 * is what crosses between them). The report writers use it like any store; the database round trips happen on
 * the worker's event loop, which is never busy reading reports, and, for
 * SQLite, the synchronous writes no longer block the main isolate.
 *
 * The benchmark (`docs/benchmarks.md`, "Report service") showed why: while
 * agents flood the reporter, the main isolate gets to a socket reply only
 * every 10-25 ms, and a transaction is several round trips (one statement per
 * row dropped to 5k rows/s); in the worker it is one message back per batch.
 * And SQLite's synchronous writes stop the main isolate reading (24 s of
 * reports were left in socket buffers at 10x the full rate).
 *
 * @module
 */
import { WorkerChannel } from "../reactor/worker_channel.ts";
import { StoreError } from "../store/types.ts";
import type {
  HistoryFilter,
  HistoryRow,
  ReportStore,
  RouteFilter,
  StatusRow,
} from "../store/types.ts";
import {
  packHistory,
  packStatus,
  type StoreErrorData,
  type StoreReply,
  type StoreRequest,
  type StoreWorkerOpen,
  unpackHistory,
  unpackStatus,
} from "./store_worker_protocol.ts";

type _Request = StoreRequest extends infer R ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

interface _Pending {
  resolve: (rows: Float64Array | undefined) => void;
  reject: (error: Error) => void;
}

function _toError(data: StoreErrorData): Error {
  switch (data.name) {
    case "StoreError":
      return new StoreError(data.message);
    case "TypeError":
      return new TypeError(data.message);
    case "RangeError":
      return new RangeError(data.message);
    default: {
      const error = new Error(data.message);
      error.name = data.name;
      return error;
    }
  }
}

/**
 * A report store run in a Web Worker. The worker starts on the first call; if
 * it dies, pending calls fail with a `StoreError` (so writers keep their rows
 * and retry) and the next call starts a new one.
 *
 * @example
 * ```ts
 * import { WorkerReportStore } from "./store_worker_client.ts";
 * const store = new WorkerReportStore({ url: "sqlite::memory:", history: false });
 * await store.init();
 * await store.upsertStatus([{ modid: 1, cmdid: 1, ip: 1, port: 80, caller: 2, succ: 3, err: 0,
 *   ts: 100, overload: false }]);
 * console.log((await store.listStatus())[0].succ); // 3
 * await store.close();
 * ```
 */
export class WorkerReportStore implements ReportStore {
  readonly #open: StoreWorkerOpen;
  readonly #pending = new Map<number, _Pending>();
  #worker: Worker | null = null;
  #channel: WorkerChannel<StoreRequest, StoreReply> | null = null;
  #nextId = 1;

  /** Describes the store; nothing starts until the first call. */
  constructor(open: StoreWorkerOpen) {
    this.#open = { ...open };
  }

  /** Creates the tables when missing. */
  async init(): Promise<void> {
    await this.#call({ op: "init" });
  }

  /** Upserts `rows` in one transaction (in the worker). */
  async upsertStatus(rows: readonly StatusRow[]): Promise<void> {
    await this.#call({ op: "upsertStatus", rows: packStatus(rows) });
  }

  /** Adds `rows` to the per-minute sums (in the worker). */
  async addHistory(rows: readonly HistoryRow[]): Promise<void> {
    await this.#call({ op: "addHistory", rows: packHistory(rows) });
  }

  /** `ServerCallStatus` rows ordered by key. */
  async listStatus(filter: RouteFilter = {}): Promise<StatusRow[]> {
    return unpackStatus((await this.#call({ op: "listStatus", filter }))!);
  }

  /** `ServerCallHistory` rows ordered by key and minute. */
  async listHistory(filter: HistoryFilter = {}): Promise<HistoryRow[]> {
    return unpackHistory((await this.#call({ op: "listHistory", filter }))!);
  }

  /** Closes the store and terminates the worker. */
  async close(): Promise<void> {
    if (this.#worker === null) return;
    try {
      await this.#call({ op: "close" });
    } finally {
      this.#stop(new StoreError("Store worker closed"));
    }
  }

  #call(request: _Request): Promise<Float64Array | undefined> {
    const channel = this.#channel ?? this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      channel.send({ ...request, id } as StoreRequest);
    });
  }

  #start(): WorkerChannel<StoreRequest, StoreReply> {
    const worker = new Worker(new URL("./store_worker.ts", import.meta.url), { type: "module" });
    const channel = new WorkerChannel<StoreRequest, StoreReply>(worker, { flushOn: "microtask" });
    channel.onMessage((reply) => {
      const pending = this.#pending.get(reply.id);
      if (pending === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.rows);
      else pending.reject(_toError(reply.error));
    });
    worker.addEventListener("error", (ev) => {
      ev.preventDefault();
      this.#stop(new StoreError(`Store worker failed: ${ev.message}`));
    });
    this.#worker = worker;
    this.#channel = channel;
    channel.send({ id: 0, op: "open", open: this.#open });
    return channel;
  }

  #stop(reason: StoreError): void {
    this.#channel?.close();
    this.#worker?.terminate();
    this.#channel = null;
    this.#worker = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(reason);
  }
}

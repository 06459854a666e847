/**
 * Whole-table reads of `RouteData` for the DNS service's safety-net reload.
 * {@linkcode WorkerTableLoader} reads in a Web Worker with its own store
 * connection: a SQLite read of 100,000 rows blocks for 0.1-0.3 s, and the
 * DNS service must keep answering meanwhile. The worker also checks, groups
 * and sorts the rows ({@linkcode PackedTable}), and the two buffers of the
 * result are transferred, so the service makes no object per row.
 *
 * The worker holds an isolate and a database connection (about 17 MiB of
 * RSS), and whole-table reads come once a minute at most, so it is stopped
 * when it has been idle for {@linkcode WorkerTableLoaderOptions.idleMs} and
 * started again by the next load (about 50 ms).
 *
 * @module
 */
import { unrefTimer } from "../reactor/timers.ts";
import { StoreError } from "../store/types.ts";
import type { PackedTable } from "./packed_table.ts";

/** Reads every `RouteData` row. */
export interface TableLoader {
  /** Every row, checked and packed. */
  load(): Promise<PackedTable>;
  /** Releases what the loader holds. */
  close(): Promise<void>;
}

/** Options of a {@linkcode WorkerTableLoader}. */
export interface WorkerTableLoaderOptions {
  /**
   * Stop the worker after this many ms without a load (it starts again on
   * the next one).
   * @default 1000
   */
  idleMs?: number;
}

/** Loads the table through `table_loader_worker.ts`. */
export class WorkerTableLoader implements TableLoader {
  #worker: Worker | null = null;
  #url: string;
  #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  #pending = new Map<
    number,
    { resolve: (table: PackedTable) => void; reject: (e: Error) => void }
  >();

  /** Creates the loader for the store at `url`; the worker starts on the first load. */
  constructor(url: string, options: WorkerTableLoaderOptions = {}) {
    this.#url = url;
    this.#idleMs = options.idleMs ?? 1000;
  }

  /** True while the worker runs (between a load and its idle stop). */
  get running(): boolean {
    return this.#worker !== null;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./table_loader_worker.ts", import.meta.url), {
      type: "module",
      name: "dns-table-loader",
    });
    worker.onmessage = (event: MessageEvent) => {
      const { id, table, error } = event.data as {
        id?: number;
        table?: PackedTable;
        error?: { name: string; message: string };
      };
      if (id === undefined) return;
      const waiter = this.#pending.get(id);
      this.#pending.delete(id);
      if (!waiter) return;
      if (table) waiter.resolve(table);
      else waiter.reject(new StoreError(`${error?.name}: ${error?.message}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`table loader worker failed: ${event.message}`));
    };
    worker.postMessage({ url: this.#url });
    this.#worker = worker;
    return worker;
  }

  #fail(error: Error): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }

  /** Every row, read and packed in the worker. */
  async load(): Promise<PackedTable> {
    clearTimeout(this.#idleTimer);
    const worker = this.#start();
    const id = this.#nextId++;
    try {
      return await new Promise<PackedTable>((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        worker.postMessage({ id });
      });
    } finally {
      if (this.#pending.size === 0 && this.#worker) {
        clearTimeout(this.#idleTimer);
        this.#idleTimer = setTimeout(() => this.#retire(), this.#idleMs);
        unrefTimer(this.#idleTimer);
      }
    }
  }

  /** Stops an idle worker: closes its store connection, then ends it. */
  #retire(): void {
    const worker = this.#worker;
    if (!worker || this.#pending.size > 0) return;
    this.#worker = null;
    this.#stopWorker(worker);
  }

  /** Asks `worker` to close its store, and terminates it when it has (or after 2 s). */
  async #stopWorker(worker: Worker): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = new Promise<void>((resolve) => {
      worker.addEventListener("message", (event: MessageEvent) => {
        if ((event.data as { closed?: true }).closed) resolve();
      });
      // A worker stuck in a query is terminated anyway.
      timer = setTimeout(resolve, 2000);
    });
    worker.postMessage({ close: true });
    await closed;
    clearTimeout(timer);
    worker.terminate();
  }

  /** Closes the worker's store connection and stops the worker. */
  async close(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    if (!worker) return;
    await this.#stopWorker(worker);
    this.#fail(new StoreError("table loader closed"));
  }
}

/**
 * Whole-table reads of `RouteData` for the DNS service's safety-net reload.
 * {@linkcode WorkerTableLoader} reads in a Web Worker with its own store
 * connection: a SQLite read of 100,000 rows blocks for 0.1-0.3 s, and the
 * DNS service must keep answering meanwhile. The rows come back packed in one
 * transferred Float64Array and are unpacked in slices between event-loop turns.
 *
 * @module
 */
import type { RouteRow } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { LoopYielder } from "./loop_yield.ts";

/** Reads every `RouteData` row. */
export interface TableLoader {
  /** Every row, in no particular order. */
  load(): Promise<RouteRow[]>;
  /** Releases what the loader holds. */
  close(): Promise<void>;
}

/** Numbers per row in the worker's packed answer: modid, cmdid, ip, port, weight (or NaN). */
export const PACKED_ROW_FIELDS = 5;

/** Rows unpacked per event-loop turn. */
const UNPACK_SLICE = 20_000;

/** Loads the table through `table_loader_worker.ts`. */
export class WorkerTableLoader implements TableLoader {
  #worker: Worker | null = null;
  #url: string;
  #nextId = 1;
  #pending = new Map<
    number,
    { resolve: (rows: Float64Array) => void; reject: (e: Error) => void }
  >();

  /** Creates the loader for the store at `url`; the worker starts on the first load. */
  constructor(url: string) {
    this.#url = url;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL("./table_loader_worker.ts", import.meta.url), {
      type: "module",
      name: "dns-table-loader",
    });
    worker.onmessage = (event: MessageEvent) => {
      const { id, rows, error } = event.data as {
        id?: number;
        rows?: Float64Array;
        error?: { name: string; message: string };
      };
      if (id === undefined) return;
      const waiter = this.#pending.get(id);
      this.#pending.delete(id);
      if (!waiter) return;
      if (rows) waiter.resolve(rows);
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

  /** Every row, read in the worker. */
  async load(): Promise<RouteRow[]> {
    const worker = this.#start();
    const id = this.#nextId++;
    const packed = await new Promise<Float64Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id });
    });
    const rows: RouteRow[] = new Array(packed.length / PACKED_ROW_FIELDS);
    const yielder = new LoopYielder();
    try {
      for (let r = 0; r < rows.length; r++) {
        const i = r * PACKED_ROW_FIELDS;
        const row: RouteRow = {
          modid: packed[i],
          cmdid: packed[i + 1],
          ip: packed[i + 2],
          port: packed[i + 3],
        };
        if (!Number.isNaN(packed[i + 4])) row.weight = packed[i + 4];
        rows[r] = row;
        if (r % UNPACK_SLICE === UNPACK_SLICE - 1) await yielder.yield();
      }
    } finally {
      yielder.close();
    }
    return rows;
  }

  /** Closes the worker's store connection and stops the worker. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
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
    this.#fail(new StoreError("table loader closed"));
  }
}

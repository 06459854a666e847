/**
 * Worker of {@linkcode WorkerTableLoader} (`table_loader.ts`): owns a second
 * connection to the route store and reads the whole `RouteData` table on
 * request, so the synchronous SQLite read (and, on MySQL, the parsing of
 * 100,000 rows) and the packing happen on this thread instead of the DNS
 * service's event loop. Protocol: `{ url }` once, then `{ id }` per load;
 * answers `{ id, table }` (a {@linkcode PackedTable}, its buffers
 * transferred) or `{ id, error: { name, message } }`.
 *
 * @module
 */
import { workerScope } from "../reactor/worker_channel.ts";
import type { RouteStore } from "../store/types.ts";
import { createRouteStore } from "../store/url.ts";
import { type PackedTable, packRows } from "./packed_table.ts";

const scope = workerScope();
let url: string | null = null;
let store: RouteStore | null = null;

/** Reads every row and packs it. */
async function load(): Promise<PackedTable> {
  if (url === null) throw new Error("Table loader worker: no store URL");
  store ??= createRouteStore(url);
  return packRows(await store.loadRoutes());
}

scope.addEventListener("message", (event) => {
  const data = (event as MessageEvent<{ url?: string; id?: number; close?: true }>).data;
  if (data.url !== undefined) {
    url = data.url;
    return;
  }
  if (data.close) {
    const closing = store?.close() ?? Promise.resolve();
    store = null;
    closing.finally(() => scope.postMessage({ closed: true }, []));
    return;
  }
  const id = data.id;
  load().then(
    (table) =>
      scope.postMessage({ id, table }, [
        table.modules.buffer as ArrayBuffer,
        table.hosts.buffer as ArrayBuffer,
      ]),
    (err) => {
      // A failed store is opened afresh on the next load.
      store?.close().catch(() => {});
      store = null;
      const error = err instanceof Error
        ? { name: err.name, message: err.message }
        : { name: "Error", message: String(err) };
      scope.postMessage({ id, error }, []);
    },
  );
});

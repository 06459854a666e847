/**
 * Worker of {@linkcode WorkerTableLoader} (`table_loader.ts`): owns a second
 * connection to the route store and reads the whole `RouteData` table on
 * request, so the synchronous SQLite read (and, on MySQL, the parsing of
 * 100,000 rows) happens on this thread instead of the DNS service's event
 * loop. Protocol: `{ url }` once, then `{ id }` per load; answers
 * `{ id, rows }` (a Float64Array of modid, cmdid, ip, port, weight (NaN when
 * the table has no weight column) per row, transferred) or `{ id, error: { name, message } }`.
 *
 * @module
 */
import { workerScope } from "../reactor/worker_channel.ts";
import type { RouteStore } from "../store/types.ts";
import { createRouteStore } from "../store/url.ts";
import { PACKED_ROW_FIELDS as FIELDS } from "./table_loader.ts";

const scope = workerScope();
let url: string | null = null;
let store: RouteStore | null = null;

/** Reads every row and packs it. */
async function load(): Promise<Float64Array> {
  if (url === null) throw new Error("Table loader worker: no store URL");
  store ??= createRouteStore(url);
  const rows = await store.loadRoutes();
  const packed = new Float64Array(rows.length * FIELDS);
  let i = 0;
  for (const row of rows) {
    packed[i++] = row.modid;
    packed[i++] = row.cmdid;
    packed[i++] = row.ip;
    packed[i++] = row.port;
    packed[i++] = row.weight ?? NaN;
  }
  return packed;
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
    (rows) => scope.postMessage({ id, rows }, [rows.buffer as ArrayBuffer]),
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

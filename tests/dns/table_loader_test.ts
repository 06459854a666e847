import assert from "node:assert/strict";
import { WorkerTableLoader } from "../../dns/table_loader.ts";
import { ipToInt } from "../../proto/mod.ts";
import { StoreError } from "../../store/types.ts";
import { openRouteStore } from "../../store/url.ts";

const key = (r: { modid: number; cmdid: number; ip: number; port: number; weight?: number }) =>
  `${r.modid},${r.cmdid},${r.ip},${r.port},${r.weight ?? 1}`;

Deno.test("table loader - a worker reads the same rows as the store; errors are store errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_loader_" });
  const url = `sqlite:${dir}/routes.db`;
  const store = await openRouteStore(url);
  const loader = new WorkerTableLoader(url);
  const missing = new WorkerTableLoader(`sqlite:${dir}`); // a directory, not a database
  try {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({
      modid: 1 + (i % 500),
      cmdid: 1 + (i % 7),
      ip: ipToInt("200.0.0.0") + i, // high addresses: above 2^31
      port: 1 + (i % 65535),
      weight: 1 + (i % 3),
    }));
    await store.importRoutes(rows, { replace: false });
    const loaded = await loader.load();
    assert.deepEqual(loaded.map(key).sort(), rows.map(key).sort());
    await store.addHost(9, 9, ipToInt("10.0.0.9"), 9);
    assert.equal((await loader.load()).length, rows.length + 1, "a second load sees new rows");
    await assert.rejects(missing.load(), StoreError);
  } finally {
    await loader.close();
    await missing.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

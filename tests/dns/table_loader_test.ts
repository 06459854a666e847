import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RouteMap } from "../../dns/route_map.ts";
import { WorkerTableLoader } from "../../dns/table_loader.ts";
import { ipToInt } from "../../proto/mod.ts";
import { StoreError } from "../../store/types.ts";
import { openRouteStore } from "../../store/url.ts";

Deno.test("table loader - a worker reads and packs the same table as the store; errors are store errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_loader_" });
  const url = `sqlite:${dir}/routes.db`;
  const store = await openRouteStore(url);
  const loader = new WorkerTableLoader(url, { idleMs: 50 });
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
    // Two invalid rows written behind the store's back: skipped and listed.
    const db = new DatabaseSync(`${dir}/routes.db`);
    db.exec(
      "INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (3, 3, 167772161, 0)",
    );
    db.exec("INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (3, 3, 0, 80)");
    db.close();
    const loaded = await loader.load();
    assert.equal(loaded.invalidCount, 2);
    assert.deepEqual(loaded.invalid.map((r) => [r.ip, r.port]).sort(), [[0, 80], [167772161, 0]]);
    const fromWorker = await RouteMap.fromPacked(loaded);
    const direct = new RouteMap(rows);
    assert.equal(fromWorker.hostCount, rows.length);
    assert.equal(fromWorker.moduleCount, direct.moduleCount);
    for (const k of direct.keys()) assert.ok(fromWorker.sameModule(direct, k), k);
    const served = (m: RouteMap) => m.hosts(1, 1).map((h) => [h.ip, h.port, h.weight ?? 1]);
    assert.deepEqual(served(fromWorker), served(direct), "weights and order kept");
    // Idle, the worker stops (its isolate and connection are not kept for the next minute's
    // reload); the next load starts it again.
    assert.equal(loader.running, true);
    const stopBy = performance.now() + 10_000;
    while (loader.running && performance.now() < stopBy) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(loader.running, false, "the idle worker was stopped");
    await store.addHost(9, 9, ipToInt("10.0.0.9"), 9);
    const again = await RouteMap.fromPacked(await loader.load());
    assert.equal(again.hostCount, rows.length + 1, "a second load sees new rows");
    await assert.rejects(missing.load(), StoreError);
  } finally {
    await loader.close();
    await missing.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

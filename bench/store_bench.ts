/**
 * Route store listings at admin scale: 10,000 modules with 100,000 hosts
 * (10 each), on SQLite and on a private MariaDB (the test harness's, skipped
 * when none can start). Measures `listModules` (first page, a deep page, a
 * search by id, a search by name), a paged `listRoutes`, and `importRoutes`
 * of one module into the full table.
 *
 *     deno bench -A bench/store_bench.ts
 *
 * @module
 */
import { openRouteStore, type RouteRow, type RouteStore } from "../store/mod.ts";
import { getTestMysql } from "../tests/support/mariadb.ts";

const MODULES = 10_000;
const HOSTS_PER_MODULE = 10;

async function seeded(name: string, url: string): Promise<RouteStore> {
  const store = await openRouteStore(url);
  const rows: RouteRow[] = [];
  for (let m = 0; m < MODULES; m++) {
    for (let h = 0; h < HOSTS_PER_MODULE; h++) {
      rows.push({
        modid: 1 + (m % 1000),
        cmdid: 1 + Math.floor(m / 1000),
        ip: 0x0A000000 + m,
        port: 1000 + h,
      });
    }
  }
  const started = performance.now();
  await store.importRoutes(rows, { replace: true });
  for (let m = 1; m <= 1000; m += 10) await store.setModName(m, `service-${m}`);
  console.error(
    `${name}: imported ${rows.length} hosts in ${Math.round(performance.now() - started)} ms`,
  );
  return store;
}

const stores: [string, RouteStore][] = [];
const dir = await Deno.makeTempDir({ prefix: "lars-store-bench-" });
stores.push(["sqlite", await seeded("sqlite", `sqlite:${dir}/routes.db`)]);
const mysql = await getTestMysql();
if (mysql) {
  stores.push([
    "mariadb",
    await seeded("mariadb", await mysql.createDatabase(`lars_store_bench_${Deno.pid}`)),
  ]);
}

let port = 20_000;
for (const [name, store] of stores) {
  const group = `store ${name}`;
  Deno.bench(`${name} listModules first page of 50`, { group, baseline: true }, async () => {
    await store.listModules({ limit: 50, offset: 0 });
  });
  Deno.bench(`${name} listModules page at offset 9950`, { group }, async () => {
    await store.listModules({ limit: 50, offset: 9950 });
  });
  Deno.bench(`${name} listModules search "7" (an id)`, { group }, async () => {
    await store.listModules({ search: "7", limit: 50, offset: 0 });
  });
  Deno.bench(`${name} listModules search "service-99" (a name)`, { group }, async () => {
    await store.listModules({ search: "service-99", limit: 50, offset: 0 });
  });
  Deno.bench(`${name} listRoutes of one module`, { group }, async () => {
    await store.listRoutes({ modid: 500, cmdid: 5, limit: 100, offset: 0 });
  });
  Deno.bench(`${name} importRoutes of one module (replace)`, { group }, async () => {
    await store.importRoutes([{ modid: 1, cmdid: 1, ip: 0x7F000001, port: ++port }], {
      replace: true,
    });
  });
}

globalThis.addEventListener("unload", () => {
  for (const [, store] of stores) store.close();
  Deno.removeSync(dir, { recursive: true });
});

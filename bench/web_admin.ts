/**
 * Load tool of the web admin (not a `Deno.bench` file): seeds a fresh store
 * with N modules x H hosts and names (through `importRoutes`), starts the web
 * admin in this process, logs in, and times the JSON API calls the pages
 * make: the module list (first page, a deep page, search by id and by name),
 * one module's hosts, a host edit, an export of every route, and (once) an
 * import of that export with replace.
 *
 *     deno run -A bench/web_admin.ts --store sqlite|mysql [--modules 10000]
 *       [--hosts-per-module 10] [--runs 20]
 *
 * Prints the median and the slowest run of each call, in ms. All traffic stays
 * on 127.0.0.1; temporary files are in `data/tmp/` and removed at the end.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createLogger } from "../reactor/log.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import type { RouteRow } from "../store/types.ts";
import { openRouteStore } from "../store/url.ts";
import { getTestMysql } from "../tests/support/mariadb.ts";
import { repoTempDir } from "../tests/support/process.ts";
import { WebClient } from "../tests/web/web_client.ts";
import { plainPassword } from "../web/auth.ts";
import { WebService } from "../web/web_service.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    store: { type: "string", default: "sqlite" },
    modules: { type: "string", default: "10000" },
    "hosts-per-module": { type: "string", default: "10" },
    runs: { type: "string", default: "20" },
  },
});
const modules = Number(values.modules);
const perModule = Number(values["hosts-per-module"]);
const runs = Number(values.runs);
if (values.store !== "sqlite" && values.store !== "mysql") {
  console.error("--store must be sqlite or mysql");
  Deno.exit(2);
}

const dir = await repoTempDir("web_bench_");
let url = `sqlite:${ROOT}${dir.path}/lars.db`;
if (values.store === "mysql") {
  const server = await getTestMysql();
  if (!server) throw new Error("No MySQL/MariaDB server (install mariadb-server)");
  url = await server.createDatabase(`lars_web_bench_${Deno.pid}`);
}

// Modules spread over 100 module ids; host addresses unique per module.
const rows: RouteRow[] = [];
for (let m = 0; m < modules; m++) {
  for (let h = 0; h < perModule; h++) {
    rows.push({
      modid: 1000 + (m % 100),
      cmdid: Math.floor(m / 100) + 1,
      ip: 0x0A000000 + m * 256 + h,
      port: 8000 + h,
    });
  }
}
const seeder = await openRouteStore(url);
let t = performance.now();
await seeder.importRoutes(rows, { replace: false, actor: "bench" });
console.log(
  `seeded ${rows.length} hosts in ${modules} modules: ${
    (performance.now() - t).toFixed(0)
  } ms (one importRoutes)`,
);
for (let m = 0; m < 100; m++) await seeder.setModName(1000 + m, `service-${m}`, "bench");
await seeder.close();

const service = new WebService({
  settings: {
    hostname: "127.0.0.1",
    port: 0,
    storeUrl: url,
    users: new Map([["bench", await plainPassword("bench-password")]]),
    sessionTtl: 3600,
    loginLimit: 5,
  },
  transport: denoTransport,
  log: createLogger("web"),
});
const addr = await service.start();
const client = new WebClient(`http://127.0.0.1:${addr.port}`);
await client.login("bench", "bench-password");

async function time(name: string, call: () => Promise<{ status: number }>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const res = await call();
    samples.push(performance.now() - t);
    if (res.status >= 300) throw new Error(`${name}: HTTP ${res.status}`);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)];
  console.log(
    `${name.padEnd(44)} median ${median.toFixed(1).padStart(7)} ms   max ${
      samples.at(-1)!.toFixed(1).padStart(7)
    } ms`,
  );
}

const deep = Math.floor(modules / 2);
await time(
  "GET /api/summary (first page of 50)",
  () => client.call("GET", "/api/summary?limit=50"),
);
await time(
  `GET /api/summary (offset ${deep})`,
  () => client.call("GET", `/api/summary?limit=50&offset=${deep}`),
);
await time(
  "GET /api/summary?search=1042 (id)",
  () => client.call("GET", "/api/summary?search=1042"),
);
await time(
  "GET /api/summary?search=service-42 (name)",
  () => client.call("GET", "/api/summary?search=service-42"),
);
await time(
  "GET /api/routes?modid=1042&cmdid=50",
  () => client.call("GET", "/api/routes?modid=1042&cmdid=50"),
);
let flip = 0;
await time("PUT /api/routes (edit one host)", () => {
  const [from, to] = flip++ % 2 === 0 ? [8000, 7999] : [7999, 8000];
  return client.call("PUT", "/api/routes", {
    modid: 1000,
    cmdid: 1,
    ip: "10.0.0.0",
    port: from,
    newIp: "10.0.0.0",
    newPort: to,
  });
});
await time(
  `GET /api/export?format=csv (${rows.length} rows)`,
  () => client.call("GET", "/api/export?format=csv"),
);

const csv = (await client.call("GET", "/api/export?format=csv")).body as string;
t = performance.now();
const again = await client.call("POST", "/api/import?format=csv&replace=true", csv);
if (again.status !== 200) throw new Error(`import: HTTP ${again.status}`);
console.log(
  `POST /api/import (the export, ${rows.length} rows, replace)`.padEnd(44) +
    ` once   ${(performance.now() - t).toFixed(1).padStart(7)} ms   ${JSON.stringify(again.body)}`,
);
await service.stop();
await dir.remove();

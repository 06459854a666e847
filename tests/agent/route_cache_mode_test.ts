import assert from "node:assert/strict";
import { RouteCache } from "../../agent/route_cache.ts";
import { createLogger } from "../../reactor/log.ts";

Deno.test("route cache - files are 0600 in a 0700 directory, also over a stale temp file", async () => {
  const root = await Deno.makeTempDir({ prefix: "lars_cache_mode_" });
  try {
    const dir = `${root}/cache`;
    const routes = [{ modid: 1, cmdid: 2, hosts: [{ ip: 0x0A000001, port: 80 }], updatedAt: 1 }];
    const cache = new RouteCache(dir, createLogger("test"), () => routes, { changeDelayMs: 0 });
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.writeTextFile(`${cache.path}.tmp`, "left by a crash", { mode: 0o644 });
    await Deno.chmod(`${cache.path}.tmp`, 0o644);
    cache.changed();
    await cache.flush();
    assert.equal((await Deno.stat(cache.path)).mode! & 0o777, 0o600);
    assert.deepEqual((await cache.load()).map((r) => r.modid), [1]);
    await Deno.remove(dir, { recursive: true });
    cache.changed();
    await cache.flush();
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(cache.path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

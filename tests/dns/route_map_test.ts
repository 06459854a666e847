import assert from "node:assert/strict";
import { moduleKey, type OversizedModule, parseModuleKey, RouteMap } from "../../dns/route_map.ts";
import { decodeDatagram, GetRouteResponseCodec, ipToInt, MAX_FRAME_SIZE } from "../../proto/mod.ts";

const row = (modid: number, cmdid: number, ip: string, port: number) => ({
  modid,
  cmdid,
  ip: ipToInt(ip),
  port,
});

function answer(frame: Uint8Array) {
  const f = decodeDatagram(frame);
  return GetRouteResponseCodec.decode(f.body);
}

Deno.test("route map - hosts are sorted and duplicates collapse", () => {
  const map = new RouteMap([
    row(1, 1, "10.0.0.2", 80),
    row(1, 1, "10.0.0.1", 81),
    row(1, 1, "10.0.0.1", 80),
    row(1, 1, "10.0.0.2", 80),
    row(2, 1, "10.0.0.9", 1),
  ]);
  assert.equal(map.moduleCount, 2);
  assert.equal(map.hostCount, 4);
  assert.deepEqual(map.hosts(1, 1), [
    { ip: ipToInt("10.0.0.1"), port: 80 },
    { ip: ipToInt("10.0.0.1"), port: 81 },
    { ip: ipToInt("10.0.0.2"), port: 80 },
  ]);
  assert.deepEqual(map.hosts(9, 9), []);
  assert.deepEqual(map.hosts(1, 1, 2), map.hosts(1, 1).slice(0, 2), "the first hosts only");
  assert.equal(map.hostsOf(1, 1), 3);
  assert.deepEqual(answer(map.responseFrame(9, 9)), { modid: 9, cmdid: 9, host: [] });
  assert.deepEqual(parseModuleKey(moduleKey(12, 34)), { modid: 12, cmdid: 34 });
});

Deno.test("route map - replacing modules updates hosts, counts and cached frames", () => {
  const map = new RouteMap([row(1, 1, "10.0.0.1", 80), row(2, 2, "10.0.0.2", 80)]);
  const before = map.responseFrame(1, 1);
  assert.equal(map.responseFrame(1, 1), before, "cached");
  const old = new RouteMap([row(1, 1, "10.0.0.1", 80), row(2, 2, "10.0.0.2", 80)]);
  map.replaceModules(
    [moduleKey(1, 1), moduleKey(2, 2), moduleKey(3, 3)],
    [
      row(1, 1, "10.0.0.1", 80),
      row(1, 1, "10.0.0.3", 80),
      row(3, 3, "10.0.0.4", 80),
      row(4, 4, "10.0.0.5", 80),
    ],
  );
  assert.equal(map.hostCount, 3);
  assert.equal(map.moduleCount, 2);
  assert.deepEqual(map.hosts(2, 2), []);
  assert.deepEqual(map.hosts(4, 4), [], "rows of modules not named are ignored");
  assert.equal(answer(map.responseFrame(1, 1)).host.length, 2);
  assert.equal(map.sameModule(old, moduleKey(1, 1)), false);
  assert.equal(map.sameModule(old, moduleKey(2, 2)), false);
  assert.equal(map.sameModule(old, moduleKey(9, 9)), true);
  assert.equal(new RouteMap([row(1, 1, "10.0.0.1", 80)]).sameModule(old, moduleKey(1, 1)), true);
});

Deno.test("route map - an oversized module is served a stable subset that fits", () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({
    modid: 7,
    cmdid: 7,
    ip: ipToInt("192.168.0.0") + (4999 - i),
    port: 9000,
  }));
  const told: OversizedModule[] = [];
  const map = new RouteMap([...rows, row(8, 8, "10.0.0.1", 80)], {
    onOversized: (m) => told.push(m),
  });
  const frame = map.responseFrame(7, 7);
  assert.ok(frame.length <= MAX_FRAME_SIZE);
  const served = answer(frame).host;
  assert.equal(told.length, 1);
  assert.equal(told[0].hosts, 5000);
  assert.equal(told[0].served, served.length);
  assert.ok(told[0].bytes > 65527);
  // The lowest addresses, whatever the row order.
  assert.deepEqual(served, map.hosts(7, 7).slice(0, served.length));
  assert.equal(served[0].ip, ipToInt("192.168.0.0"));
  // Cached: no second notice; another map of the same rows serves the same subset.
  map.responseFrame(7, 7);
  assert.equal(told.length, 1);
  const again = new RouteMap([...rows].reverse());
  assert.deepEqual(answer(again.responseFrame(7, 7)).host, served);
  // Normal modules are unaffected.
  assert.equal(answer(map.responseFrame(8, 8)).host.length, 1);
});

Deno.test("route map - the chunked build gives the same table", async () => {
  const rows = Array.from({ length: 2500 }, (_, i) => ({
    modid: i % 37,
    cmdid: i % 3,
    ip: ipToInt("10.0.0.0") + ((i * 7919) % 1000),
    port: 80 + (i % 5),
  }));
  const whole = new RouteMap(rows);
  const built = await RouteMap.build(rows);
  assert.equal(built.hostCount, whole.hostCount);
  assert.equal(built.moduleCount, whole.moduleCount);
  for (const key of whole.keys()) assert.ok(built.sameModule(whole, key), key);
  assert.equal((await RouteMap.build([])).moduleCount, 0);
});

import assert from "node:assert/strict";
import { InvalidRowLog, routeRowProblem } from "../../dns/route_rows.ts";
import { ipToInt } from "../../proto/mod.ts";

const ok = { modid: 1, cmdid: 2, ip: ipToInt("10.0.0.1"), port: 80 };

Deno.test("route rows - valid rows pass, each kind of bad value is named", () => {
  assert.equal(routeRowProblem(ok), null);
  assert.equal(routeRowProblem({ ...ok, port: 65535, ip: ipToInt("255.255.255.254") }), null);
  const cases: [Partial<typeof ok>, RegExp][] = [
    [{ port: 0 }, /port 0 is outside 1\.\.65535/],
    [{ port: 65536 }, /port 65536/],
    [{ port: 70000 }, /port 70000/],
    [{ port: 4294967295 }, /port 4294967295/],
    [{ ip: 0 }, /ip 0\.0\.0\.0 is not a host address/],
    [{ ip: 0xFFFFFFFF }, /ip 255\.255\.255\.255/],
    [{ ip: 2 ** 32 }, /ip 4294967296 is not an IPv4 address/],
    [{ modid: -1 }, /modid -1/],
    [{ modid: 2 ** 31 }, /modid 2147483648/],
    [{ cmdid: 2 ** 32 - 1 }, /cmdid 4294967295/],
  ];
  for (const [change, pattern] of cases) {
    assert.match(routeRowProblem({ ...ok, ...change }) ?? "", pattern);
  }
});

Deno.test("route rows - invalid rows are filtered, logged and counted once each", () => {
  const lines: string[] = [];
  const log = new InvalidRowLog({ report: (line) => lines.push(line) });
  const valid = [ok, { ...ok, port: 81 }];
  assert.equal(log.filter(valid), valid, "all valid: the same array, no copy");
  const rows = [ok, { ...ok, port: 0 }, { ...ok, port: 81 }, { ...ok, ip: 0 }];
  for (let reload = 0; reload < 3; reload++) {
    assert.deepEqual(log.filter(rows), valid);
  }
  assert.equal(log.count, 2);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /skipping RouteData row modid 1 cmdid 2 ip 167772161 port 0: port 0/);
});

Deno.test("route rows - the memory of reported rows is bounded", () => {
  const lines: string[] = [];
  const log = new InvalidRowLog({ report: (line) => lines.push(line), maxRemembered: 3 });
  const bad = Array.from({ length: 10 }, (_, i) => ({ ...ok, modid: i, port: 0 }));
  assert.deepEqual(log.filter(bad), []);
  assert.equal(lines.length, 10);
});

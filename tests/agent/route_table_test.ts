import assert from "node:assert/strict";
import { ORIGINAL_RULES } from "../../agent/load_balance.ts";
import { RouteTable } from "../../agent/route_table.ts";
import { type HostInfo, RetCode } from "../../proto/mod.ts";

const T0 = 1_700_000_000;
const A: HostInfo = { ip: 0x0A000001, port: 9001 };
const B: HostInfo = { ip: 0xC0A80002, port: 9002 };
const CALLER = 0xC0A80064;

/** A table where module (1, 2) was asked for at T0 and DNS answered `hosts` at T0. */
function tableWith(hosts: HostInfo[], updateTimeout = 15): RouteTable {
  const table = new RouteTable({ updateTimeout });
  table.getHost(1, 2, T0);
  assert.equal(table.applyUpdate(1, 2, hosts, T0), "updated");
  return table;
}

Deno.test("route_table - first get_host creates the module, answers NOEXIST and pulls", () => {
  const table = new RouteTable();
  assert.deepEqual(table.getHost(1, 2, T0), { code: RetCode.NOEXIST, pull: true });
  assert.deepEqual(table.modules(), [{ modid: 1, cmdid: 2 }]);
  assert.equal(table.get(1, 2)?.status, "pulling");
});

Deno.test("route_table - no second pull while the first is in flight", () => {
  const table = new RouteTable();
  table.getHost(1, 2, T0);
  assert.deepEqual(table.getHost(1, 2, T0 + 100), { code: RetCode.NOEXIST, pull: false });
  assert.deepEqual(table.getRoute(1, 2, T0 + 100), { hosts: [], pull: false });
});

Deno.test("route_table - get_route on an unknown module creates it and pulls", () => {
  const table = new RouteTable();
  assert.deepEqual(table.getRoute(5, 6, T0), { hosts: [], pull: true });
  assert.deepEqual(table.getHost(5, 6, T0), { code: RetCode.NOEXIST, pull: false });
  assert.equal(table.size, 1);
});

Deno.test("route_table - after the DNS answer get_host chooses a host", () => {
  const table = tableWith([A, B]);
  assert.deepEqual(table.getHost(1, 2, T0 + 1), { code: RetCode.SUCC, host: A, pull: false });
  assert.deepEqual(table.getHost(1, 2, T0 + 1), { code: RetCode.SUCC, host: B, pull: false });
  assert.deepEqual(table.getRoute(1, 2, T0 + 1), { hosts: [A, B], pull: false });
});

Deno.test("route_table - get_host pulls again once after update_timeout", () => {
  const table = tableWith([A], 15);
  assert.equal(table.getHost(1, 2, T0 + 15).pull, false, "not after exactly update_timeout");
  const due = table.getHost(1, 2, T0 + 16);
  assert.deepEqual(due, { code: RetCode.SUCC, host: A, pull: true }, "still answers a host");
  assert.equal(table.getHost(1, 2, T0 + 17).pull, false, "refresh already in flight");
  table.applyUpdate(1, 2, [A], T0 + 18);
  assert.equal(table.getHost(1, 2, T0 + 30).pull, false);
  assert.equal(table.getHost(1, 2, T0 + 33.5).pull, true);
});

Deno.test("route_table - get_route pulls again after update_timeout", () => {
  const table = tableWith([A], 15);
  assert.deepEqual(table.getRoute(1, 2, T0 + 16), { hosts: [A], pull: true });
  assert.deepEqual(table.getRoute(1, 2, T0 + 17), { hosts: [A], pull: false });
});

Deno.test("route_table - get_host answers OVERLOAD when every host is overloaded", () => {
  const table = new RouteTable({ ...ORIGINAL_RULES, continErrLimit: 1, probeNum: 1 });
  table.getHost(1, 2, T0);
  table.applyUpdate(1, 2, [A], T0);
  assert.equal(table.report(1, 2, A.ip, A.port, RetCode.SYSTEM_ERROR, T0), true);
  assert.deepEqual(table.getHost(1, 2, T0), { code: RetCode.OVERLOAD, pull: false });
  assert.deepEqual(table.getHost(1, 2, T0), { code: RetCode.SUCC, host: A, pull: false });
});

Deno.test("route_table - an empty DNS answer deletes the module", () => {
  const table = tableWith([A]);
  assert.equal(table.applyUpdate(1, 2, [], T0 + 1), "deleted");
  assert.equal(table.size, 0);
  assert.equal(table.report(1, 2, A.ip, A.port, RetCode.SUCC, T0 + 1), false);
  assert.deepEqual(table.getHost(1, 2, T0 + 2), { code: RetCode.NOEXIST, pull: true });
});

Deno.test("route_table - an answer for an unknown module is ignored", () => {
  const table = new RouteTable();
  assert.equal(table.applyUpdate(7, 8, [A], T0), "ignored");
  assert.equal(table.size, 0);
});

Deno.test("route_table - an update replaces the hosts of a module", () => {
  const table = tableWith([A]);
  assert.equal(table.applyUpdate(1, 2, [B], T0 + 1), "updated");
  assert.deepEqual(table.getRoute(1, 2, T0 + 2).hosts, [B]);
  assert.deepEqual(table.getHost(1, 2, T0 + 2), { code: RetCode.SUCC, host: B, pull: false });
});

Deno.test("route_table - report reaches the module's balancer only", () => {
  const table = tableWith([A]);
  table.getHost(2, 1, T0);
  table.applyUpdate(2, 1, [A], T0);
  assert.equal(table.report(1, 2, A.ip, A.port, RetCode.SUCC, T0), true);
  assert.equal(table.report(1, 2, B.ip, B.port, RetCode.SUCC, T0), false, "unknown host");
  assert.equal(table.report(9, 9, A.ip, A.port, RetCode.SUCC, T0), false, "unknown module");
  assert.equal(table.get(1, 2)?.hostStats(A.ip, A.port)?.rsucc, 1);
  assert.equal(table.get(2, 1)?.hostStats(A.ip, A.port)?.rsucc, 0);
});

Deno.test("route_table - takeDirtySnapshots answers modules reported on since last time", () => {
  const table = tableWith([A, B]);
  table.getHost(3, 4, T0);
  table.applyUpdate(3, 4, [B], T0);
  assert.deepEqual(table.takeDirtySnapshots(CALLER, T0), []);
  table.report(1, 2, B.ip, B.port, RetCode.SUCC, T0 + 1);
  table.report(1, 2, B.ip, B.port, RetCode.OVERLOAD, T0 + 1);
  const snapshots = table.takeDirtySnapshots(CALLER, T0 + 2.5);
  assert.deepEqual(snapshots, [{
    modid: 1,
    cmdid: 2,
    caller: CALLER,
    ts: T0 + 2,
    results: [
      { ...A, succ: 0, err: 0, overload: false },
      { ...B, succ: 1, err: 1, overload: false },
    ],
  }]);
  assert.deepEqual(table.takeDirtySnapshots(CALLER, T0 + 3), [], "flags were cleared");
  table.report(3, 4, B.ip, B.port, RetCode.SUCC, T0 + 4);
  assert.deepEqual(table.takeDirtySnapshots(CALLER, T0 + 5).map((s) => s.modid), [3]);
});

Deno.test("route_table - module keys keep negative and large ids apart", () => {
  const table = new RouteTable();
  const ids: Array<[number, number]> = [
    [1, 2],
    [2, 1],
    [-1, 0],
    [0, -1],
    [-1, -1],
    [2 ** 31 - 1, 5],
    [-(2 ** 31), 5],
    [2 ** 20, -7],
    [-(2 ** 20) - 1, -7],
    [7, 1],
    [7, 65537],
    [7, -1],
    [7, 2 ** 31 - 1],
    [-(2 ** 31), -(2 ** 31)],
    [-(2 ** 31), 2 ** 31 - 1],
  ];
  ids.forEach(([modid, cmdid]) => table.getHost(modid, cmdid, T0));
  assert.equal(table.size, ids.length);
  assert.deepEqual(table.modules(), ids.map(([modid, cmdid]) => ({ modid, cmdid })));
  ids.forEach(([modid, cmdid], i) => {
    table.applyUpdate(modid, cmdid, [{ ip: i + 1, port: 80 }], T0);
    assert.deepEqual(table.getRoute(modid, cmdid, T0).hosts, [{ ip: i + 1, port: 80 }]);
  });
});

Deno.test("route_table - options reach every balancer and are validated", () => {
  const table = new RouteTable({ probeNum: 4 });
  table.getHost(1, 2, T0);
  assert.equal(table.get(1, 2)?.options.probeNum, 4);
  assert.throws(() => new RouteTable({ succRate: -0.5 }), RangeError);
});

Deno.test("route_table - maxModules: new modules past it are refused, known ones still served", () => {
  const table = new RouteTable({}, undefined, { maxModules: 2 });
  assert.deepEqual(table.getHost(1, 1, T0), { code: RetCode.NOEXIST, pull: true });
  assert.deepEqual(table.getRoute(1, 2, T0), { hosts: [], pull: true });
  assert.deepEqual(table.getHost(1, 3, T0), { code: RetCode.NOEXIST, pull: false, refused: true });
  assert.deepEqual(table.getRoute(1, 4, T0), { hosts: [], pull: false, refused: true });
  assert.equal(table.size, 2);
  assert.equal(table.refused, 2);
  assert.equal(table.restore(1, 5, [A], T0), false);
  table.applyUpdate(1, 1, [A], T0);
  assert.deepEqual(table.getHost(1, 1, T0), { code: RetCode.SUCC, host: A, pull: false });
  // An empty answer for a module that never had hosts frees its place.
  assert.equal(table.applyUpdate(1, 2, [], T0), "deleted");
  assert.deepEqual(table.getHost(1, 3, T0), { code: RetCode.NOEXIST, pull: true });
  assert.throws(() => new RouteTable({}, undefined, { maxModules: 0 }), RangeError);
});

Deno.test("route_table - forget drops a module without hosts, never one with hosts", () => {
  const table = tableWith([A]);
  table.getHost(3, 3, T0);
  assert.equal(table.forget(1, 2), false);
  assert.equal(table.forget(3, 3), true);
  assert.equal(table.forget(3, 3), false);
  assert.equal(table.size, 1);
});

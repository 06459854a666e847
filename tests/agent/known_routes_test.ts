import assert from "node:assert/strict";
import { KnownRoutes, sameHosts } from "../../agent/known_routes.ts";
import type { HostInfo } from "../../proto/mod.ts";

const T0 = 1_700_000_000;
const A: HostInfo = { ip: 0x0A000001, port: 9001 };
const B: HostInfo = { ip: 0xC0A80002, port: 9002 };

/** Known routes where module (1, 2) was pulled and DNS answered `hosts` at T0. */
function knownWith(hosts: HostInfo[], hold = 300): KnownRoutes {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: hold });
  known.pulled(1, 2);
  known.onRoute(1, 2, hosts, T0);
  return known;
}

Deno.test("known_routes - a pull makes a module known; the answer stores its hosts", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 300 });
  known.pulled(1, 2);
  known.pulled(1, 2);
  assert.equal(known.size, 1);
  assert.deepEqual(known.get(1, 2), { modid: 1, cmdid: 2, hosts: [], updatedAt: 0 });
  assert.deepEqual(known.onRoute(1, 2, [A, B], T0), { hosts: [A, B], changed: true, held: false });
  assert.deepEqual(known.get(1, 2)?.hosts, [A, B]);
  assert.equal(known.get(1, 2)?.updatedAt, T0);
  // The same hosts again, in another order: not a change, but still sent on (answers a pull).
  assert.deepEqual(known.onRoute(1, 2, [B, A], T0 + 5), {
    hosts: [B, A],
    changed: false,
    held: false,
  });
  assert.equal(known.get(1, 2)?.updatedAt, T0 + 5);
});

Deno.test("known_routes - an empty answer for a module that had hosts keeps them for the hold", () => {
  const known = knownWith([A, B], 300);
  assert.deepEqual(known.onRoute(1, 2, [], T0 + 10), { hosts: [A, B], changed: false, held: true });
  assert.equal(known.heldCount, 1);
  // Later empty answers (pushes, refresh pulls) keep holding, from the first one's time.
  assert.deepEqual(known.onRoute(1, 2, [], T0 + 309), {
    hosts: [A, B],
    changed: false,
    held: true,
  });
  assert.deepEqual(known.expireHolds(T0 + 309.9), []);
  assert.deepEqual(known.takeEmptySummary(), { held: 1, removed: 0, expired: 0, recovered: 0 });
  // Held for 300 s: the module goes.
  assert.deepEqual(known.expireHolds(T0 + 310), [{ modid: 1, cmdid: 2 }]);
  assert.equal(known.get(1, 2), undefined);
  assert.equal(known.heldCount, 0);
  assert.deepEqual(known.takeEmptySummary(), { held: 0, removed: 0, expired: 1, recovered: 0 });
});

Deno.test("known_routes - an empty answer after the hold ran out removes the module at once", () => {
  const known = knownWith([A], 60);
  known.onRoute(1, 2, [], T0 + 1);
  assert.deepEqual(known.onRoute(1, 2, [], T0 + 61), { hosts: [], changed: true, held: false });
  assert.equal(known.size, 0);
  assert.deepEqual(known.takeEmptySummary(), { held: 1, removed: 0, expired: 1, recovered: 0 });
});

Deno.test("known_routes - hosts arriving during the hold end it", () => {
  const known = knownWith([A], 300);
  known.onRoute(1, 2, [], T0 + 1);
  assert.deepEqual(known.onRoute(1, 2, [B], T0 + 2), { hosts: [B], changed: true, held: false });
  assert.equal(known.heldCount, 0);
  assert.deepEqual(known.expireHolds(T0 + 1000), []);
  assert.deepEqual(known.get(1, 2)?.hosts, [B]);
  // A new wipe starts a new hold from its own time.
  known.onRoute(1, 2, [], T0 + 500);
  assert.deepEqual(known.expireHolds(T0 + 799), []);
  assert.deepEqual(known.expireHolds(T0 + 800), [{ modid: 1, cmdid: 2 }]);
  assert.deepEqual(known.takeEmptySummary(), { held: 2, removed: 0, expired: 1, recovered: 1 });
});

Deno.test("known_routes - a hold of 0 removes at once, as the original", () => {
  const known = knownWith([A], 0);
  assert.deepEqual(known.onRoute(1, 2, [], T0 + 1), { hosts: [], changed: true, held: false });
  assert.equal(known.size, 0);
  assert.deepEqual(known.takeEmptySummary(), { held: 0, removed: 1, expired: 0, recovered: 0 });
});

Deno.test("known_routes - an empty answer for a module never served removes it quietly", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 300 });
  known.pulled(7, 7);
  assert.deepEqual(known.onRoute(7, 7, [], T0), { hosts: [], changed: false, held: false });
  assert.equal(known.size, 0);
  // An answer for a module never pulled: sent on (the shard ignores it), nothing stored.
  assert.deepEqual(known.onRoute(8, 8, [], T0), { hosts: [], changed: false, held: false });
  assert.equal(known.size, 0);
  assert.deepEqual(known.takeEmptySummary(), { held: 0, removed: 0, expired: 0, recovered: 0 });
});

Deno.test("known_routes - a wipe of many modules is one summary, not one per module", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 30 });
  for (let m = 0; m < 1000; m++) {
    known.pulled(m, 1);
    known.onRoute(m, 1, [A], T0);
  }
  for (let m = 0; m < 1000; m++) known.onRoute(m, 1, [], T0 + 1);
  assert.deepEqual(known.takeEmptySummary(), { held: 1000, removed: 0, expired: 0, recovered: 0 });
  assert.equal(known.expireHolds(T0 + 31).length, 1000);
  assert.deepEqual(known.takeEmptySummary(), { held: 0, removed: 0, expired: 1000, recovered: 0 });
});

Deno.test("known_routes - reconnect pulls every known module once; restore and withHosts", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 300 });
  known.restore({ modid: 1, cmdid: 1, hosts: [A], updatedAt: T0 - 50 });
  known.restore({ modid: 9, cmdid: 9, hosts: [], updatedAt: T0 });
  known.pulled(2, 2);
  known.pulled(1, 1);
  assert.deepEqual(known.modules(), [{ modid: 1, cmdid: 1 }, { modid: 2, cmdid: 2 }]);
  assert.deepEqual(
    [...known.withHosts()],
    [{ modid: 1, cmdid: 1, hosts: [A], updatedAt: T0 - 50 }],
  );
});

Deno.test("known_routes - heartbeat probes go round-robin over known modules", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 300 });
  assert.equal(known.nextProbe(), undefined);
  known.pulled(1, 1);
  known.pulled(2, 2);
  const probes = Array.from({ length: 5 }, () => known.nextProbe());
  assert.deepEqual(probes.map((m) => m?.modid), [1, 2, 1, 2, 1]);
  known.onRoute(1, 1, [], T0); // never served: removed
  assert.deepEqual([known.nextProbe(), known.nextProbe()].map((m) => m?.modid), [2, 2]);
});

Deno.test("known_routes - rejects a bad hold; sameHosts ignores order", () => {
  assert.throws(() => new KnownRoutes({ emptyRouteHoldSeconds: -1 }), RangeError);
  assert.throws(() => new KnownRoutes({ emptyRouteHoldSeconds: NaN }), RangeError);
  assert.equal(sameHosts([A, B], [B, A]), true);
  assert.equal(sameHosts([A], [B]), false);
  assert.equal(sameHosts([A], [A, B]), false);
});

Deno.test("known routes - maxModules: pulls of new modules past it are refused", () => {
  const known = new KnownRoutes({ emptyRouteHoldSeconds: 300, maxModules: 2 });
  assert.equal(known.pulled(1, 1), true);
  assert.equal(known.pulled(1, 2), true);
  assert.equal(known.pulled(1, 1), true, "a known module is not refused");
  assert.equal(known.pulled(1, 3), false);
  assert.equal(known.size, 2);
  // A route nobody asked for is passed on but not kept while full.
  assert.equal(known.onRoute(9, 9, [A], T0).hosts.length, 1);
  assert.equal(known.get(9, 9), undefined);
  known.restore({ modid: 8, cmdid: 8, hosts: [A], updatedAt: 1 });
  assert.equal(known.size, 2);
  // DNS says 1/2 does not exist: forgotten at once, which frees its place.
  known.onRoute(1, 2, [], T0);
  assert.equal(known.get(1, 2), undefined);
  assert.equal(known.pulled(1, 3), true);
  assert.throws(() => new KnownRoutes({ emptyRouteHoldSeconds: 0, maxModules: 0 }), RangeError);
});

/**
 * The frame-size half of the route store contract (see `contract.ts`): no route
 * write grows a module past what one DNS answer frame holds, checked inside the
 * write's transaction.
 *
 * @module
 */

import assert from "node:assert/strict";
import { largestBodySize, MAX_BODY_SIZE } from "../../proto/frame_budget.ts";
import { intToIp } from "../../proto/ip.ts";
import { ModuleTooLargeError, openRouteStore, type RouteRow } from "../../store/mod.ts";
import type { ContractContext } from "./contract.ts";

/** Host `i` of module 7/1 (10.0.x.x: 5-byte addresses on the wire). */
function host(i: number, modid = 7): RouteRow {
  return { modid, cmdid: 1, ip: 0x0A000000 + i, port: 9000 };
}

/** Hosts of module 7/1 whose largest answer fits one frame: one more would not. */
export function hostsThatFillAFrame(): number {
  let n = 0;
  while (largestBodySize(7, 1, Array.from({ length: n + 1 }, (_, i) => host(i))) <= MAX_BODY_SIZE) {
    n++;
  }
  return n;
}

/** Registers the frame-size tests of the route store contract. */
export function registerFrameContract({ test, withStores }: ContractContext): void {
  const full = hostsThatFillAFrame();
  const fill = (count: number, from = 0) => Array.from({ length: count }, (_, i) => host(from + i));
  const refusal = (action: string, hosts: number) =>
    new RegExp(
      `^${action}: module 7/1 would have ${hosts} hosts, a route answer of \\d+ bytes, ` +
        `over the ${MAX_BODY_SIZE}-byte limit of one frame`,
    );

  test("an import that would overflow a module's frame is refused whole", async () => {
    await withStores(async (routes) => {
      const error = await routes.importRoutes([...fill(full + 1), host(1, 8)], { replace: false })
        .then(() => assert.fail("imported"), (e: unknown) => e);
      assert.ok(error instanceof ModuleTooLargeError, String(error));
      assert.match(error.message, refusal("refusing to import", full + 1));
      assert.deepEqual([error.modid, error.cmdid, error.hosts, error.limit], [
        7,
        1,
        full + 1,
        MAX_BODY_SIZE,
      ]);
      assert.equal(await routes.version(), 0);
      assert.deepEqual(await routes.loadRoutes(), []); // module 8/1 was not written either
      // Exactly full fits; merging one more on top is refused; replacing one host is not.
      assert.equal((await routes.importRoutes(fill(full), { replace: false })).added, full);
      const version = await routes.version();
      await assert.rejects(
        routes.importRoutes([host(full)], { replace: false }),
        (e: unknown) =>
          e instanceof ModuleTooLargeError && refusal("refusing to import", full + 1)
            .test(e.message),
      );
      const swapped = await routes.importRoutes(fill(full, 1), { replace: true });
      assert.deepEqual([swapped.added, swapped.removed], [1, 1]);
      assert.ok(swapped.version > version);
      assert.equal((await routes.listRoutes({ modid: 7, cmdid: 1 })).length, full);
    });
  });

  test("addHost refuses to overflow a module's frame, also when two add at once", async () => {
    await withStores(async (routes, _reports, url) => {
      await routes.importRoutes(fill(full), { replace: false });
      const version = await routes.version();
      const next = host(full);
      await assert.rejects(
        routes.addHost(7, 1, next.ip, next.port, "test"),
        (e: unknown) =>
          e instanceof ModuleTooLargeError &&
          refusal(`refusing to add ${intToIp(next.ip)}:9000`, full + 1).test(e.message),
      );
      assert.equal(await routes.version(), version);
      assert.deepEqual(await routes.addHost(7, 1, 0x0A000000, 9000), { added: false, version });
      // Room for one: two stores (two connections) add a different host each, at once.
      await routes.removeHost(7, 1, 0x0A000000, 9000);
      const other = await openRouteStore(url);
      try {
        const results = await Promise.allSettled([
          routes.addHost(7, 1, host(full + 1).ip, 9000),
          other.addHost(7, 1, host(full + 2).ip, 9000),
        ]);
        const added = results.filter((r) => r.status === "fulfilled" && r.value.added);
        const refused = results.filter((r) =>
          r.status === "rejected" && r.reason instanceof ModuleTooLargeError
        );
        assert.deepEqual([added.length, refused.length], [1, 1], JSON.stringify(results));
      } finally {
        await other.close();
      }
      assert.equal((await routes.listRoutes({ modid: 7, cmdid: 1 })).length, full);
    });
  });
}

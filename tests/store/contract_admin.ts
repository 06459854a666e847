/**
 * The administration half of the route store contract (see `contract.ts`):
 * audit rows, updateHost, importRoutes, paging, search, the change log, names,
 * and transactions that fail mid-way.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type RouteRow, type RouteStore, StoreError } from "../../store/mod.ts";
import type { ContractContext } from "./contract.ts";
import { IPS } from "./contract_reports.ts";

const { low: IP_LOW, high: IP_HIGH } = IPS;

function host(modid: number, cmdid: number, port: number, ip = IP_LOW): RouteRow {
  return { modid, cmdid, ip, port };
}

async function auditActions(routes: RouteStore): Promise<string[]> {
  const { entries } = await routes.listAudit({ limit: 1000, offset: 0 });
  return entries.map((e) => `${e.user} ${e.action} ${e.modid}/${e.cmdid}`);
}

/** Registers the administration tests of the route store contract. */
export function registerAdminContract({ backend, test, withStores }: ContractContext): void {
  test("every write adds one audit row in its transaction; no-ops add none", async () => {
    await withStores(async (routes) => {
      const before = Math.floor(Date.now() / 1000);
      await routes.addHost(1, 2, IP_LOW, 80, "alice");
      await routes.addHost(1, 2, IP_LOW, 80, "alice"); // already there: nothing
      await routes.updateHost(1, 2, IP_LOW, 80, IP_HIGH, 81, "bob");
      await routes.removeHost(1, 2, IP_LOW, 80, "bob"); // absent: nothing
      await routes.removeHost(1, 2, IP_HIGH, 81);
      await routes.importRoutes([host(3, 4, 1), host(3, 4, 2)], {
        replace: false,
        actor: "cli:op",
      });
      await routes.removeModule(3, 4, "carol");
      await routes.setModName(3, "search", "dave");
      await routes.setCmdName(4, "query", "dave");
      await routes.removeModName(3, "dave");
      assert.equal(await routes.removeModName(3, "dave"), false);
      assert.deepEqual(await auditActions(routes), [
        "dave name 3/0",
        "dave name 0/4",
        "dave name 3/0",
        "carol remove-module 3/4",
        "cli:op import 0/0",
        " remove 1/2",
        "bob update 1/2",
        "alice add 1/2",
      ]);
      const { total, entries } = await routes.listAudit({ limit: 2, offset: 5 });
      assert.equal(total, 8);
      assert.deepEqual(entries.map((e) => e.action), ["remove", "update"]);
      assert.equal(entries[1].detail, "moved 10.0.0.1:80 to 192.168.1.1:81");
      assert.ok(entries[1].id > 0 && entries[0].id > entries[1].id);
      assert.ok(entries[0].ts >= before && entries[0].ts <= Math.floor(Date.now() / 1000));
    });
  });

  test("a write failing mid-way writes nothing (audit or change table missing)", async () => {
    await withStores(async (routes, _reports, url) => {
      const { version } = await routes.addHost(3, 3, IP_LOW, 1);
      await backend.rawExec(url, "DROP TABLE RouteAudit");
      await assert.rejects(routes.addHost(3, 3, IP_LOW, 2), StoreError);
      await assert.rejects(routes.updateHost(3, 3, IP_LOW, 1, IP_LOW, 9), StoreError);
      await assert.rejects(routes.setModName(3, "x"), StoreError);
      await routes.init(); // recreates RouteAudit
      await backend.rawExec(url, "DROP TABLE RouteChange");
      await assert.rejects(
        routes.importRoutes([host(3, 3, 5), host(4, 4, 5)], { replace: true }),
        StoreError,
      );
      await assert.rejects(routes.removeModule(3, 3), StoreError);
      assert.deepEqual(await routes.listRoutes(), [host(3, 3, 1)]);
      assert.equal(await routes.version(), version);
      assert.deepEqual((await routes.listNames()).modules, []);
      assert.equal((await routes.listAudit({ limit: 10, offset: 0 })).total, 0);
      await routes.init();
      assert.equal((await routes.updateHost(3, 3, IP_LOW, 1, IP_LOW, 9)).updated, true);
    });
  });

  test("updateHost moves a host; a missing old or an existing new host writes nothing", async () => {
    await withStores(async (routes) => {
      await routes.addHost(1, 1, IP_LOW, 1);
      const { version } = await routes.addHost(1, 1, IP_LOW, 2);
      const taken = await routes.updateHost(1, 1, IP_LOW, 1, IP_LOW, 2);
      assert.deepEqual(taken, { updated: false, version });
      const absent = await routes.updateHost(1, 1, IP_HIGH, 1, IP_HIGH, 3);
      assert.deepEqual(absent, { updated: false, version });
      assert.deepEqual(await routes.updateHost(1, 1, IP_LOW, 1, IP_LOW, 1), {
        updated: false,
        version,
      });
      assert.equal((await routes.changesSince(0)).length, 2);
      const moved = await routes.updateHost(1, 1, IP_LOW, 1, IP_HIGH, 7);
      assert.equal(moved.updated, true);
      assert.ok(moved.version > version);
      assert.equal(await routes.version(), moved.version);
      assert.deepEqual(await routes.listRoutes(), [host(1, 1, 2), host(1, 1, 7, IP_HIGH)]);
      const changes = await routes.changesSince(moved.version);
      assert.deepEqual(changes.map((c) => [c.modid, c.cmdid, c.version]), [[1, 1, moved.version]]);
      await assert.rejects(routes.updateHost(1, 1, IP_LOW, 2, IP_LOW, 0), RangeError);
      await assert.rejects(routes.updateHost(1, 1, IP_LOW, 2, IP_LOW, 3, "x", 0), RangeError);
      // A move that sets the weight too: one transaction, one audit row naming both.
      const both = await routes.updateHost(1, 1, IP_HIGH, 7, IP_HIGH, 8, "erin", 4);
      assert.equal(both.updated, true);
      assert.deepEqual((await routes.listRoutes())[1], { ...host(1, 1, 8, IP_HIGH), weight: 4 });
      const [entry] = (await routes.listAudit({ limit: 1, offset: 0 })).entries;
      assert.equal(entry.detail, "moved 192.168.1.1:7 to 192.168.1.1:8, weight 1 -> 4");
      // Without a weight, a move keeps the one the host has.
      await routes.updateHost(1, 1, IP_HIGH, 8, IP_HIGH, 9);
      assert.equal((await routes.listRoutes())[1].weight, 4);
    });
  });

  test("importRoutes merges or replaces in one transaction, one change row per module", async () => {
    await withStores(async (routes) => {
      await routes.addHost(1, 1, IP_LOW, 1);
      await routes.addHost(1, 1, IP_LOW, 2);
      const { version: v0 } = await routes.addHost(9, 9, IP_LOW, 1);
      const merged = await routes.importRoutes(
        [host(1, 1, 2), host(1, 1, 3), host(1, 1, 3), host(2, 2, 1)],
        { replace: false, actor: "alice" },
      );
      assert.equal(merged.added, 2);
      assert.equal(merged.removed, 0);
      assert.ok(merged.version > v0);
      const mergeChanges = await routes.changesSince(merged.version);
      assert.deepEqual(mergeChanges.map((c) => `${c.modid}/${c.cmdid}`).sort(), ["1/1", "2/2"]);
      assert.deepEqual((await routes.listRoutes({ modid: 1 })).map((r) => r.port), [1, 2, 3]);

      const replaced = await routes.importRoutes([host(1, 1, 3), host(1, 1, 4), host(2, 2, 1)], {
        replace: true,
      });
      assert.deepEqual({ ...replaced, version: 0 }, { added: 1, removed: 2, version: 0 });
      assert.ok(replaced.version > merged.version);
      assert.deepEqual(
        (await routes.changesSince(replaced.version)).map((c) => `${c.modid}/${c.cmdid}`),
        ["1/1"],
      );
      assert.deepEqual(await routes.listRoutes(), [
        host(1, 1, 3),
        host(1, 1, 4),
        host(2, 2, 1),
        host(9, 9, 1),
      ]);
      assert.deepEqual(await routes.importRoutes([host(2, 2, 1)], { replace: true }), {
        added: 0,
        removed: 0,
        version: replaced.version,
      });
      await assert.rejects(
        routes.importRoutes([host(5, 5, 1), host(5, 5, 70000)], { replace: false }),
        RangeError,
      );
      assert.equal(await routes.version(), replaced.version);
      assert.deepEqual(
        await routes.loadModuleRoutes([{ modid: 2, cmdid: 2 }, { modid: 1, cmdid: 1 }, {
          modid: 1,
          cmdid: 1,
        }, { modid: 7, cmdid: 7 }]),
        [host(1, 1, 3), host(1, 1, 4), host(2, 2, 1)],
      );
      assert.deepEqual(await routes.loadModuleRoutes([]), []);
    });
  });

  test("importRoutes of 2,500 hosts in 250 modules", async () => {
    await withStores(async (routes) => {
      const rows = Array.from({ length: 2500 }, (_, i) => host(1 + (i % 250), 1, 1000 + i));
      const result = await routes.importRoutes(rows, { replace: true });
      assert.equal(result.added, 2500);
      assert.equal((await routes.changesSince(result.version)).length, 250);
      assert.equal((await routes.loadRoutes()).length, 2500);
      const half = rows.filter((_, i) => i % 500 < 250); // 5 of the 10 hosts of each module
      const again = await routes.importRoutes(half, { replace: true });
      assert.deepEqual({ added: again.added, removed: again.removed }, { added: 0, removed: 1250 });
      assert.equal((await routes.loadRoutes()).length, 1250);
    });
  });

  test("listRoutes pages; listModules counts, pages and searches", async () => {
    await withStores(async (routes) => {
      await routes.importRoutes(
        [
          ...[1, 2, 3].map((port) => host(1, 1, port)),
          host(1, 2, 1),
          host(2, 10, 1),
          host(2, 10, 2),
          host(12, 3, 1),
        ],
        { replace: false },
      );
      await routes.setModName(2, "Pay_ments 100%");
      await routes.setCmdName(3, "charge");
      const page = await routes.listRoutes({ limit: 2, offset: 2 });
      assert.deepEqual(page, [host(1, 1, 3), host(1, 2, 1)]);
      assert.deepEqual(await routes.listRoutes({ modid: 2, offset: 1 }), [host(2, 10, 2)]);
      assert.deepEqual(await routes.listRoutes({ limit: 1 }), [host(1, 1, 1)]);

      const all = await routes.listModules({ limit: 10, offset: 0 });
      assert.equal(all.total, 4);
      assert.deepEqual(all.modules.map((m) => `${m.modid}/${m.cmdid}:${m.hosts}`), [
        "1/1:3",
        "1/2:1",
        "2/10:2",
        "12/3:1",
      ]);
      const second = await routes.listModules({ limit: 2, offset: 2 });
      assert.equal(second.total, 4);
      assert.deepEqual(second.modules.map((m) => m.modid), [2, 12]);
      const keys = async (search: string) =>
        (await routes.listModules({ search, limit: 10, offset: 0 })).modules.map((m) =>
          `${m.modid}/${m.cmdid}`
        );
      assert.deepEqual(await keys("2"), ["1/2", "2/10"]); // modid 2 or cmdid 2
      assert.deepEqual(await keys(" 10 "), ["2/10"]);
      assert.deepEqual(await keys("ments 100%"), ["2/10"]); // % is a literal
      assert.deepEqual(await keys("y_m"), ["2/10"]);
      assert.deepEqual(await keys("a_m"), []); // _ is a literal, not a wildcard
      assert.deepEqual(await keys("charg"), ["12/3"]);
      assert.deepEqual(await keys("nothing"), []);
      // modid 1, cmdid 1, or "1" in a name ("Pay_ments 100%" of module 2).
      const ones = await routes.listModules({ search: "1", limit: 1, offset: 0 });
      assert.deepEqual(ones, { total: 3, modules: [{ modid: 1, cmdid: 1, hosts: 3 }] });
      await assert.rejects(routes.listModules({ limit: 0, offset: 0 }), RangeError);
      await assert.rejects(routes.listModules({ limit: 1, offset: -1 }), RangeError);
      await assert.rejects(
        routes.listModules({ limit: 1, offset: 0, search: "x".repeat(256) }),
        RangeError,
      );
      await assert.rejects(routes.listRoutes({ limit: 100_001 }), RangeError);
    });
  });

  test("changesSince, deleteChangesBefore and listChanges", async () => {
    await withStores(async (routes) => {
      const v1 = (await routes.addHost(1, 1, IP_LOW, 1)).version;
      const v2 = (await routes.addHost(2, 2, IP_LOW, 1)).version;
      const v3 = (await routes.addHost(3, 3, IP_LOW, 1)).version;
      const since = await routes.changesSince(v2);
      assert.deepEqual(since.map((c) => [c.modid, c.version]), [[2, v2], [3, v3]]);
      assert.ok(since[1].id > since[0].id);
      const log = await routes.listChanges({ limit: 2, offset: 0 });
      assert.equal(log.total, 3);
      assert.deepEqual(log.changes.map((c) => c.version), [v3, v2]);
      assert.deepEqual(
        (await routes.listChanges({ limit: 5, offset: 2 })).changes.map((c) => c.version),
        [v1],
      );
      assert.equal(await routes.deleteChangesBefore(v2), 1);
      assert.equal(await routes.deleteChangesBefore(v2), 0);
      assert.deepEqual((await routes.changesSince(0)).map((c) => c.version), [v2, v3]);
      await assert.rejects(routes.changesSince(0.5), RangeError);
    });
  });

  test("names: set, replace, remove; bad actors are rejected before any write", async () => {
    await withStores(async (routes) => {
      await routes.setCmdName(7, "charge");
      await routes.setModName(1, "payments");
      assert.equal(await routes.removeCmdName(7, "cli:root"), true);
      assert.equal(await routes.removeCmdName(7), false);
      assert.deepEqual(await routes.listNames(), {
        modules: [{ modid: 1, name: "payments" }],
        commands: [],
      });
      await assert.rejects(routes.addHost(1, 1, IP_LOW, 1, "x".repeat(256)), RangeError);
      await assert.rejects(routes.setModName(1, "y", 5 as unknown as string), TypeError);
      await assert.rejects(
        routes.importRoutes([host(1, 1, 1)], { replace: "yes" as unknown as boolean }),
        TypeError,
      );
      assert.deepEqual(await routes.loadRoutes(), []);
      assert.equal((await routes.listAudit({ limit: 10, offset: 0 })).total, 3);
    });
  });
}

/**
 * The store contract: one suite of Deno tests run against every store
 * implementation (SQLite in `sqlite_test.ts`, MySQL/MariaDB in `mysql_test.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  openReportStore,
  openRouteStore,
  type ReportStore,
  type RouteChangeRow,
  type RouteRow,
  type RouteStore,
  type StatusRow,
  StoreError,
} from "../../store/mod.ts";
import { registerAdminContract } from "./contract_admin.ts";
import { registerFrameContract } from "./contract_frame.ts";
import { historyRow, IPS, registerReportContract, statusRow } from "./contract_reports.ts";

export { historyRow, manyStatusRows, statusRow } from "./contract_reports.ts";

/** What the contract needs from a backend. */
export interface ContractBackend {
  /** Name used in test names, e.g. "sqlite". */
  name: string;
  /** Why the backend cannot run here, or null when it can. */
  unavailable: string | null;
  /** Extra Deno.test options (sanitizers). */
  testOptions?: Partial<Deno.TestDefinition>;
  /** The store URL of a fresh, empty database. */
  freshUrl(): Promise<string>;
  /** Runs raw SQL without placeholders on the database of `url` (setup and fault injection). */
  rawExec(url: string, sql: string): Promise<void>;
}

/** What the contract tests get: the backend, a test registrar and store openers. */
export interface ContractContext {
  /** The backend under test. */
  backend: ContractBackend;
  /** Registers one test named after the backend. */
  test: (name: string, fn: () => Promise<void>) => void;
  /** Runs `fn` with a route store and a report store (with history) on a fresh database. */
  withStores: (
    fn: (routes: RouteStore, reports: ReportStore, url: string) => Promise<void>,
  ) => Promise<void>;
}

const { low: IP_LOW, high: IP_HIGH, max: IP_MAX, at128: IP_128 } = IPS;

/** Change rows without their ids (which depend on the database's auto-increment). */
export function noIds(rows: readonly RouteChangeRow[]): Omit<RouteChangeRow, "id">[] {
  return rows.map(({ id: _id, ...rest }) => rest);
}

export function registerStoreContract(backend: ContractBackend): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({
      name: `store ${backend.name} - ${name}`,
      ignore: backend.unavailable !== null,
      ...backend.testOptions,
      fn,
    });

  async function withStores(
    fn: (routes: RouteStore, reports: ReportStore, url: string) => Promise<void>,
  ): Promise<void> {
    const url = await backend.freshUrl();
    const routes = await openRouteStore(url);
    try {
      const reports = await openReportStore(url, { history: true });
      try {
        await fn(routes, reports, url);
      } finally {
        await reports.close();
      }
    } finally {
      await routes.close();
    }
  }

  test("schema is created when missing and init twice is harmless", async () => {
    await withStores(async (routes, reports, url) => {
      assert.equal(await routes.version(), 0);
      await routes.init();
      await reports.init();
      for (
        const table of [
          "RouteData",
          "RouteVersion",
          "RouteChange",
          "ModIDConfig",
          "CmdIDConfig",
          "RouteAudit",
          "ServerCallStatus",
          "ServerCallHistory",
        ]
      ) {
        await backend.rawExec(url, `SELECT COUNT(*) FROM ${table}`);
      }
      assert.deepEqual(await routes.loadRoutes(), []);
      assert.deepEqual(await reports.listStatus(), []);
      assert.equal(await routes.version(), 0);
    });
  });

  test("existing rows survive init", async () => {
    const url = await backend.freshUrl();
    let version = 0;
    await withStoresAt(url, async (routes, reports) => {
      version = (await routes.addHost(1, 2, IP_HIGH, 80)).version;
      await routes.setModName(1, "payments");
      await reports.upsertStatus([statusRow()]);
    });
    await withStoresAt(url, async (routes, reports) => {
      await routes.init();
      await reports.init();
      assert.deepEqual(await routes.loadRoutes(), [{ modid: 1, cmdid: 2, ip: IP_HIGH, port: 80 }]);
      assert.equal(await routes.version(), version);
      assert.deepEqual((await routes.listNames()).modules, [{ modid: 1, name: "payments" }]);
      assert.deepEqual(await reports.listStatus(), [statusRow()]);
    });
  });

  test("addHost writes RouteData, RouteChange and RouteVersion together", async () => {
    await withStores(async (routes) => {
      const before = Math.floor(Date.now() / 1000);
      const first = await routes.addHost(5, 6, IP_LOW, 8080);
      assert.equal(first.added, true);
      assert.ok(first.version >= before, `version ${first.version} is now in seconds`);
      assert.equal(await routes.version(), first.version);
      assert.deepEqual(await routes.listRoutes(), [{ modid: 5, cmdid: 6, ip: IP_LOW, port: 8080 }]);
      assert.deepEqual(noIds(await routes.changesUpTo(first.version)), [
        { modid: 5, cmdid: 6, version: first.version },
      ]);

      const again = await routes.addHost(5, 6, IP_LOW, 8080);
      assert.deepEqual(again, { added: false, version: first.version });
      assert.equal(await routes.version(), first.version);
      assert.equal((await routes.loadRoutes()).length, 1);
      assert.equal((await routes.changesUpTo(Number.MAX_SAFE_INTEGER)).length, 1);
    });
  });

  test("weights: addHost stores one, every read carries it, 1 is left out", async () => {
    await withStores(async (routes) => {
      await routes.addHost(5, 6, IP_LOW, 8080, "test", 3);
      await routes.addHost(5, 6, IP_HIGH, 8081, "test");
      await routes.addHost(5, 6, IP_HIGH, 8082, undefined, 1);
      const expected = [
        { modid: 5, cmdid: 6, ip: IP_LOW, port: 8080, weight: 3 },
        { modid: 5, cmdid: 6, ip: IP_HIGH, port: 8081 },
        { modid: 5, cmdid: 6, ip: IP_HIGH, port: 8082 },
      ];
      assert.deepEqual(await routes.listRoutes(), expected);
      assert.deepEqual(await routes.loadModuleRoutes([{ modid: 5, cmdid: 6 }]), expected);
      const byPort = (a: RouteRow, b: RouteRow) => a.port - b.port;
      assert.deepEqual((await routes.loadRoutes()).sort(byPort), expected);
      for (const bad of [0, -1, 1.5, 10_001, Number.NaN]) {
        await assert.rejects(() => routes.addHost(5, 6, IP_LOW, 9000, "test", bad), RangeError);
      }
    });
  });

  test("weights: setHostWeight and imports change them, audited; merge keeps unstated ones", async () => {
    await withStores(async (routes) => {
      await routes.addHost(5, 6, IP_LOW, 8080, "test", 3);
      const set = await routes.setHostWeight(5, 6, IP_LOW, 8080, 7, "ops");
      assert.equal(set.updated, true);
      assert.equal(await routes.version(), set.version);
      assert.deepEqual(await routes.setHostWeight(5, 6, IP_LOW, 8080, 7), {
        updated: false,
        version: set.version,
      });
      assert.equal((await routes.setHostWeight(5, 6, IP_HIGH, 1, 2)).updated, false, "absent");
      await assert.rejects(() => routes.setHostWeight(5, 6, IP_LOW, 8080, 0), RangeError);
      const { entries } = await routes.listAudit({ limit: 1, offset: 0 });
      assert.match(entries[0].detail, /weight of .*:8080: 3 -> 7/);

      // Merge: a row without weight keeps the stored one; a row with one sets it.
      await routes.importRoutes([{ modid: 5, cmdid: 6, ip: IP_LOW, port: 8080 }], {
        replace: false,
      });
      assert.equal((await routes.listRoutes())[0].weight, 7);
      const merged = await routes.importRoutes([
        { modid: 5, cmdid: 6, ip: IP_LOW, port: 8080, weight: 2 },
        { modid: 5, cmdid: 6, ip: IP_HIGH, port: 8081, weight: 4 },
      ], { replace: false });
      assert.equal(merged.added, 1);
      assert.deepEqual((await routes.listRoutes()).map((r) => r.weight), [2, 4]);
      // Replace: a row without weight means 1.
      await routes.importRoutes([{ modid: 5, cmdid: 6, ip: IP_LOW, port: 8080 }], {
        replace: true,
      });
      assert.deepEqual(await routes.listRoutes(), [{ modid: 5, cmdid: 6, ip: IP_LOW, port: 8080 }]);
      await assert.rejects(
        () =>
          routes.importRoutes([{ modid: 5, cmdid: 6, ip: 1, port: 1, weight: 0 }], {
            replace: false,
          }),
        RangeError,
      );
    });
  });

  test("removeHost and removeModule write all three tables, absent hosts nothing", async () => {
    await withStores(async (routes) => {
      await routes.addHost(1, 1, IP_LOW, 1);
      await routes.addHost(1, 1, IP_LOW, 2);
      const added = await routes.addHost(1, 1, IP_LOW, 3);

      const removed = await routes.removeHost(1, 1, IP_LOW, 2);
      assert.equal(removed.removed, true);
      assert.ok(removed.version > added.version);
      assert.equal(await routes.version(), removed.version);
      assert.deepEqual((await routes.listRoutes()).map((row) => row.port), [1, 3]);

      const absent = await routes.removeHost(1, 1, IP_LOW, 2);
      assert.deepEqual(absent, { removed: false, version: removed.version });

      const module = await routes.removeModule(1, 1);
      assert.equal(module.removed, 2);
      assert.ok(module.version > removed.version);
      assert.deepEqual(await routes.listRoutes(), []);
      const none = await routes.removeModule(1, 1);
      assert.deepEqual(none, { removed: 0, version: module.version });
      const changes = await routes.changesUpTo(module.version);
      assert.equal(changes.length, 5);
      assert.deepEqual(noIds(changes.slice(3)), [
        { modid: 1, cmdid: 1, version: removed.version },
        { modid: 1, cmdid: 1, version: module.version },
      ]);
    });
  });

  test("a failed edit writes nothing", async () => {
    await withStores(async (routes, _reports, url) => {
      const { version } = await routes.addHost(3, 3, IP_LOW, 1);
      await backend.rawExec(url, "DROP TABLE RouteChange");
      await assert.rejects(routes.addHost(3, 3, IP_LOW, 2), StoreError);
      await assert.rejects(routes.removeHost(3, 3, IP_LOW, 1), StoreError);
      assert.deepEqual((await routes.listRoutes()).map((row) => row.port), [1]);
      assert.equal(await routes.version(), version);
      await routes.init(); // recreates the missing table
      assert.equal((await routes.addHost(3, 3, IP_LOW, 2)).added, true);
      assert.equal((await routes.changesUpTo(Number.MAX_SAFE_INTEGER)).length, 1);
    });
  });

  test("version strictly increases across edits in the same second", async () => {
    await withStores(async (routes) => {
      const versions: number[] = [];
      for (let port = 1; port <= 6; port++) {
        versions.push((await routes.addHost(9, 9, IP_LOW, port)).version);
        versions.push((await routes.removeHost(9, 9, IP_LOW, port)).version);
      }
      for (let i = 1; i < versions.length; i++) {
        assert.ok(versions[i] > versions[i - 1], `versions ${versions.join(",")} increase`);
      }
      // Twelve edits take far less than twelve seconds: versions are not far ahead of the clock.
      assert.ok(versions.at(-1)! <= Math.floor(Date.now() / 1000) + 12);
      assert.equal(await routes.version(), versions.at(-1));
    });
  });

  test("changesUpTo, deleteChangesUpTo and deleteAllChanges", async () => {
    await withStores(async (routes) => {
      const v1 = (await routes.addHost(1, 1, IP_LOW, 1)).version;
      const v2 = (await routes.addHost(2, 2, IP_LOW, 1)).version;
      const v3 = (await routes.addHost(3, 3, IP_LOW, 1)).version;
      assert.deepEqual(noIds(await routes.changesUpTo(v2)), [
        { modid: 1, cmdid: 1, version: v1 },
        { modid: 2, cmdid: 2, version: v2 },
      ]);
      assert.deepEqual(noIds(await routes.changesUpTo(v1 - 1)), []);
      assert.equal(await routes.deleteChangesUpTo(v2), 2);
      assert.deepEqual(noIds(await routes.changesUpTo(v3)), [{ modid: 3, cmdid: 3, version: v3 }]);
      await routes.addHost(4, 4, IP_LOW, 1);
      assert.equal(await routes.deleteAllChanges(), 2);
      assert.deepEqual(noIds(await routes.changesUpTo(Number.MAX_SAFE_INTEGER)), []);
      assert.equal((await routes.loadRoutes()).length, 4);
    });
  });

  test("listRoutes filters by modid and cmdid", async () => {
    await withStores(async (routes) => {
      await routes.addHost(2, 1, IP_LOW, 5);
      await routes.addHost(1, 2, IP_LOW, 4);
      await routes.addHost(1, 1, IP_HIGH, 3);
      await routes.addHost(1, 1, IP_LOW, 2);
      const key = (rows: { modid: number; cmdid: number; port: number }[]) =>
        rows.map((row) => `${row.modid}/${row.cmdid}:${row.port}`);
      assert.deepEqual(key(await routes.listRoutes()), ["1/1:2", "1/1:3", "1/2:4", "2/1:5"]);
      assert.deepEqual(key(await routes.listRoutes({ modid: 1 })), ["1/1:2", "1/1:3", "1/2:4"]);
      assert.deepEqual(key(await routes.listRoutes({ cmdid: 1 })), ["1/1:2", "1/1:3", "2/1:5"]);
      assert.deepEqual(key(await routes.listRoutes({ modid: 1, cmdid: 2 })), ["1/2:4"]);
      assert.deepEqual(await routes.listRoutes({ modid: 7 }), []);
      await assert.rejects(routes.listRoutes({ modid: -1 }), RangeError);
    });
  });

  test("IPv4 from 128.0.0.0 up round-trips unsigned", async () => {
    await withStores(async (routes, reports) => {
      for (const ip of [IP_128, IP_HIGH, IP_MAX]) await routes.addHost(1, 1, ip, 65535);
      assert.deepEqual((await routes.loadRoutes()).map((row) => row.ip).sort((a, b) => a - b), [
        IP_128,
        IP_HIGH,
        IP_MAX,
      ]);
      assert.equal((await routes.removeHost(1, 1, IP_MAX, 65535)).removed, true);
      const rows = [statusRow({ ip: IP_MAX, caller: IP_HIGH }), statusRow({ ip: IP_128 })];
      await reports.upsertStatus(rows);
      assert.deepEqual(await reports.listStatus(), [rows[1], rows[0]]);
    });
  });

  test("bad arguments are RangeError or TypeError before any write", async () => {
    await withStores(async (routes, reports) => {
      await assert.rejects(routes.addHost(1, 1, -1, 80), RangeError);
      await assert.rejects(routes.addHost(1, 1, 2 ** 32, 80), RangeError);
      await assert.rejects(routes.addHost(1, 1, IP_LOW, 0), RangeError);
      await assert.rejects(routes.addHost(1.5, 1, IP_LOW, 80), RangeError);
      await assert.rejects(routes.removeModule(-1, 1), RangeError);
      await assert.rejects(routes.setModName(1, "x".repeat(256)), RangeError);
      await assert.rejects(
        reports.upsertStatus([statusRow(), statusRow({ succ: -1 })]),
        RangeError,
      );
      await assert.rejects(reports.upsertStatus([statusRow({ err: 2 ** 31 })]), RangeError);
      const overload = { ...statusRow(), overload: 1 } as unknown as StatusRow;
      await assert.rejects(reports.upsertStatus([overload]), TypeError);
      await assert.rejects(reports.addHistory([historyRow({ minute: 61 })]), RangeError);
      assert.deepEqual(await routes.loadRoutes(), []);
      assert.deepEqual(await reports.listStatus(), []);
      assert.equal(await routes.version(), 0);
    });
  });

  test("module and command names", async () => {
    await withStores(async (routes) => {
      await routes.setModName(2, "search");
      await routes.setModName(1, "payments");
      await routes.setCmdName(7, "charge");
      await routes.setModName(2, "search v2");
      assert.deepEqual(await routes.listNames(), {
        modules: [{ modid: 1, name: "payments" }, { modid: 2, name: "search v2" }],
        commands: [{ cmdid: 7, name: "charge" }],
      });
    });
  });

  test("two store objects on one database see each other's writes", async () => {
    const url = await backend.freshUrl();
    await withStoresAt(url, async (routesA, reportsA) => {
      await withStoresAt(url, async (routesB, reportsB) => {
        const { version } = await routesA.addHost(1, 1, IP_HIGH, 80);
        assert.equal(await routesB.version(), version);
        assert.deepEqual(await routesB.loadRoutes(), [{
          modid: 1,
          cmdid: 1,
          ip: IP_HIGH,
          port: 80,
        }]);
        const next = await routesB.addHost(1, 1, IP_HIGH, 81);
        assert.ok(next.version > version);
        assert.equal(await routesA.version(), next.version);
        await reportsB.upsertStatus([statusRow()]);
        assert.deepEqual(await reportsA.listStatus(), [statusRow()]);
      });
    });
  });

  test("a closed store rejects with StoreError", async () => {
    const url = await backend.freshUrl();
    const routes = await openRouteStore(url);
    await routes.close();
    await assert.rejects(routes.version(), StoreError);
    const reports = await openReportStore(url);
    await reports.close();
    await assert.rejects(reports.upsertStatus([statusRow()]), StoreError);
  });

  async function withStoresAt(
    url: string,
    fn: (routes: RouteStore, reports: ReportStore) => Promise<void>,
  ): Promise<void> {
    const routes = await openRouteStore(url);
    const reports = await openReportStore(url).catch(async (error) => {
      await routes.close();
      throw error;
    });
    try {
      await fn(routes, reports);
    } finally {
      await reports.close();
      await routes.close();
    }
  }

  registerReportContract({ backend, test, withStores });
  registerAdminContract({ backend, test, withStores });
  registerFrameContract({ backend, test, withStores });
}

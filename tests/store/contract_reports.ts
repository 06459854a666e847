/**
 * The report half of the store contract (see `contract.ts`), and row builders.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ipToInt } from "../../proto/ip.ts";
import { createReportStore as createOneByOneStore } from "../../bench/one_by_one_store.ts";
import { type HistoryRow, openReportStore, type StatusRow } from "../../store/mod.ts";
import { createReportStore } from "../../store/url.ts";
import type { ContractContext } from "./contract.ts";

/** Addresses used by the contract; from 128.0.0.0 up they are negative as int32. */
export const IPS = {
  low: ipToInt("10.0.0.1"),
  high: ipToInt("192.168.1.1"),
  max: ipToInt("255.255.255.255"),
  at128: ipToInt("128.0.0.0"),
} as const;

/** A status row with defaults. */
export function statusRow(fields: Partial<StatusRow> = {}): StatusRow {
  return {
    modid: 1,
    cmdid: 1,
    ip: IPS.low,
    port: 9000,
    caller: ipToInt("127.0.0.1"),
    succ: 1,
    err: 0,
    ts: 1_700_000_000,
    overload: false,
    ...fields,
  };
}

/** `count` status rows with distinct keys and values derived from `seed`. */
export function manyStatusRows(count: number, seed: number): StatusRow[] {
  return Array.from({ length: count }, (_, i) =>
    statusRow({
      modid: 1 + (i % 7),
      cmdid: 1 + Math.floor(i / 7) % 11,
      ip: (IPS.high + Math.floor(i / 77)) >>> 0,
      port: 1000 + (i % 3),
      caller: IPS.max - (i % 2),
      succ: seed + i,
      err: (seed * i) % 13,
      ts: 1_700_000_000 + seed,
      overload: (i + seed) % 5 === 0,
    }));
}
/** A history row with defaults. */
export function historyRow(fields: Partial<HistoryRow> = {}): HistoryRow {
  return {
    modid: 1,
    cmdid: 1,
    ip: IPS.low,
    port: 9000,
    caller: ipToInt("127.0.0.1"),
    minute: 60,
    succ: 0,
    err: 0,
    ...fields,
  };
}

function _key(row: StatusRow): string {
  return `${row.modid}/${row.cmdid}/${row.ip}/${row.port}/${row.caller}`;
}

function _byKey(rows: readonly StatusRow[]): StatusRow[] {
  return [...rows].sort((a, b) => (_key(a) < _key(b) ? -1 : _key(a) > _key(b) ? 1 : 0));
}

/** Registers the `ReportStore` tests of the contract. */
export function registerReportContract({ backend, test, withStores }: ContractContext): void {
  test("history table exists only with history: true", async () => {
    const url = await backend.freshUrl();
    const reports = await openReportStore(url);
    try {
      await assert.rejects(backend.rawExec(url, "SELECT COUNT(*) FROM ServerCallHistory"));
      await assert.rejects(reports.addHistory([]), TypeError);
      await assert.rejects(reports.listHistory(), TypeError);
    } finally {
      await reports.close();
    }
  });

  test("upsertStatus on the same key keeps the newest", async () => {
    await withStores(async (_routes, reports) => {
      await reports.upsertStatus([statusRow({ succ: 1, ts: 100 })]);
      await reports.upsertStatus([statusRow({ succ: 2, err: 3, ts: 200, overload: true })]);
      assert.deepEqual(await reports.listStatus(), [
        statusRow({ succ: 2, err: 3, ts: 200, overload: true }),
      ]);
      // An older report arriving late does not overwrite a newer one.
      await reports.upsertStatus([statusRow({ succ: 9, ts: 150 })]);
      assert.deepEqual((await reports.listStatus())[0].succ, 2);
      // Same key twice in one batch with equal ts: the later row wins.
      await reports.upsertStatus([
        statusRow({ succ: 4, ts: 300 }),
        statusRow({ succ: 5, ts: 300 }),
      ]);
      assert.deepEqual(await reports.listStatus(), [statusRow({ succ: 5, ts: 300 })]);
      await reports.upsertStatus([]);
      assert.equal((await reports.listStatus()).length, 1);
    });
  });

  test("multi-row upsert of 5,000 rows, then updates of 1,234 of them", async () => {
    await withStores(async (_routes, reports) => {
      const rows = manyStatusRows(5000, 1);
      assert.equal(new Set(rows.map(_key)).size, 5000);
      await reports.upsertStatus(rows);
      const stored = await reports.listStatus();
      assert.equal(stored.length, 5000);
      assert.deepEqual(_byKey(stored), _byKey(rows));
      const updates = manyStatusRows(1234, 2);
      await reports.upsertStatus(updates);
      const after = new Map((await reports.listStatus()).map((row) => [_key(row), row]));
      assert.equal(after.size, 5000);
      for (const row of updates) assert.deepEqual(after.get(_key(row)), row);
      assert.deepEqual(after.get(_key(rows[4999])), rows[4999]);
      assert.equal((await reports.listStatus({ modid: 1 })).length, Math.ceil(5000 / 7));
    });
  });

  test("the benchmark's one-by-one baseline gives the same table", async () => {
    const rows = [...manyStatusRows(600, 3), ...manyStatusRows(40, 4)];
    const tables: StatusRow[][] = [];
    for (const oneByOne of [false, true]) {
      const url = await backend.freshUrl();
      const reports = oneByOne ? createOneByOneStore(url) : createReportStore(url);
      try {
        await reports.init();
        await reports.upsertStatus(rows);
        tables.push(await reports.listStatus());
      } finally {
        await reports.close();
      }
    }
    assert.equal(tables[0].length, 600);
    assert.deepEqual(tables[1], tables[0]);
  });

  test("history sums add up per minute", async () => {
    await withStores(async (_routes, reports) => {
      await reports.addHistory([
        historyRow({ succ: 5, err: 1 }),
        historyRow({ succ: 7, err: 2 }),
        historyRow({ minute: 120, succ: 1 }),
      ]);
      await reports.addHistory([historyRow({ succ: 100, err: 10, ip: IPS.max })]);
      await reports.addHistory([historyRow({ succ: 3, err: 0 })]);
      assert.deepEqual(await reports.listHistory(), [
        historyRow({ succ: 15, err: 3 }),
        historyRow({ minute: 120, succ: 1, err: 0 }),
        historyRow({ succ: 100, err: 10, ip: IPS.max }),
      ]);
      assert.deepEqual(await reports.listHistory({ cmdid: 2 }), []);
      assert.deepEqual(await reports.listHistory({ since: 61 }), [
        historyRow({ minute: 120, succ: 1, err: 0 }),
      ]);
      assert.deepEqual(
        await reports.listHistory({ modid: 1, since: 60 }),
        await reports.listHistory(),
      );
      assert.deepEqual(await reports.listHistory({ since: 121 }), []);
      await assert.rejects(reports.listHistory({ since: -1 }), RangeError);
    });
  });
}

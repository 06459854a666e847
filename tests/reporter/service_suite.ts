/**
 * The report service suite: one set of tests run against each store (SQLite
 * in `service_sqlite_test.ts`, MySQL/MariaDB in `service_mysql_test.ts`),
 * through real TCP connections.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../proto/frame.ts";
import { MessageId } from "../../proto/ids.ts";
import {
  type HostCallResult,
  type ReportStatusRequest,
  ReportStatusRequestCodec,
} from "../../proto/messages.ts";
import type { Logger } from "../../reactor/log.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { ReportService, type ReportServiceOptions } from "../../reporter/report_service.ts";
import type { ReportStore } from "../../store/types.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";

/** What the suite needs from a store backend. */
export interface ServiceBackend {
  /** Name used in test names, e.g. "sqlite". */
  name: string;
  /** Why the backend cannot run here, or null when it can. */
  unavailable: string | null;
  /** Writers to run (1 for SQLite). */
  writers: number;
  /** A store (not initialised) on a fresh, empty database. */
  freshStore(options: { history: boolean }): Promise<ReportStore>;
}

/** A logger that keeps its lines, for tests that check what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  return {
    lines,
    debug: add("debug"),
    info: add("info"),
    warn: add("warn"),
    error: add("error"),
    warnThrottled: (_key, message) => void lines.push(`warn ${message}`),
  };
}

/** A report of module `modid` with one result per entry of `hosts`. */
export function report(
  modid: number,
  ts: number,
  hosts: Partial<HostCallResult>[],
  caller = 0x7F000001,
): ReportStatusRequest {
  return {
    modid,
    cmdid: 7,
    caller,
    ts,
    results: hosts.map((h, i) => ({
      ip: 0x0A000001 + i,
      port: 9000,
      succ: 0,
      err: 0,
      overload: false,
      ...h,
    })),
  };
}

/** The frame of a report. */
export function reportFrame(request: ReportStatusRequest): Uint8Array {
  return encodeFrame(MessageId.ReportStatusRequest, ReportStatusRequestCodec.encode(request));
}

/** Runs `fn` with a started service on a fresh store; stops and closes both after. */
export async function withService(
  backend: ServiceBackend,
  options: Partial<ReportServiceOptions>,
  fn: (service: ReportService, store: ReportStore) => Promise<void>,
): Promise<void> {
  const store = await backend.freshStore({ history: options.history ?? false });
  const service = new ReportService({
    store,
    transport: denoTransport,
    port: 0,
    writers: backend.writers,
    log: memoryLogger(),
    ...options,
  });
  try {
    service.start();
    await fn(service, store);
  } finally {
    await service.stop();
    await store.close();
  }
}

/** Registers the suite for `backend`. */
export function registerServiceSuite(backend: ServiceBackend): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `reporter ${backend.name} - ${name}`, ignore: !!backend.unavailable, fn });

  test("same key twice keeps the newest, in the queue and in the table", async () => {
    await withService(backend, {}, async (service, store) => {
      const agent = await RawFrameConn.connect(service.addr.port);
      try {
        // Coalesced in the queue: one write of the newer snapshot.
        await agent.write(
          new Uint8Array([
            ...reportFrame(report(1, 1000, [{ succ: 1, err: 1 }])),
            ...reportFrame(report(1, 1001, [{ succ: 2, err: 0, overload: true }])),
          ]),
        );
        await waitFor(() => service.counters.get("reports") === 2, "2 reports");
        await service.flush();
        const first = await store.listStatus();
        assert.deepEqual(first.map((r) => [r.succ, r.err, r.ts, r.overload]), [[2, 0, 1001, true]]);
        // Upserted over the stored row; then an older ts must not overwrite it.
        await agent.send(
          MessageId.ReportStatusRequest,
          ReportStatusRequestCodec.encode(
            report(1, 1005, [{ succ: 5 }]),
          ),
        );
        await waitFor(() => service.counters.get("reports") === 3, "3 reports");
        await service.flush();
        await agent.write(reportFrame(report(1, 1004, [{ succ: 4 }])));
        await waitFor(() => service.counters.get("reports") === 4, "4 reports");
        await service.flush();
        const rows = await store.listStatus();
        assert.deepEqual(rows.map((r) => [r.succ, r.err, r.ts, r.overload]), [[5, 0, 1005, false]]);
        assert.equal(service.counters.get("rowsWritten"), 3);
      } finally {
        await agent.close();
      }
    });
  });

  test("500 reports in one TCP write all land", async () => {
    await withService(backend, {}, async (service, store) => {
      const agent = await RawFrameConn.connect(service.addr.port);
      try {
        const frames = Array.from(
          { length: 500 },
          (_, i) => reportFrame(report(i + 1, 2000 + i, [{ succ: i }, { err: i, overload: true }])),
        );
        const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
        frames.reduce((off, f) => (all.set(f, off), off + f.length), 0);
        await agent.write(all);
        await waitFor(() => service.counters.get("reports") === 500, "500 reports");
        await service.flush();
        const rows = await store.listStatus();
        assert.equal(rows.length, 1000);
        for (let i = 0; i < 500; i++) {
          const [a, b] = [rows[2 * i], rows[2 * i + 1]];
          assert.deepEqual([a.modid, a.ip, a.succ, a.err, a.ts, a.overload], [
            i + 1,
            0x0A000001,
            i,
            0,
            2000 + i,
            false,
          ]);
          assert.deepEqual([b.ip, b.succ, b.err, b.overload], [0x0A000002, 0, i, true]);
        }
        assert.equal(service.counters.get("rowsWritten"), 1000);
        assert.equal(service.counters.get("dropped"), 0);
      } finally {
        await agent.close();
      }
    });
  });

  test("malformed frames close only that connection", async () => {
    await withService(backend, {}, async (service, store) => {
      const good = await RawFrameConn.connect(service.addr.port);
      const badBody = await RawFrameConn.connect(service.addr.port);
      const badHeader = await RawFrameConn.connect(service.addr.port);
      try {
        await good.write(reportFrame(report(1, 100, [{ succ: 1 }])));
        await waitFor(() => service.counters.get("reports") === 1, "first report");
        // Field 4 (results) as a varint: not a HostCallResult.
        await badBody.write(encodeFrame(MessageId.ReportStatusRequest, new Uint8Array([0x20, 1])));
        const header = new Uint8Array(8);
        new DataView(header.buffer).setInt32(0, MessageId.ReportStatusRequest, true);
        new DataView(header.buffer).setInt32(4, -1, true);
        await badHeader.write(header);
        await badBody.waitClosed();
        await badHeader.waitClosed();
        await good.write(reportFrame(report(2, 100, [{ succ: 2 }])));
        await waitFor(() => service.counters.get("reports") === 2, "report after the bad ones");
        await service.flush();
        assert.deepEqual((await store.listStatus()).map((r) => [r.modid, r.succ]), [[1, 1], [
          2,
          2,
        ]]);
        assert.equal(good.closedByPeer, false);
        assert.equal(service.server.counters.get("badFrames"), 2);
      } finally {
        await good.close();
        await badBody.close();
        await badHeader.close();
      }
    });
  });

  test("invalid results are dropped and counted, ts 0 gets the clock", async () => {
    const now = 1_700_000_123_456;
    await withService(backend, { now: () => now }, async (service, store) => {
      service.submit(report(3, 0, [{ succ: 1 }, { port: 0 }, { port: 70000 }, {
        succ: 0x80000000,
      }]));
      await service.flush();
      const rows = await store.listStatus();
      assert.deepEqual(rows.map((r) => [r.succ, r.ts]), [[1, 1_700_000_123]]);
      assert.equal(service.counters.get("invalidResults"), 3);
      assert.equal(service.counters.get("clockFixes"), 1);
    });
  });

  test("history: calls per key and minute from cumulative snapshots", async () => {
    await withService(backend, { history: true }, async (service, store) => {
      service.submit(report(4, 600, [{ succ: 5, err: 1 }, { succ: 2 }]));
      service.submit(report(4, 610, [{ succ: 8, err: 1 }, { succ: 2 }]));
      await service.flush();
      service.submit(report(4, 650, [{ succ: 10, err: 3 }, { succ: 3 }]));
      service.submit(report(4, 665, [{ succ: 1, err: 0 }, { succ: 4 }])); // first host reset
      await service.flush();
      const history = await store.listHistory();
      assert.deepEqual(history.map((h) => [h.ip, h.minute, h.succ, h.err]), [
        [0x0A000001, 600, 10, 3],
        [0x0A000001, 660, 1, 0],
        [0x0A000002, 600, 3, 0],
        [0x0A000002, 660, 1, 0],
      ]);
      assert.deepEqual((await store.listStatus()).map((r) => [r.succ, r.err]), [[1, 0], [4, 0]]);
    });
  });

  test("stop writes what is queued", async () => {
    const store = await backend.freshStore({ history: false });
    try {
      const service = new ReportService({
        store,
        transport: denoTransport,
        port: 0,
        writers: backend.writers,
        flushMs: 60_000,
        batchRows: 10_000,
        log: memoryLogger(),
      });
      service.start();
      for (let m = 1; m <= 300; m++) service.submit(report(m, 100, [{ succ: m }, { err: m }]));
      assert.equal(service.counters.get("rowsWritten"), 0);
      assert.equal(await service.stop(), 0);
      const rows = await store.listStatus();
      assert.equal(rows.length, 600);
      assert.equal(rows.reduce((n, r) => n + r.succ + r.err, 0), 2 * (300 * 301) / 2);
    } finally {
      await store.close();
    }
  });
}

import assert from "node:assert/strict";
import { SqliteReportStore } from "../../store/report_store.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { memoryLogger, report, reportFrame, withService } from "./service_suite.ts";

const tempDir = Deno.makeTempDirSync({ prefix: "lars-reporter-edges-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tempDir, { recursive: true }));
let databases = 0;
const sqlite = {
  name: "sqlite",
  unavailable: null,
  writers: 1,
  freshStore: () =>
    Promise.resolve(new SqliteReportStore(`${tempDir}/db-${++databases}.sqlite`, {})),
};

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;

Deno.test("reporter edges - a ts past max_future_skew is rejected and counted; real reports still land", async () => {
  const log = memoryLogger();
  await withService(sqlite, { now: () => NOW_MS, log, flushMs: 0 }, async (service, store) => {
    const peer = await RawFrameConn.connect(service.addr.port);
    try {
      // A poisoned row 3,000 s ahead, then honest reports: the honest ones must win.
      await peer.write(reportFrame(report(1, NOW + 3000, [{ err: 999_999, overload: true }])));
      for (let i = 0; i < 5; i++) {
        await peer.write(reportFrame(report(1, NOW + 301, [{ err: 1 }])));
      }
      await peer.write(reportFrame(report(1, NOW + 300, [{ succ: 7 }])));
      await waitFor(() => service.counters.get("reports") === 7, "7 reports handled");
      await service.flush();
      const rows = await store.listStatus();
      assert.deepEqual(rows.map((r) => [r.succ, r.err, r.overload, r.ts]), [
        [7, 0, false, NOW + 300],
      ]);
      assert.equal(service.counters.get("futureReports"), 6);
      const warned = log.lines.filter((l) => l.includes("max_future_skew 300 s"));
      assert.ok(warned.length >= 1);
      assert.match(warned[0], /ts \d+ is 3000 s ahead of this clock/);
    } finally {
      await peer.close();
    }
  });
});

Deno.test("reporter edges - max_future_skew is configurable", async () => {
  await withService(sqlite, { now: () => NOW_MS, maxFutureSkew: 10 }, async (service, store) => {
    service.submit(report(1, NOW + 11, [{ succ: 1 }]));
    service.submit(report(2, NOW + 10, [{ succ: 2 }]));
    await service.flush();
    assert.deepEqual((await store.listStatus()).map((r) => r.modid), [2]);
    assert.equal(service.counters.get("futureReports"), 1);
  });
});

Deno.test("reporter edges - caller_from_peer stores the connection's address, not the field", async () => {
  for (const callerFromPeer of [true, false]) {
    await withService(sqlite, { callerFromPeer, flushMs: 0 }, async (service, store) => {
      const peer = await RawFrameConn.connect(service.addr.port);
      try {
        const forged = 0x0A0B0C0D; // 10.11.12.13, another host's caller
        await peer.write(reportFrame(report(1, 0, [{ succ: 1 }], forged)));
        await waitFor(() => service.counters.get("reports") === 1, "report handled");
        await service.flush();
        const rows = await store.listStatus();
        assert.deepEqual(rows.map((r) => r.caller), [callerFromPeer ? 0x7F000001 : forged]);
      } finally {
        await peer.close();
      }
    });
  }
});

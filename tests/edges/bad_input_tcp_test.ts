/**
 * The bad-input corpus against the DNS and report services' TCP ports (real
 * services on real sockets; the reporter with its store in a Web Worker).
 *
 * @module
 */
import assert from "node:assert/strict";
import { DnsService } from "../../dns/dns_service.ts";
import { encodeFrame } from "../../proto/frame.ts";
import { MessageId } from "../../proto/ids.ts";
import {
  GetRouteRequestCodec,
  GetRouteResponseCodec,
  ReportStatusRequestCodec,
} from "../../proto/messages.ts";
import type { Logger } from "../../reactor/log.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { ReportService } from "../../reporter/report_service.ts";
import { WorkerReportStore } from "../../reporter/store_worker_client.ts";
import { openRouteStore } from "../../store/url.ts";
import { runTcpCorpus } from "../support/bad_input.ts";

const dir = await Deno.makeTempDir({ prefix: "lars_bad_input_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

/** Counts log lines instead of printing thousands of warnings. */
function countingLogger(): Logger & { count: number } {
  const log = {
    count: 0,
    debug() {},
    info() {},
    warn() {
      log.count++;
    },
    error() {
      log.count++;
    },
    warnThrottled() {
      log.count++;
    },
  };
  return log;
}

const reportBody = (modid: number) =>
  ReportStatusRequestCodec.encode({
    modid,
    cmdid: 1,
    caller: 0x7F000001,
    ts: 0,
    results: [{ ip: 0x0A000001, port: 80, succ: 1, err: 0, overload: false }],
  });

Deno.test("bad input - DNS TCP port stays up and keeps answering a canary", async () => {
  const store = await openRouteStore(`sqlite:${dir}/routes.db`);
  await store.init();
  await store.addHost(100_001, 1, 0x0A000001, 80);
  const log = countingLogger();
  const dns = new DnsService({ store, transport: denoTransport, port: 0, log });
  await dns.start();
  try {
    await runTcpCorpus({
      port: dns.addr.port,
      msgid: MessageId.GetRouteRequest,
      known: [MessageId.GetRouteRequest],
      valid: (n) =>
        encodeFrame(MessageId.GetRouteRequest, GetRouteRequestCodec.encode({ modid: n, cmdid: 1 })),
      wrongBody: reportBody(5),
      handled: () => dns.counters.get("requests"),
      replies: true,
    });
    const net = dns.server.counters;
    assert.ok(net.get("badFrames") >= 5, `badFrames ${net.get("badFrames")}`);
    assert.ok(net.get("unknownMsgid") >= 10_000);
    assert.ok(log.count < 200, `${log.count} log lines`);
  } finally {
    await dns.stop();
    await store.close();
  }
});

Deno.test("bad input - reporter TCP port stays up and keeps taking a canary's reports", async () => {
  const store = new WorkerReportStore({ url: `sqlite:${dir}/reports.db`, history: false });
  const log = countingLogger();
  const service = new ReportService({ store, transport: denoTransport, port: 0, writers: 1, log });
  service.start();
  try {
    await runTcpCorpus({
      port: service.addr.port,
      msgid: MessageId.ReportStatusRequest,
      known: [MessageId.ReportStatusRequest],
      valid: (n) => encodeFrame(MessageId.ReportStatusRequest, reportBody(n)),
      wrongBody: GetRouteResponseCodec.encode({
        modid: 1,
        cmdid: 1,
        host: [{ ip: 1, port: 2 }, { ip: 3, port: 4 }],
      }),
      handled: () => service.counters.get("reports"),
      replies: false,
    });
    const net = service.server.counters;
    assert.ok(net.get("badFrames") >= 5, `badFrames ${net.get("badFrames")}`);
    assert.ok(net.get("unknownMsgid") >= 10_000);
    assert.ok(log.count < 200, `${log.count} log lines`);
    await service.flush();
    assert.ok((await store.listStatus()).some((r) => r.modid === 100_001), "canary rows stored");
  } finally {
    await service.stop();
    await store.close();
  }
});

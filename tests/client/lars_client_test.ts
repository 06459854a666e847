import assert from "node:assert/strict";
import {
  type GetHostResult,
  LarsClient,
  type LarsClientOptions,
  LarsClosedError,
  LarsTimeoutError,
} from "../../client/mod.ts";
import { RetCode } from "../../proto/ids.ts";
import { intToIp } from "../../proto/ip.ts";
import type { Transport } from "../../reactor/transport.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { nodeTransport } from "../../reactor/transport_node.ts";
import { waitFor } from "../support/net.ts";
import { FakeAgent } from "./fake_agent.ts";

type Setup = { agent: FakeAgent; client: LarsClient };

const TRANSPORTS: [string, Transport][] = [["deno", denoTransport], ["node", nodeTransport]];

for (const [transportName, transport] of TRANSPORTS) {
  const test = (name: string, fn: (setup: Setup) => Promise<void>, options?: LarsClientOptions) =>
    Deno.test(`client (${transportName} transport) - ${name}`, async () => {
      const agent = await FakeAgent.start();
      const client = new LarsClient({ port: agent.basePort, transport, ...options });
      try {
        await fn({ agent, client });
      } finally {
        await client.close();
        await agent.close();
      }
    });

  test("getHost goes to agent port base + (modid + cmdid) mod 3", async ({ agent, client }) => {
    const cases: [number, number, number][] = [
      [1, 1, 2],
      [1, 2, 0],
      [2, 2, 1],
      [0, 0, 0],
      [-1, 0, 2],
      [-5, 1, 2],
      [2147483647, 2147483647, 2],
      [-2147483648, -2147483648, 2],
    ];
    agent.answerHost = () => ({ retcode: RetCode.NOEXIST });
    for (const [modid, cmdid] of cases) {
      assert.deepEqual(await client.getHost(modid, cmdid), { retcode: RetCode.NOEXIST });
    }
    assert.deepEqual(
      agent.hostRequests.map(({ modid, cmdid, shard }) => [modid, cmdid, shard]),
      cases,
    );
  });

  test("getHost answers the chosen host with a dotted-quad ip", async ({ agent, client }) => {
    agent.answerHost = () => ({ retcode: RetCode.SUCC, host: { ip: 0xC0A80114, port: 8080 } });
    assert.deepEqual(await client.getHost(3, 4), {
      retcode: RetCode.SUCC,
      ip: "192.168.1.20",
      port: 8080,
    });
  });

  test(
    "1,000 parallel getHost calls answered out of order each get their own answer",
    async ({ agent, client }) => {
      // Newest first within batches of 50: a burst of 1,000 replies would overflow the
      // client's socket buffer (about 200 KiB by default on Linux) and lose some.
      agent.batchSize = 50;
      const ids = Array.from({ length: 1000 }, (_, i) => ({ modid: i + 1, cmdid: i % 7 }));
      const results = await Promise.all(
        ids.map(({ modid, cmdid }) => client.getHost(modid, cmdid)),
      );
      results.forEach((r, i) => {
        const { modid, cmdid } = ids[i];
        assert.deepEqual(r, { retcode: 0, ip: intToIp(0x0A00_0000 + modid), port: 1000 + cmdid });
      });
      assert.equal(new Set(agent.hostRequests.map((req) => req.seq)).size, 1000);
      assert.equal(client.counters.get("getHostRequests"), 1000);
      assert.equal(client.counters.get("staleReplies"), 0);
    },
    { timeoutMs: 10_000 },
  );

  test("getHost skips stale replies and replies for unknown seqs", async ({ agent, client }) => {
    agent.hostMode = "stale-first";
    assert.deepEqual(await client.getHost(5, 6), { retcode: 0, ip: "10.0.0.5", port: 1006 });
    await waitFor(() => client.counters.get("staleReplies") === 2, "2 stale replies counted");
  });

  test("getHost skips a reply with its seq but another module", async ({ agent, client }) => {
    agent.hostMode = "mismatch-first";
    assert.deepEqual(await client.getHost(5, 6), { retcode: 0, ip: "10.0.0.5", port: 1006 });
    assert.equal(client.counters.get("mismatchedReplies"), 1);
  });

  test("getHost passes RET_OVERLOAD and RET_NOEXIST through without a host", async ({ agent, client }) => {
    agent.answerHost = (req) => ({ retcode: req.modid === 1 ? RetCode.OVERLOAD : RetCode.NOEXIST });
    assert.deepEqual(await client.getHost(1, 1), { retcode: RetCode.OVERLOAD });
    assert.deepEqual(await client.getHost(2, 1), { retcode: RetCode.NOEXIST });
  });

  test("getHost turns a success without a host or an unknown code into RET_SYSTEM_ERROR", async ({ agent, client }) => {
    agent.answerHost = (req) => ({ retcode: req.modid === 1 ? RetCode.SUCC : 9 });
    assert.deepEqual(await client.getHost(1, 1), { retcode: RetCode.SYSTEM_ERROR });
    assert.deepEqual(await client.getHost(2, 1), { retcode: RetCode.SYSTEM_ERROR });
    assert.equal(client.counters.get("invalidReplies"), 2);
  });

  test(
    "getHost resolves RET_SYSTEM_ERROR when the agent stays silent",
    async ({ agent, client }) => {
      agent.hostMode = "silent";
      const results = await Promise.all([client.getHost(1, 1), client.getHost(1, 2)]);
      assert.deepEqual(results, [{ retcode: 2 }, { retcode: 2 }]);
      assert.equal(agent.hostRequests.length, 2);
      assert.equal(client.counters.get("getHostTimeouts"), 2);
    },
    { timeoutMs: 50 },
  );

  test("report sends a ReportRequest to the module's shard", async ({ agent, client }) => {
    client.report(3, 4, "192.168.1.20", 8080, 1);
    client.report(3, 4, -1062731500, 8080, 0); // the same address as a signed wire int32
    client.report(3, 5, 3232235796, 9090, -7); // and unsigned
    await waitFor(() => agent.reports.length === 3, "3 reports");
    const host = (port: number) => ({ ip: 3232235796, port });
    // UDP keeps no order (Deno even sends one tick's datagrams in reverse): sort.
    const sorted = agent.reports.toSorted((a, b) => a.shard - b.shard || b.retcode - a.retcode);
    assert.deepEqual(sorted, [
      { modid: 3, cmdid: 4, host: host(8080), retcode: 1, shard: 1 },
      { modid: 3, cmdid: 4, host: host(8080), retcode: 0, shard: 1 },
      { modid: 3, cmdid: 5, host: host(9090), retcode: -7, shard: 2 },
    ]);
    assert.equal(client.counters.get("reports"), 3);
  });

  test(
    "a report made right before the next getHost or getRoute reaches the agent after that request",
    async ({ agent, client }) => {
      // A fresh Deno socket sends its first datagrams only once it is known to be writable, in
      // reverse: one round trip first, so the order below is the steady state's.
      const first = await client.getHost(1, 2);
      assert.equal(first.retcode, RetCode.SUCC);
      agent.arrivals.length = 0;
      // The loop of `lars qps` and of applications: report call N, then ask for call N+1.
      let host: GetHostResult = first;
      for (let i = 0; i < 20; i++) {
        client.report(1, 2, host.ip!, host.port!, i % 2);
        host = await client.getHost(1, 2);
        assert.equal(host.retcode, RetCode.SUCC);
      }
      client.report(1, 2, host.ip!, host.port!, 0);
      assert.deepEqual(await client.getRoute(1, 2), []);
      await waitFor(() => agent.reports.length === 21, "21 reports");
      // One port (module 1/2 is shard 0), so the socket keeps the order the datagrams left in.
      assert.deepEqual(agent.arrivals, [
        ...new Array(20).fill(["host", "report"]).flat(),
        "route",
        "report",
      ]);
      assert.deepEqual(agent.reports.map((r) => r.retcode), [
        ...Array.from({ length: 20 }, (_, i) => i % 2),
        0,
      ]);
      assert.equal(client.counters.get("reports"), 21);
    },
  );

  test("a report with no request after it is sent all the same", async ({ agent, client }) => {
    assert.equal((await client.getHost(1, 2)).retcode, RetCode.SUCC);
    client.report(1, 2, "10.0.0.1", 1002, 0);
    // Only a timer (a later task) runs here; no request follows the report.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await waitFor(() => agent.reports.length === 1, "the report");
    assert.deepEqual(agent.arrivals, ["host", "report"]);
  });

  test("close sends the reports made just before it", async ({ agent, client }) => {
    assert.equal((await client.getHost(1, 2)).retcode, RetCode.SUCC);
    client.report(1, 2, "10.0.0.1", 1002, 0);
    client.report(1, 2, "10.0.0.1", 1002, 1);
    await client.close();
    await waitFor(() => agent.reports.length === 2, "both reports");
    assert.deepEqual(agent.reports.map((r) => r.retcode), [0, 1]);
  });

  test("getRoute answers every host, or none for an unknown module", async ({ agent, client }) => {
    agent.route = (modid) =>
      modid === 7 ? [{ ip: 0x0A000007, port: 9000 }, { ip: 0xC0A80001, port: 9001 }] : [];
    assert.deepEqual(await client.getRoute(7, 8), [
      { ip: "10.0.0.7", port: 9000 },
      { ip: "192.168.0.1", port: 9001 },
    ]);
    assert.deepEqual(await client.getRoute(6, 8), []);
    assert.deepEqual(agent.routeRequests, [
      { modid: 7, cmdid: 8, shard: 0 },
      { modid: 6, cmdid: 8, shard: 2 },
    ]);
  });

  test("concurrent getRoute calls for one module each take one answer", async ({ agent, client }) => {
    // The n-th request of the module is answered with n hosts.
    agent.route = (_modid, _cmdid, count) =>
      Array.from({ length: count }, (_, i) => ({ ip: 0x0A000001 + i, port: 80 }));
    const routes = await Promise.all([1, 2, 3].map(() => client.getRoute(1, 1)));
    assert.deepEqual(routes.map((hosts) => hosts.length).sort(), [1, 2, 3]);
    assert.equal(client.counters.get("staleReplies"), 0);
  });

  test(
    "getRoute rejects with LarsTimeoutError when the agent stays silent",
    async ({ agent, client }) => {
      agent.routeSilent = true;
      await assert.rejects(client.getRoute(4, 2), (err) => {
        assert.ok(err instanceof LarsTimeoutError);
        assert.deepEqual([err.modid, err.cmdid, err.timeoutMs], [4, 2, 50]);
        return true;
      });
      assert.equal(client.counters.get("getRouteTimeouts"), 1);
    },
    { timeoutMs: 50 },
  );

  test("regInit succeeds once the route turns non-empty on the third try", async ({ agent, client }) => {
    agent.route = (_m, _c, count) => count < 3 ? [] : [{ ip: 0x0A000001, port: 80 }];
    assert.equal(await client.regInit(1, 1), RetCode.SUCC);
    assert.equal(agent.routeRequests.length, 3);
  });

  test("regInit succeeds at once when the route is there", async ({ agent, client }) => {
    agent.route = () => [{ ip: 0x0A000001, port: 80 }];
    assert.equal(await client.regInit(1, 1), RetCode.SUCC);
    assert.equal(agent.routeRequests.length, 1);
  });

  test("regInit answers RET_NOEXIST after three empty routes", async ({ agent, client }) => {
    assert.equal(await client.regInit(1, 1), RetCode.NOEXIST);
    assert.equal(agent.routeRequests.length, 3);
  });

  test("regInit answers RET_SYSTEM_ERROR when no try is answered", async ({ agent, client }) => {
    agent.routeSilent = true;
    assert.equal(await client.regInit(1, 1), RetCode.SYSTEM_ERROR);
    assert.equal(agent.routeRequests.length, 3);
  }, { timeoutMs: 30 });

  test("close ends pending calls at once and later calls fail fast", async ({ agent, client }) => {
    agent.hostMode = "silent";
    agent.routeSilent = true;
    const host = client.getHost(1, 1);
    const route = client.getRoute(1, 1);
    const routeRejected = assert.rejects(route, LarsClosedError);
    await waitFor(() => agent.hostRequests.length + agent.routeRequests.length === 2, "requests");
    await client.close();
    assert.deepEqual(await host, { retcode: RetCode.SYSTEM_ERROR });
    await routeRejected;
    assert.equal(client.closed, true);
    assert.equal(client.counters.get("getHostTimeouts"), 0);
    assert.deepEqual(await client.getHost(1, 1), { retcode: RetCode.SYSTEM_ERROR });
    await assert.rejects(client.getRoute(1, 1), LarsClosedError);
    assert.equal(await client.regInit(1, 1), RetCode.SYSTEM_ERROR);
    client.report(1, 1, "10.0.0.1", 80, 0);
    assert.equal(client.counters.get("reports"), 0);
    await client.close();
  }, { timeoutMs: 60_000 });

  test("host localhost means 127.0.0.1", async ({ agent }) => {
    await using client = new LarsClient({ host: "localhost", port: agent.basePort, transport });
    const r: GetHostResult = await client.getHost(9, 9);
    assert.equal(r.retcode, RetCode.SUCC);
  });
}

Deno.test("client - getHost resolves RET_SYSTEM_ERROR when no agent listens", async () => {
  const agent = await FakeAgent.start();
  const port = agent.basePort;
  await agent.close();
  await using client = new LarsClient({ port, timeoutMs: 50 });
  assert.deepEqual(await client.getHost(1, 2), { retcode: RetCode.SYSTEM_ERROR });
  assert.deepEqual(await client.getHost(1, 2), { retcode: RetCode.SYSTEM_ERROR });
  assert.equal(client.counters.get("getHostTimeouts"), 2);
});

Deno.test("client - invalid arguments are refused with TypeError or RangeError", async () => {
  await using client = new LarsClient({ port: 1, timeoutMs: 10 });
  await assert.rejects(client.getHost(1.5, 1), TypeError);
  await assert.rejects(client.getHost(1, "2" as unknown as number), TypeError);
  await assert.rejects(client.getHost(2 ** 31, 1), RangeError);
  await assert.rejects(client.getRoute(1, -(2 ** 31) - 1), RangeError);
  await assert.rejects(client.regInit(NaN, 1), TypeError);
  assert.throws(() => client.report(1, 1, "300.1.1.1", 80, 0), TypeError);
  assert.throws(() => client.report(1, 1, 2 ** 32, 80, 0), RangeError);
  assert.throws(() => client.report(1, 1, 1.5, 80, 0), TypeError);
  assert.throws(() => client.report(1, 1, "10.0.0.1", 0, 0), RangeError);
  assert.throws(() => client.report(1, 1, "10.0.0.1", 65536, 0), RangeError);
  assert.throws(() => client.report(1, 1, "10.0.0.1", 80, 0.5), TypeError);
  assert.equal(client.counters.get("reports"), 0);
});

Deno.test("client - invalid options are refused before binding", () => {
  assert.throws(() => new LarsClient({ port: 65534 }), RangeError);
  assert.throws(() => new LarsClient({ port: 0 }), RangeError);
  assert.throws(() => new LarsClient({ timeoutMs: 0 }), RangeError);
  assert.throws(() => new LarsClient({ timeoutMs: NaN }), RangeError);
  assert.throws(() => new LarsClient({ host: "" }), TypeError);
});

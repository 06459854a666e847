import assert from "node:assert/strict";
import { LarsClient } from "../../client/deno.ts";
import { ipToInt, RetCode } from "../../proto/mod.ts";
import { waitFor } from "../support/net.ts";
import { AgentSystem } from "./agent_system.ts";

const A = { ip: ipToInt("10.0.0.1"), port: 8001 };

Deno.test("client and real agent - every report of a getHost + report loop is counted", async () => {
  const sys = await AgentSystem.start();
  const client = new LarsClient({ port: sys.agentPort, timeoutMs: 2000 });
  try {
    await sys.admin.addHost(12, 3, A.ip, A.port);
    assert.equal(await client.regInit(12, 3), RetCode.SUCC);
    // The loop of `lars qps`: each report goes out right after the next getHost request.
    for (let i = 0; i < 100; i++) {
      const host = await client.getHost(12, 3);
      assert.equal(host.retcode, RetCode.SUCC, `call ${i}`);
      client.report(12, 3, host.ip!, host.port!, i % 10 === 0 ? 1 : 0);
    }
    // The last report has no getHost after it; close sends it.
    await client.close();
    await waitFor(
      () =>
        sys.sink!.received.some((r) =>
          r.modid === 12 && r.results[0]?.succ + r.results[0]?.err === 100
        ),
      "a statistics message with all 100 calls",
    );
    const last = sys.sink!.received.filter((r) => r.modid === 12 && r.cmdid === 3).at(-1)!;
    assert.deepEqual(last.results[0], { ...A, succ: 90, err: 10, overload: false });
  } finally {
    await client.close();
    await sys.close();
  }
});

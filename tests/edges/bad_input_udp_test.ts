/**
 * The bad-input corpus against the agent's three UDP shard ports (the real
 * agent as a subprocess, behind a real DNS service).
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../proto/frame.ts";
import { MessageId, RetCode } from "../../proto/ids.ts";
import { GetHostRequestCodec, ReportStatusRequestCodec } from "../../proto/messages.ts";
import { AgentSystem } from "../agent/agent_system.ts";
import { runUdpCorpus } from "../support/bad_input.ts";

Deno.test("bad input - agent UDP ports drop bad datagrams and keep answering a canary", async () => {
  const system = await AgentSystem.start();
  // The corpus goes out from a socket of its own, never read: the agent's
  // answers to its valid frames (hundreds) must not fill the canary's receive
  // buffer, where the kernel would drop the canary's answer.
  const corpus = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  try {
    // One module per shard port: port = base + (modid + cmdid) % 3.
    const canaries = [[3, 0], [4, 0], [5, 0]];
    for (const [modid, cmdid] of canaries) await system.admin.addHost(modid, cmdid, 0x0A000001, 80);
    const canary = async () => {
      const answers = await Promise.all(canaries.map(([m, c]) => system.probe.getHost(m, c)));
      assert.ok(answers.every((a) => a.retcode === RetCode.SUCC || a.retcode === RetCode.NOEXIST));
    };
    const base = system.agentPort;
    await runUdpCorpus({
      ports: [base, base + 1, base + 2],
      send: async (bytes, port) => {
        await corpus.send(bytes, { transport: "udp", hostname: "127.0.0.1", port });
      },
      canary,
      msgid: MessageId.GetHostRequest,
      known: [MessageId.GetHostRequest, MessageId.ReportRequest, MessageId.ApiGetRouteRequest],
      valid: (n) =>
        encodeFrame(
          MessageId.GetHostRequest,
          GetHostRequestCodec.encode({ seq: n, modid: n % 50, cmdid: 1 }),
        ),
      wrongBody: ReportStatusRequestCodec.encode({
        modid: 1,
        cmdid: 1,
        caller: 1,
        ts: 1,
        results: [{ ip: 1, port: 2, succ: 3, err: 4, overload: true }],
      }),
    });
    // The canary's modules get real hosts once pulled, after all of that.
    const deadline = Date.now() + 5000;
    while ((await system.probe.getHost(3, 0)).retcode !== RetCode.SUCC) {
      assert.ok(Date.now() < deadline, "canary module never got its host");
      await new Promise((r) => setTimeout(r, 50));
    }
    const agent = system.agent!;
    const status = await system.stopAgent();
    assert.equal(status?.code, 0);
    const bad = [...agent.log.matchAll(/"badDatagrams":(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(bad.length, 3, agent.log);
    assert.ok(bad.every((n) => n > 100), `bad datagrams per shard: ${bad}`);
  } finally {
    corpus.close();
    await system.close();
  }
});

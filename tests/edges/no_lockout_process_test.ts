/**
 * No lockout, end to end: `deno task dns` and `deno task reporter` with the
 * `[reactor]` limits in their config files. One host opens connections that
 * hold half a header; a fresh agent is still served, and the holders are
 * closed at the frame deadline.
 *
 * @module
 */
import assert from "node:assert/strict";
import { encodeFrame } from "../../proto/frame.ts";
import { MessageId } from "../../proto/ids.ts";
import { GetRouteRequestCodec } from "../../proto/messages.ts";
import { rawHeader } from "../support/bad_input.ts";
import { RawFrameConn, waitFor } from "../support/net.ts";
import { listeningPort, repoTempDir, ServiceProcess, writeRepoFile } from "../support/process.ts";

for (const task of ["dns", "reporter"] as const) {
  Deno.test(`no lockout - ${task}: half-frame holders from one host cannot keep agents out`, async () => {
    const dir = await repoTempDir(`lockout_${task}_`);
    const conf = `${dir.path}/${task}.conf`;
    await writeRepoFile(
      conf,
      `[reactor]\nip = 127.0.0.1\nport = 0\nmaxConn = 8\nmax_conn_per_ip = 4\n` +
        `frame_timeout_ms = 500\n[store]\nurl = sqlite:${dir.path}/lars.db\n`,
    );
    const service = new ServiceProcess(task, ["--config", conf]);
    const holders: RawFrameConn[] = [];
    try {
      const port = await listeningPort(service);
      for (let i = 0; i < 6; i++) {
        const c = await RawFrameConn.connect(port);
        holders.push(c);
        await c.write(rawHeader(MessageId.GetRouteRequest, 4).subarray(0, 5));
      }
      // Past the per-address limit the extra two are refused at once.
      await waitFor(() => holders.filter((c) => c.closedByPeer).length === 2, "2 refused");
      await service.waitForLog(/reach the per-address limit 4/);
      // At the deadline the four holders are closed; a fresh agent gets in and is served.
      await waitFor(() => holders.every((c) => c.closedByPeer), "holders closed", 5000);
      await service.waitForLog(/is unfinished \(deadline 500 ms\)/);
      const agent = await RawFrameConn.connect(port);
      holders.push(agent);
      if (task === "dns") {
        await agent.write(
          encodeFrame(
            MessageId.GetRouteRequest,
            GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }),
          ),
        );
        await waitFor(() => agent.frames.length === 1, "the agent is answered");
      }
      await new Promise((r) => setTimeout(r, 1000)); // idle past the deadline: still open
      assert.equal(agent.closedByPeer, false);
    } finally {
      await Promise.all(holders.map((c) => c.close()));
      const status = await service.stop();
      await dir.remove();
      assert.equal(status.code, 0, service.log);
    }
  });
}

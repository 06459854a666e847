/**
 * A shard worker (real Worker, real UDP) answers from the routes of its start
 * message from its first request: they are in its table before its port is
 * bound, with no other message from the main isolate needed. (Sent after
 * `ready`, an early get_host could beat them and find no route.)
 */
import assert from "node:assert/strict";
import type { FromShard, ToShard } from "../../agent/shard_protocol.ts";
import { DEFAULT_LOAD_BALANCE_OPTIONS } from "../../agent/load_balance_options.ts";
import { ipToInt, RetCode, shardOf } from "../../proto/mod.ts";
import { WorkerPool } from "../../reactor/worker_pool.ts";
import { AgentProbe, freeUdpPortTriple } from "../support/agent_probe.ts";

Deno.test("agent shard - answers from the routes it started with, before any other message", async () => {
  const host = { ip: ipToInt("10.0.0.7"), port: 8007 };
  const [modid, cmdid] = [30, 0];
  assert.equal(shardOf(modid, cmdid), 0);
  const pool = new WorkerPool<ToShard, FromShard>({
    url: new URL("../../agent/shard_worker.ts", import.meta.url),
    size: 1,
    name: "test-shard",
  });
  const channel = pool.channel(0);
  const pulls: string[] = [];
  let onReady: (port: number) => void = () => {};
  let onStopped: () => void = () => {};
  const ready = new Promise<number>((resolve) => onReady = resolve);
  const stopped = new Promise<void>((resolve) => onStopped = resolve);
  channel.onMessage((msg) => {
    if (msg.type === "ready") onReady(msg.port);
    else if (msg.type === "startFailed") assert.fail(msg.error);
    else if (msg.type === "pull") pulls.push(`${msg.modid}/${msg.cmdid}`);
    else if (msg.type === "stopped") onStopped();
  });
  const base = freeUdpPortTriple();
  channel.send({
    type: "start",
    settings: {
      index: 0,
      hostname: "127.0.0.1",
      port: base,
      loadBalance: { ...DEFAULT_LOAD_BALANCE_OPTIONS },
      caller: ipToInt("10.20.30.40"),
      reportIntervalMs: 1000,
      transport: "deno",
      maxModules: 100,
    },
    routes: [{ modid, cmdid, hosts: [host], updatedAt: Math.floor(Date.now() / 1000) }],
  });
  const probe = new AgentProbe(await ready);
  try {
    const first = await probe.getHost(modid, cmdid);
    assert.equal(first.retcode, RetCode.SUCC);
    assert.deepEqual([first.host?.ip, first.host?.port], [host.ip, host.port]);
    assert.deepEqual(await probe.getRoute(modid, cmdid), [host]);
    assert.deepEqual(pulls.filter((p) => p === `${modid}/${cmdid}`), []);
  } finally {
    await probe.close();
    channel.send({ type: "stop" });
    await stopped;
    pool.terminate();
  }
});

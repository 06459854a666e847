import assert from "node:assert/strict";
import { type HostsSnapshot, renderStatus, sortByErrors } from "../../cli/status_cmd.ts";
import { repoTempDir, runTask, writeRepoFile } from "../support/process.ts";

function host(ip: string, state: string, succ: number, err: number) {
  return {
    ip,
    port: 80,
    state,
    window: { succ, err },
    contiguous: { succ: 0, err },
    inStateSeconds: 75,
    reason: state === "overload"
      ? { rule: "contin_err", text: `${err} contiguous errors >= contin_err_limit 10` }
      : null,
  };
}

const SNAPSHOT: HostsSnapshot = {
  time: "2026-11-30T12:00:00.000Z",
  dns: "connected",
  shards: [{ index: 0, up: true }, { index: 1, up: true }, { index: 2, up: false }],
  modules: [
    {
      modid: 1,
      cmdid: 1,
      shard: 2,
      lastUpdate: "2026-11-30T11:59:50.000Z",
      hosts: [host("10.0.0.1", "idle", 5, 0)],
    },
    {
      modid: 2,
      cmdid: 1,
      shard: 0,
      lastUpdate: "2026-11-30T11:59:00.000Z",
      hosts: [host("10.0.0.2", "idle", 1, 2), host("10.0.0.3", "overload", 0, 12)],
    },
  ],
};

Deno.test("lars status - modules and hosts with the most errors first, overloaded marked with why", () => {
  const sorted = sortByErrors(SNAPSHOT.modules);
  assert.deepEqual(sorted.map((m) => `${m.modid}/${m.cmdid}`), ["2/1", "1/1"]);
  assert.deepEqual(sorted[0].hosts.map((h) => h.ip), ["10.0.0.3", "10.0.0.2"]);
  const text = renderStatus(SNAPSHOT, "127.0.0.1:9");
  const lines = text.split("\n");
  assert.match(lines[0], /agent 127\.0\.0\.1:9 {2}DNS connected {2}shards 2\/3 up/);
  assert.match(
    text,
    /2\/1 {2}shard 0 {2}2 hosts, 1 overloaded, 14 errors in window {2}route 1m00s old/,
  );
  const overloaded = lines.find((l) => l.includes("10.0.0.3:80"))!;
  assert.match(
    overloaded,
    /^ {2}! 10\.0\.0\.3:80\s+overload\s+1\s+0\s+12\s+err 12\s+1m15s\s+12 contiguous/,
  );
  assert.match(lines.find((l) => l.includes("10.0.0.1:80"))!, /^ {4}10\.0\.0\.1:80\s+idle/);
  assert.ok(text.indexOf("2/1") < text.indexOf("1/1"));
  assert.doesNotMatch(text, /PANIC/);
});

Deno.test("lars status - weights, slow-start shares, and a module in panic with the hosts kept in", () => {
  const [a, b] = [host("10.0.0.4", "overload", 0, 12), host("10.0.0.5", "overload", 1, 11)];
  const snapshot: HostsSnapshot = {
    ...SNAPSHOT,
    modules: [
      {
        ...SNAPSHOT.modules[0],
        panic: false,
        hosts: [{ ...host("10.0.0.1", "idle", 5, 0), weight: 3, share: 0.4, repeats: 0 }],
      },
      {
        modid: 3,
        cmdid: 1,
        shard: 1,
        lastUpdate: SNAPSHOT.time,
        panic: true,
        hosts: [
          { ...a, weight: 2, pardoned: false, repeats: 2, share: 1 },
          { ...b, weight: 1, pardoned: true, repeats: 0, share: 1 },
        ],
      },
    ],
  };
  const text = renderStatus(snapshot, "127.0.0.1:9");
  const lines = text.split("\n");
  assert.match(
    text,
    /3\/1 {2}shard 1 {2}2 hosts, 2 overloaded, 23 errors in window {2}route 0s old {2}PANIC: 1 overloaded kept in rotation \(max_ejection_percent\)/,
  );
  assert.match(text, /HOST\s+STATE\s+WEIGHT\s+WIN_SUCC/);
  assert.match(
    lines.find((l) => l.includes("10.0.0.5:80"))!,
    /^ {2}! 10\.0\.0\.5:80\s+overload\s+1\s+1\s+11\s.*kept in \(panic\); 11 contiguous/,
  );
  assert.match(
    lines.find((l) => l.includes("10.0.0.4:80"))!,
    /overload\s+2\s+0\s+12\s.*12 contiguous errors >= contin_err_limit 10; repeat 2$/,
  );
  assert.match(lines.find((l) => l.includes("10.0.0.1:80"))!, /idle\s+3 @40%\s+5\s+0/);
  assert.equal(lines.filter((l) => l.includes("PANIC")).length, 1);
});

Deno.test("lars status - an agent config without [admin] port is a clear error; bad flags exit 2", async () => {
  const dir = await repoTempDir("status_");
  try {
    const conf = `${dir.path}/agent.conf`;
    await writeRepoFile(conf, "[reporter]\nip = 127.0.0.1\nport = 1\n");
    const off = await runTask("lars", ["status", "--json", "--config", conf]);
    assert.equal(off.code, 1);
    assert.match(off.stderr, /admin endpoint is off .*set \[admin\] port/);
    const bad = await runTask("lars", ["status", "--module", "1"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr + bad.stdout, /--module takes MODID CMDID/);
    const unreachable = await runTask("lars", ["status", "--json", "--admin", "127.0.0.1:1"]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the agent's admin endpoint at 127\.0\.0\.1:1/);
  } finally {
    await dir.remove();
  }
});

Deno.test("lars status - says how many modules it shows when the agent truncated /hosts", () => {
  const text = renderStatus({ ...SNAPSHOT, truncated: true, moduleCount: 5000 }, "127.0.0.1:9");
  assert.match(text, /showing 2 of 5000 modules \(the agent's \/hosts limit/);
  assert.doesNotMatch(renderStatus(SNAPSHOT, "127.0.0.1:9"), /showing/);
});

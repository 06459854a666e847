import assert from "node:assert/strict";
import { agentTarget, parseAgentFlag } from "../../cli/agent_target.ts";
import { UsageError } from "../../cli/usage.ts";

Deno.test("agent target - no config anywhere: the agent at 127.0.0.1:8888; a named one must exist", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_cwd_" });
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    assert.deepEqual(await agentTarget(), { host: "127.0.0.1", port: 8888 });
    await assert.rejects(() => agentTarget("missing.conf"), /missing\.conf: cannot read config/);
    await Deno.writeTextFile("a.conf", "[agent]\nip = 127.0.0.2\nport = 9000\n");
    assert.deepEqual(await agentTarget("a.conf"), { host: "127.0.0.2", port: 9000 });
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(parseAgentFlag("10.0.0.1:7000"), { host: "10.0.0.1", port: 7000 });
  for (const bad of ["10.0.0.1", "host:8888", "10.0.0.300:1", "10.0.0.1:65534"]) {
    assert.throws(() => parseAgentFlag(bad), UsageError);
  }
});

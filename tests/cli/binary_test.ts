import assert from "node:assert/strict";
import { ipToInt } from "../../proto/mod.ts";
import { buildClientBinary } from "../../tools/build_binaries.ts";
import { AgentSystem } from "../agent/agent_system.ts";

function hasBun(): boolean {
  try {
    return new Deno.Command("bun", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const bun = hasBun();
if (!bun) {
  console.error("!!! bun not found: the standalone binary test is IGNORED (npm i -g bun) !!!");
}

Deno.test({
  name: "lars-client binary - bun build --compile output answers gethost against a live agent",
  ignore: !bun,
  async fn() {
    const binary = await buildClientBinary();
    const sys = await AgentSystem.start();
    try {
      await sys.admin.addHost(31, 7, ipToInt("10.31.0.7"), 3107);
      let out = "";
      for (let i = 0; i < 50 && !out.startsWith("RET_SUCC"); i++) {
        const r = await new Deno.Command(binary, {
          args: ["gethost", "31", "7", "--config", sys.configPath],
          stdin: "null",
        }).output();
        out = new TextDecoder().decode(r.stdout);
        if (out.startsWith("RET_SUCC")) assert.equal(r.code, 0);
        else await new Promise((res) => setTimeout(res, 50));
      }
      assert.equal(out, "RET_SUCC 10.31.0.7:3107\n");
    } finally {
      await sys.close();
    }
  },
});

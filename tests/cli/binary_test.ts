/**
 * The standalone `dist/lars` binary (`deno task compile:bun`), built once per
 * run of this file: the services run on Bun from a directory outside the
 * repository with configs there, the tools reach them, and a group SIGTERM
 * stops them cleanly.
 */
import assert from "node:assert/strict";
import { buildBinary } from "../../tools/build_binaries.ts";
import { freeUdpPortTriple } from "../support/agent_probe.ts";
import { GroupProcess } from "../support/group.ts";
import { listeningPort } from "../support/process.ts";

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

async function run(binary: string, cwd: string, args: string[]) {
  const r = await new Deno.Command(binary, { args, cwd, stdin: "null" }).output();
  const text = new TextDecoder();
  return { code: r.code, stdout: text.decode(r.stdout), stderr: text.decode(r.stderr) };
}

Deno.test({
  name: "lars binary - services on Bun from any directory, tools through them, clean stop",
  ignore: !bun,
  async fn() {
    const binary = await buildBinary();
    const dir = await Deno.makeTempDir({ prefix: "lars_bin_" });
    const running: GroupProcess[] = [];
    try {
      const version = await run(binary, dir, ["--version"]);
      assert.match(version.stdout, /^lars \d+\.\d+\.\d+\n$/);
      const help = await run(binary, dir, ["help"]);
      assert.match(help.stdout, /lars dns \[--config FILE\]/);
      assert.match(help.stdout, /lars gethost MODID CMDID/);

      // DNS and reporter bind port 0 and log the port; the agent's config names them.
      const store = `[store]\nurl = sqlite:${dir}/lars.db\n`;
      await Deno.writeTextFile(`${dir}/dns.conf`, `[reactor]\nport = 0\n${store}`);
      await Deno.writeTextFile(
        `${dir}/reporter.conf`,
        `[reactor]\nport = 0\n${store}[reporter]\nflush_ms = 60000\n`,
      );
      const added = await run(binary, dir, [
        "route",
        "add",
        "3",
        "4",
        "10.3.4.5",
        "3405",
        "--config",
        "dns.conf",
      ]);
      assert.equal(added.code, 0, added.stderr);

      const ports: number[] = [];
      for (const name of ["dns", "reporter"]) {
        const p = new GroupProcess(binary, [name, "--config", `${name}.conf`], { cwd: dir });
        running.push(p);
        ports.push(await listeningPort(p));
      }
      const [dnsPort, reporterPort] = ports;
      const agentPort = freeUdpPortTriple();
      await Deno.writeTextFile(
        `${dir}/agent.conf`,
        `[reporter]\nip = 127.0.0.1\nport = ${reporterPort}\n` +
          `[dnsserver]\nip = 127.0.0.1\nport = ${dnsPort}\n` +
          `[agent]\nport = ${agentPort}\nreport_interval = 0.1\ncache_dir = cache\n` +
          `caller = 10.1.2.3\n`,
      );
      const agent = new GroupProcess(binary, ["agent", "--config", "agent.conf"], { cwd: dir });
      running.push(agent);
      await agent.waitForLog(/INFO agent: UDP /);

      const target = `127.0.0.1:${agentPort}`;
      const got = await run(binary, "/", ["gethost", "3", "4", "--agent", target]);
      assert.equal(got.stdout, "RET_SUCC 10.3.4.5:3405\n", got.stderr);
      const route = await run(binary, dir, [
        "getroute",
        "3",
        "4",
        "--json",
        "--config",
        "agent.conf",
      ]);
      assert.deepEqual(JSON.parse(route.stdout).hosts, [{ ip: "10.3.4.5", port: 3405 }]);
      const reported = await run(binary, "/", [
        "report",
        "3",
        "4",
        "10.3.4.5",
        "3405",
        "0",
        "--agent",
        target,
      ]);
      assert.equal(reported.code, 0, reported.stderr);
      await new Promise((r) => setTimeout(r, 600));

      for (const p of running) await p.signalGroup("TERM");
      for (const p of running) {
        assert.equal((await p.exited()).code, 0, p.log);
        assert.match(p.log, /: stopped\n/);
      }
      running.length = 0;
      const rows = await run(binary, dir, ["route", "list", "--json", "--config", "dns.conf"]);
      assert.equal(JSON.parse(rows.stdout).routes.length, 1);
      const sqlite = new (await import("node:sqlite")).DatabaseSync(`${dir}/lars.db`);
      try {
        const status = sqlite.prepare("SELECT modid, succ_cnt FROM ServerCallStatus").all();
        assert.deepEqual(status.map((r) => ({ ...r })), [{ modid: 3, succ_cnt: 1 }]);
      } finally {
        sqlite.close();
      }

      // A port in use is one line naming it and its key, on Bun too (Bun binds asynchronously).
      const holder = Deno.listen({ hostname: "127.0.0.1", port: dnsPort });
      // The demo below runs on the ports the agent's config names (free again, a small race).
      await Deno.writeTextFile(`${dir}/dns.conf`, `[reactor]\nport = ${dnsPort}\n${store}`);
      await Deno.writeTextFile(
        `${dir}/reporter.conf`,
        `[reactor]\nport = ${reporterPort}\n${store}[reporter]\nflush_ms = 60000\n`,
      );
      try {
        const busy = await run(binary, dir, ["dns", "--config", "dns.conf"]);
        assert.equal(busy.code, 1, busy.stderr);
        assert.match(
          busy.stderr,
          new RegExp(
            `ERROR dns: cannot listen on 127\\.0\\.0\\.1:${dnsPort} \\(\\[reactor\\] ip, port\\)`,
          ),
        );
      } finally {
        holder.close();
      }

      // `lars demo` starts the same binary's services; the ports are free again.
      for (
        const [from, to] of [["dns", "lars_dns"], ["reporter", "lars_reporter"], [
          "agent",
          "lars_lb_agent",
        ]]
      ) {
        await Deno.copyFile(`${dir}/${from}.conf`, `${dir}/${to}.conf`);
      }
      await Deno.writeTextFile(
        `${dir}/lars_web.conf`,
        `[web]\nport = 0\nuser = admin\npassword = \${LARS_WEB_PASSWORD}\n${store}`,
      );
      const demo = await run(binary, "/", ["demo", "--conf-dir", dir, "--seconds", "1"]);
      assert.equal(demo.code, 0, demo.stdout + demo.stderr);
      assert.match(demo.stdout, /demo: using the routes already in/);
      assert.match(demo.stdout, /^ {2}lars gethost 1 1$/m);
      assert.match(
        demo.stdout,
        /web admin\s+http:\/\/127\.0\.0\.1:\d+\/ {2}\(user admin, password/,
      );
      assert.match(demo.stdout, /\[web\] .*INFO web: stopped/);
      assert.match(demo.stdout, /demo: stopped cleanly/);
    } finally {
      for (const p of running) await p.kill();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

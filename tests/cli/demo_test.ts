import { freeTcpPort } from "../support/ports.ts";
import assert from "node:assert/strict";
import { freeUdpPortTriple } from "../support/agent_probe.ts";
import { GroupProcess } from "../support/group.ts";
import { repoTempDir, runTask, writeRepoFile } from "../support/process.ts";
import { openReportStore } from "../../store/url.ts";

/**
 * Writes the four demo configs into `dir`; returns the ports. The agent's
 * config names the DNS and reporter ports, so those are picked here (a small
 * race until the demo binds them); the web admin binds port 0.
 */
async function writeConfigs(dir: string): Promise<{ dns: number; agent: number }> {
  const dns = freeTcpPort();
  const reporter = freeTcpPort();
  const agent = freeUdpPortTriple();
  const store = `[store]\nurl = sqlite:${dir}/lars.db\n`;
  await writeRepoFile(`${dir}/lars_dns.conf`, `[reactor]\nport = ${dns}\n${store}`);
  await writeRepoFile(`${dir}/lars_reporter.conf`, `[reactor]\nport = ${reporter}\n${store}`);
  await writeRepoFile(
    `${dir}/lars_lb_agent.conf`,
    `[reporter]\nip = 127.0.0.1\nport = ${reporter}\n[dnsserver]\nip = 127.0.0.1\nport = ${dns}\n` +
      `[agent]\nport = ${agent}\ncache_dir = ${dir}/cache\n`,
  );
  await writeRepoFile(
    `${dir}/lars_web.conf`,
    `[web]\nport = 0\nuser = admin\npassword = \${LARS_WEB_PASSWORD}\n${store}`,
  );
  return { dns, agent };
}

Deno.test("demo - starts DNS, reporter, agent and web admin, balances the sample module, stops cleanly", async () => {
  const dir = await repoTempDir("demo_");
  try {
    const { dns, agent } = await writeConfigs(dir.path);
    const r = await runTask("demo", ["--conf-dir", dir.path, "--seconds", "5"]);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(out, /demo: added 6 sample hosts/);
    const rows = out.match(/^ {2}10\.0\.0\.\d:900\d\s+\d+\s+\d+$/gm) ?? [];
    assert.equal(rows.length, 3, out);
    assert.match(out, /demo: [1-9]\d* rows in ServerCallStatus/);
    assert.match(out, new RegExp(`DNS service\\s+tcp 127\\.0\\.0\\.1:${dns}`));
    assert.match(
      out,
      new RegExp(`agent\\s+udp 127\\.0\\.0\\.1:${agent},${agent + 1},${agent + 2}`),
    );
    const login = out.match(
      new RegExp(
        `web admin\\s+http://127\\.0\\.0\\.1:\\d+/ {2}\\(user admin, password (\\S+)\\)`,
      ),
    );
    assert.ok(login, out);
    assert.match(out, /\[web\] .*INFO web: stopped/);
    assert.match(
      out,
      /admin endpoints {2}dns http:\/\/127\.0\.0\.1:\d+ {2}reporter http:\/\/127\.0\.0\.1:\d+ {2}agent http:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(out, /deno task lars status --admin 127\.0\.0\.1:\d+/);
    assert.match(out, /demo: stopped cleanly/);
    // The background traffic called module 2/1 too (the simulator only calls 1/1).
    const reports = await openReportStore(`sqlite:${dir.path}/lars.db`);
    try {
      assert.ok((await reports.listStatus({ modid: 2, cmdid: 1 })).length > 0, out);
    } finally {
      await reports.close();
    }
    assert.match(out, /\[dns\] .*INFO dns: stopped/);
    assert.match(out, /\[agent\] .*INFO agent: stopped/);
  } finally {
    await dir.remove();
  }
});

Deno.test("demo - one Ctrl-C to the whole process group stops every service cleanly", async () => {
  const dir = await repoTempDir("demo_");
  await writeConfigs(dir.path);
  const demo = GroupProcess.task("demo", ["--conf-dir", dir.path]);
  try {
    await demo.waitForLog(/Ctrl-C stops everything\./, 60_000);
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    await demo.signalGroup("INT");
    const status = await demo.exited();
    assert.equal(status.code, 0, demo.log);
    assert.match(demo.log, /demo: stopped cleanly/);
    for (const name of ["dns", "reporter", "agent", "web"]) {
      assert.match(demo.log, new RegExp(`\\[${name}\\] .*INFO ${name}: stopped\\n`));
    }
    assert.doesNotMatch(demo.log, /exiting now|did not stop cleanly/);
  } finally {
    await demo.kill();
    await dir.remove();
  }
});

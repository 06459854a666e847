/**
 * The services as an operator runs them: configs in a directory outside the
 * repository, started with `deno task NAME --config FILE` from that
 * directory (the launcher derives the permissions), and stopped by a signal
 * to the whole process group, as a terminal's Ctrl-C or systemd does.
 */
import assert from "node:assert/strict";
import { openReportStore } from "../../store/url.ts";
import { freeUdpPortTriple } from "../support/agent_probe.ts";
import { GroupProcess, PROJECT_ROOT } from "../support/group.ts";

const LISTENING = /listening on 127\.0\.0\.1:(\d+)/;

async function lars(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", `${PROJECT_ROOT}deno.json`, "lars", ...args],
    cwd,
    // As from a shell in `cwd`: a nested deno task would keep the INIT_CWD of `deno task test`.
    env: { INIT_CWD: cwd },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code: r.code, out: text.decode(r.stdout) + text.decode(r.stderr) };
}

Deno.test("services - configs outside the repo; one group SIGINT each stops all cleanly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_etc_" });
  const running: GroupProcess[] = [];
  try {
    const store = `[store]\nurl = sqlite:${dir}/var/lars.db\n`;
    await Deno.writeTextFile(`${dir}/dns.conf`, `[reactor]\nport = 0\n${store}`);
    // A long flush window: the reports are still queued when the signal comes.
    await Deno.writeTextFile(
      `${dir}/reporter.conf`,
      `[reactor]\nport = 0\n${store}[reporter]\nflush_ms = 60000\n`,
    );
    // Stored before DNS starts, so DNS has it loaded when the agent first asks.
    const added = await lars(dir, [
      "route",
      "add",
      "5",
      "6",
      "10.5.6.7",
      "5607",
      "--config",
      "dns.conf",
    ]);
    assert.equal(added.code, 0, added.out);
    const dns = GroupProcess.task("dns", ["--config", "dns.conf"], { cwd: dir });
    const reporter = GroupProcess.task("reporter", ["--config", "reporter.conf"], { cwd: dir });
    running.push(dns, reporter);
    const dnsPort = Number((await dns.waitForLog(LISTENING))[1]);
    const reporterPort = Number((await reporter.waitForLog(LISTENING))[1]);
    const agentPort = freeUdpPortTriple();
    await Deno.writeTextFile(
      `${dir}/agent.conf`,
      `[reporter]\nip = 127.0.0.1\nport = ${reporterPort}\n` +
        `[dnsserver]\nip = 127.0.0.1\nport = ${dnsPort}\n` +
        `[agent]\nport = ${agentPort}\nreport_interval = 0.1\ncache_dir = ${dir}/var/cache\n` +
        `caller = 10.9.8.7\n`,
    );
    const agent = GroupProcess.task("agent", ["--config", "agent.conf"], { cwd: dir });
    running.push(agent);
    await agent.waitForLog(/INFO agent: UDP /);

    // The first gethost of a module answers: reg_init runs first, as in the original tools.
    const got = await lars(dir, ["gethost", "5", "6", "--config", "agent.conf"]);
    assert.equal(got.out, "RET_SUCC 10.5.6.7:5607\n");
    const reported = await lars(dir, [
      "report",
      "5",
      "6",
      "10.5.6.7",
      "5607",
      "1",
      "--config",
      "agent.conf",
    ]);
    assert.equal(reported.code, 0, reported.out);
    // The agent commits statistics every 0.1 s; give it a few intervals to reach the reporter.
    await new Promise((r) => setTimeout(r, 600));

    for (const p of running) await p.signalGroup("INT");
    const statuses = await Promise.all(running.map((p) => p.exited()));
    for (const [i, p] of running.entries()) {
      assert.equal(statuses[i].code, 0, p.log);
      assert.match(p.log, /INFO \w+: SIGINT: stopping/);
      assert.match(p.log, /INFO \w+: stopped\n/);
      assert.doesNotMatch(p.log, /exiting now|Uncaught|ERROR/);
    }
    assert.match(reporter.log, /"rowsWritten":[1-9]/, reporter.log);
    const stats = await openReportStore(`sqlite:${dir}/var/lars.db`);
    try {
      const rows = await stats.listStatus();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].modid, 5);
      assert.equal(rows[0].caller, 0x0A090807);
      assert.ok(rows[0].err >= 1, JSON.stringify(rows[0]));
    } finally {
      await stats.close();
    }
    running.length = 0;
  } finally {
    for (const p of running) await p.kill();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("services - a busy port is one line naming the address and its config key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_etc_" });
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = holder.addr;
    await Deno.writeTextFile(
      `${dir}/dns.conf`,
      `[reactor]\nport = ${port}\n[store]\nurl = sqlite:${dir}/lars.db\n`,
    );
    const dns = GroupProcess.task("dns", ["--config", `${dir}/dns.conf`]);
    const status = await dns.exited();
    assert.equal(status.code, 1, dns.log);
    assert.match(
      dns.log,
      new RegExp(
        `ERROR dns: cannot listen on 127\\.0\\.0\\.1:${port} \\(\\[reactor\\] ip, port\\): ` +
          `address already in use; stop the process that holds it or set another port in ` +
          `${dir}/dns\\.conf\\n`,
      ),
    );
    assert.doesNotMatch(dns.log, /Uncaught|\n\s+at /);
  } finally {
    holder.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("services - without the derived permissions, start-up names the key and the fix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars_etc_" });
  try {
    const conf = `${dir}/dns.conf`;
    const port = 0; // any free port: the derived --allow-net=127.0.0.1:0 grants exactly that
    await Deno.writeTextFile(
      conf,
      `[reactor]\nport = ${port}\n[store]\nurl = sqlite:${dir}/lars.db\n`,
    );
    const bare = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${conf}`,
        `${PROJECT_ROOT}dns/main.ts`,
        "--config",
        conf,
      ],
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(bare.stderr);
    assert.equal(bare.code, 1, err);
    assert.match(
      err,
      new RegExp(`listen on 127\\.0\\.0\\.1:${port} \\(\\[reactor\\] ip, port in ${conf}\\)`),
    );
    assert.match(err, new RegExp(`read and write ${dir} \\(\\[store\\] url in ${conf}\\)`));
    assert.match(err, /deno task lars permissions dns --config/);
    assert.doesNotMatch(err, /\n\s+at /);

    // The command `lars permissions` prints runs the service with just those permissions.
    const printed = await lars(dir, ["permissions", "dns", "--config", "dns.conf"]);
    assert.equal(printed.code, 0, printed.out);
    const line = printed.out.trim();
    assert.match(line, new RegExp(`--allow-net=127\\.0\\.0\\.1:${port} `));
    // The DNS on SQLite also reads its worker's sources (dns, store, reactor, proto).
    assert.match(line, new RegExp(`--allow-read=${conf},${dir},[^ ]*/dns,[^ ]*/proto `));
    assert.match(line, new RegExp(`--allow-write=${dir} `));
    assert.match(line, /--allow-env=LARS_LOG,LARS_LOG_FORMAT /);
    assert.match(line, new RegExp(`dns/main\\.ts --config ${conf}$`));
    const dns = new GroupProcess("sh", ["-c", `exec ${line}`]);
    try {
      await dns.waitForLog(LISTENING);
      await dns.signalGroup("TERM");
      assert.equal((await dns.exited()).code, 0, dns.log);
    } finally {
      await dns.kill();
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

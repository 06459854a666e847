/**
 * Lars on three "hosts": network namespaces made by the test. MariaDB, DNS
 * and the reporter run in the hub namespace, one agent in each of two
 * others, each service reading its config from a directory outside the
 * repository and started with `deno task NAME --config FILE` (permissions
 * derived from that config, a MySQL URL with `${VAR}` inside). A route change
 * reaches both agents, statistics from both land in ServerCallStatus, and a
 * link cut and restore heals without a restart. Skipped, with the reason,
 * where namespaces cannot be made (not root).
 */
import assert from "node:assert/strict";
import { findExecutable } from "../support/mariadb_process.ts";
import { GroupProcess, PROJECT_ROOT } from "../support/group.ts";
import { type LabHost, NetnsLab, netnsUnavailable } from "../support/netns.ts";

const why = await netnsUnavailable() ??
  (findExecutable(["mariadbd", "mysqld"]) && findExecutable(["mariadb-install-db"])
    ? null
    : "no mariadbd / mariadb-install-db (install mariadb-server)");
if (why) console.error(`!!! multi-host test IGNORED: ${why} !!!`);

const DB_PORT = 13306;
const DNS_PORT = 17778;
const REPORTER_PORT = 17779;
const AGENT_PORT = 18888;
const PASSWORD = crypto.randomUUID().replaceAll("-", "");

async function output(argv: string[], env?: Record<string, string>) {
  const r = await new Deno.Command(argv[0], { args: argv.slice(1), stdin: "null", env }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** `deno task lars ARGS` inside namespace `ns`. */
function lars(ns: string, args: string[]) {
  return output(
    NetnsLab.exec(ns, [
      Deno.execPath(),
      "task",
      "-q",
      "--config",
      `${PROJECT_ROOT}deno.json`,
      "lars",
      ...args,
    ]),
    { LARS_NS_DB_PASSWD: PASSWORD },
  );
}

/** Polls `check` every 200 ms until it holds; fails with `what` after `timeoutMs`. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A private MariaDB in namespace `ns`, on 127.0.0.1:DB_PORT there, with database `lars`. */
async function startMariadb(ns: string, dir: string): Promise<GroupProcess> {
  await Deno.writeTextFile(
    `${dir}/init.sql`,
    `CREATE DATABASE IF NOT EXISTS lars;\n` +
      `CREATE USER IF NOT EXISTS 'lars'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';\n` +
      `GRANT ALL PRIVILEGES ON lars.* TO 'lars'@'127.0.0.1';\n`,
  );
  const install = await output([
    findExecutable(["mariadb-install-db"])!,
    "--no-defaults",
    `--datadir=${dir}/data`,
    `--tmpdir=${dir}`,
    "--user=root",
    "--auth-root-authentication-method=socket",
    "--skip-test-db",
  ]);
  assert.equal(install.code, 0, install.out + install.err);
  return new GroupProcess(
    "ip",
    NetnsLab.exec(ns, [
      findExecutable(["mariadbd", "mysqld"])!,
      "--no-defaults",
      `--datadir=${dir}/data`,
      `--socket=${dir}/mysqld.sock`,
      `--pid-file=${dir}/mysqld.pid`,
      `--log-error=${dir}/error.log`,
      `--init-file=${dir}/init.sql`,
      `--tmpdir=${dir}`,
      `--port=${DB_PORT}`,
      "--bind-address=127.0.0.1",
      "--user=root",
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=32M",
    ]).slice(1),
  );
}

/** Rows of ServerCallStatus as `caller ip:port succ/err`, read over the server's socket. */
async function statusRows(ns: string, dir: string): Promise<string[]> {
  const r = await output(NetnsLab.exec(ns, [
    "mariadb",
    `--socket=${dir}/mysqld.sock`,
    "-uroot",
    "-N",
    "-e",
    "SELECT INET_NTOA(caller), INET_NTOA(ip), port FROM ServerCallStatus ORDER BY caller",
    "lars",
  ]));
  return r.code === 0
    ? r.out.trim().split("\n").filter(Boolean).map((l) => l.replace(/\t/g, " "))
    : [];
}

async function hostsSeenBy(agent: LabHost): Promise<string> {
  const r = await lars(agent.ns, [
    "getroute",
    "7",
    "1",
    "--json",
    "--agent",
    `127.0.0.1:${AGENT_PORT}`,
  ]);
  if (r.code !== 0) return "";
  const hosts: { ip: string; port: number }[] = JSON.parse(r.out).hosts;
  return hosts.map((h) => `${h.ip}:${h.port}`).sort().join(" ");
}

Deno.test({
  name:
    "multi-host - DNS, reporter and MariaDB on one host, agents on two; routes, stats, link cut",
  ignore: why !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const lab = await NetnsLab.create();
    const etc = await Deno.makeTempDir({ prefix: "lars_etc_" });
    const running: GroupProcess[] = [];
    try {
      const a1 = await lab.addHost("a1");
      const a2 = await lab.addHost("a2");
      await Deno.mkdir(`${etc}/db`);
      const db = await startMariadb(lab.hub, `${etc}/db`);
      running.push(db);
      await eventually(
        "MariaDB",
        async () =>
          (await output(
            NetnsLab.exec(lab.hub, [
              "mariadb",
              `--socket=${etc}/db/mysqld.sock`,
              "-uroot",
              "-e",
              "SELECT 1",
            ]),
          )).code === 0,
      );

      // The password stays in the environment: ${VAR} inside the URL.
      const store = `[store]\nurl = mysql://lars:\${LARS_NS_DB_PASSWD}@127.0.0.1:${DB_PORT}/lars\n`;
      await Deno.writeTextFile(
        `${etc}/lars_dns.conf`,
        `[reactor]\nip = 0.0.0.0\nport = ${DNS_PORT}\n${store}`,
      );
      await Deno.writeTextFile(
        `${etc}/lars_reporter.conf`,
        `[reactor]\nip = 0.0.0.0\nport = ${REPORTER_PORT}\n${store}[reporter]\nflush_ms = 50\n`,
      );
      for (const agent of [a1, a2]) {
        await Deno.writeTextFile(
          `${etc}/${agent.ns}.conf`,
          `[dnsserver]\nip = ${agent.hubAddress}\nport = ${DNS_PORT}\n` +
            `[reporter]\nip = ${agent.hubAddress}\nport = ${REPORTER_PORT}\n` +
            `[loadbalance]\nupdate_timeout = 2\n` +
            `[agent]\nport = ${AGENT_PORT}\nreport_interval = 0.2\ncaller = ${agent.address}\n` +
            `cache_dir = ${etc}/${agent.ns}-cache\n`,
        );
      }
      const added = await lars(lab.hub, [
        "route",
        "add",
        "7",
        "1",
        "10.7.1.1",
        "7101",
        "--config",
        `${etc}/lars_dns.conf`,
      ]);
      assert.equal(added.code, 0, added.out + added.err);

      const env = { LARS_NS_DB_PASSWD: PASSWORD };
      const task = (ns: string, name: string, conf: string) =>
        new GroupProcess(
          "ip",
          NetnsLab.exec(ns, [
            Deno.execPath(),
            "task",
            "-q",
            "--config",
            `${PROJECT_ROOT}deno.json`,
            name,
            "--config",
            conf,
          ]).slice(1),
          { env },
        );
      const dns = task(lab.hub, "dns", `${etc}/lars_dns.conf`);
      const reporter = task(lab.hub, "reporter", `${etc}/lars_reporter.conf`);
      running.push(dns, reporter);
      await dns.waitForLog(/listening on 0\.0\.0\.0:/);
      await reporter.waitForLog(/listening on 0\.0\.0\.0:/);
      const agents = [a1, a2].map((a) => task(a.ns, "agent", `${etc}/${a.ns}.conf`));
      running.push(...agents);
      for (const agent of agents) {
        await agent.waitForLog(/agent-dns-client: connected to 198\.18\./);
      }

      // Both agents serve the route; a change made on the hub reaches both.
      for (const a of [a1, a2]) {
        const got = await lars(a.ns, ["gethost", "7", "1", "--agent", `127.0.0.1:${AGENT_PORT}`]);
        assert.equal(got.out, "RET_SUCC 10.7.1.1:7101\n", got.err);
      }
      await lars(lab.hub, [
        "route",
        "add",
        "7",
        "1",
        "10.7.1.2",
        "7102",
        "--config",
        `${etc}/lars_dns.conf`,
      ]);
      for (const a of [a1, a2]) {
        await eventually(
          `the new host on ${a.ns}`,
          async () => (await hostsSeenBy(a)) === "10.7.1.1:7101 10.7.1.2:7102",
        );
      }

      // Statistics from both agents land in ServerCallStatus, keyed by caller.
      for (const a of [a1, a2]) {
        const r = await lars(a.ns, [
          "report",
          "7",
          "1",
          "10.7.1.1",
          "7101",
          "0",
          "--agent",
          `127.0.0.1:${AGENT_PORT}`,
        ]);
        assert.equal(r.code, 0, r.err);
      }
      await eventually("statistics of both agents", async () => {
        const rows = await statusRows(lab.hub, `${etc}/db`);
        return rows.includes(`${a1.address} 10.7.1.1 7101`) &&
          rows.includes(`${a2.address} 10.7.1.1 7101`);
      });

      // Cut a1's link, change the route, restore the link: a1 catches up without a restart.
      await lab.link(a1, "down");
      await lars(lab.hub, [
        "route",
        "del",
        "7",
        "1",
        "10.7.1.1",
        "7101",
        "--config",
        `${etc}/lars_dns.conf`,
      ]);
      await eventually(
        "the removal on a2",
        async () => (await hostsSeenBy(a2)) === "10.7.1.2:7102",
      );
      await lab.link(a1, "up");
      await eventually(
        "the removal on a1 after the link is back",
        async () => (await hostsSeenBy(a1)) === "10.7.1.2:7102",
        60_000,
      );
      const after = await lars(a1.ns, [
        "report",
        "7",
        "1",
        "10.7.1.2",
        "7102",
        "1",
        "--agent",
        `127.0.0.1:${AGENT_PORT}`,
      ]);
      assert.equal(after.code, 0, after.err);
      await eventually(
        "a1's statistics after the link is back",
        async () =>
          (await statusRows(lab.hub, `${etc}/db`)).includes(`${a1.address} 10.7.1.2 7102`),
        60_000,
      );

      const services = [dns, reporter, ...agents];
      for (const p of services) await p.signalGroup("TERM");
      for (const p of services) {
        assert.equal((await p.exited()).code, 0, p.log);
        assert.match(p.log, /: stopped\n/);
      }
    } finally {
      for (const p of running.toReversed()) await p.kill();
      await lab.close();
      await Deno.remove(etc, { recursive: true }).catch(() => {});
    }
  },
});

import assert from "node:assert/strict";
import {
  listeningPort,
  repoTempDir,
  runTask,
  ServiceProcess,
  writeRepoFile,
} from "../support/process.ts";
import { WebClient } from "./web_client.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function hashPassword(password: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "web", "hash-password"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(password + "\n"));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const line = new TextDecoder().decode(out.stdout).trim();
  assert.match(line, /^password_hash = scrypt\$/);
  return line;
}

Deno.test("web process - `lars web` with a password_hash from hash-password, JSON logs, admin endpoint; SIGTERM stops it", async () => {
  const dir = await repoTempDir("web_");
  try {
    await writeRepoFile(
      `${dir.path}/lars_web.conf`,
      `[web]\nport = 0\nuser = ops\n${await hashPassword("process-test-pw")}\n` +
        `[store]\nurl = sqlite:${dir.path}/lars.db\n[log]\nformat = json\n[admin]\nport = 0\n`,
    );
    const web = new ServiceProcess("lars", ["web", "--config", `${dir.path}/lars_web.conf`]);
    const port = await listeningPort(web);
    const client = new WebClient(`http://127.0.0.1:${port}`);
    await client.login("ops", "process-test-pw");
    const added = await client.call("POST", "/api/routes", {
      modid: 1,
      cmdid: 1,
      ip: "10.0.0.1",
      port: 1,
    });
    assert.equal(added.status, 201);
    // The admin endpoint ([admin] port = 0: a free port, logged).
    const admin = (await web.waitForLog(/admin endpoint on (http:\/\/[\d.]+:\d+)/))[1];
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /^lars_web_logins_total 1$/m);
    assert.match(metrics, /^lars_web_writes_total [1-9]/m);
    assert.match(metrics, /^lars_web_sessions 1$/m);
    const ready = await fetch(`${admin}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const status = await web.stop("SIGTERM");
    assert.equal(status.code, 0, web.log);
    assert.doesNotMatch(web.log, /process-test-pw/, "no password in the log");
    const login = web.log.split("\n").find((line) => line.includes("login: ops"));
    assert.ok(login, web.log);
    assert.equal(JSON.parse(login).msg, "login: ops from 127.0.0.1");
    const info = await Deno.stat(`${ROOT}${dir.path}/lars.db`);
    assert.equal(info.mode! & 0o777, 0o600, "the SQLite file is 0600");
  } finally {
    await dir.remove();
  }
});

Deno.test("web process - a bad config stops start-up naming file, section and key", async () => {
  const dir = await repoTempDir("web_");
  try {
    const conf = `${dir.path}/lars_web.conf`;
    await writeRepoFile(conf, `[web]\nuser = ops\npassword = \${LARS_UNSET_TEST_VAR}\n`);
    const r = await runTask("web", ["--config", conf]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${conf}: \\[web\\] password: environment variable`));
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const taken = (busy.addr as Deno.NetAddr).port;
    try {
      await writeRepoFile(
        conf,
        `[web]\nport = ${taken}\nuser = ops\npassword_hash = ${
          (await hashPassword("abcdefgh"))
            .split(" = ")[1]
        }\n[store]\nurl = sqlite:${dir.path}/lars.db\n`,
      );
      const r2 = await runTask("web", ["--config", conf]);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken}`));
    } finally {
      busy.close();
    }
  } finally {
    await dir.remove();
  }
});

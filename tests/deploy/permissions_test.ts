/** The permissions derived from a config: exactly what it names, nothing more. */
import assert from "node:assert/strict";
import { serviceCommand, toolCommand } from "../../cli/permissions.ts";

async function withConfig(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lars_perm_" });
  try {
    await Deno.writeTextFile(`${dir}/x.conf`, text);
    await fn(`${dir}/x.conf`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const options = {
  root: "/opt/lars",
  deno: "deno",
  cwd: "/srv/lars",
  env: () => undefined,
  missingEnv: "placeholder" as const,
};

Deno.test("permissions - remote MySQL with ${VAR} in the URL, [admin], reporter workers", async () => {
  await withConfig(
    "[reactor]\nip = 10.1.2.3\nport = 7779\n" +
      "[store]\nurl = mysql://lars:${DB_PW}@db.internal:3307/lars_${SITE}\n" +
      "[admin]\nport = 9779\n",
    async (conf) => {
      const { flags, argv } = await serviceCommand("reporter", conf, options);
      assert.deepEqual(flags, [
        "--no-prompt",
        `--allow-read=${conf},/opt/lars/reporter,/opt/lars/store,/opt/lars/reactor,/opt/lars/proto`,
        "--allow-net=10.1.2.3:7779,127.0.0.1:9779,db.internal:3307",
        "--allow-env=LARS_LOG,LARS_LOG_FORMAT,DB_PW,SITE",
      ]);
      assert.deepEqual(argv.slice(-3), ["/opt/lars/reporter/main.ts", "--config", conf]);
    },
  );
});

Deno.test("permissions - [admin] port = 0 (any free port) listens on ip:0", async () => {
  await withConfig(
    "[reactor]\nport = 7778\n[store]\nurl = sqlite::memory:\n[admin]\nport = 0\n",
    async (conf) => {
      const { flags } = await serviceCommand("dns", conf, options);
      assert.ok(flags.includes("--allow-net=127.0.0.1:7778,127.0.0.1:0"), flags.join(" "));
    },
  );
});

Deno.test("permissions - SQLite and cache paths resolve against the working directory", async () => {
  await withConfig(
    "[reactor]\nport = 7778\n[store]\nurl = sqlite:state/routes.db\n",
    async (conf) => {
      const { flags } = await serviceCommand("dns", conf, options);
      // On SQLite the DNS reads whole tables in a worker: its sources are readable too.
      assert.ok(
        flags.includes(
          `--allow-read=${conf},/srv/lars/state,/opt/lars/dns,/opt/lars/store,` +
            "/opt/lars/reactor,/opt/lars/proto",
        ),
        flags.join(" "),
      );
      assert.ok(flags.includes("--allow-write=/srv/lars/state"));
      assert.ok(flags.includes("--allow-net=127.0.0.1:7778"));
    },
  );
  await withConfig(
    "[dnsserver]\nip = 10.0.0.1\nport = 7778\n[reporter]\nip = 10.0.0.1\nport = 7779\n" +
      "[agent]\nip = 10.0.0.9\ncache_dir = cache\ncaller = 10.0.0.9\n",
    async (conf) => {
      const { flags } = await serviceCommand("agent", conf, options);
      // Bound beyond loopback, the agent answers clients on any host: only then all of --allow-net.
      assert.ok(flags.includes("--allow-net"), flags.join(" "));
      assert.ok(flags.includes("--allow-write=/srv/lars/cache"));
      assert.ok(!flags.some((f) => f.startsWith("--allow-sys")), "caller set: no interfaces");
    },
  );
});

Deno.test("permissions - the lars tool gets what its command needs", async () => {
  await withConfig("[agent]\nip = 127.0.0.1\nport = 9000\n", async (conf) => {
    const gethost = await toolCommand(["gethost", "1", "1", "--config", conf], options);
    assert.deepEqual(gethost.flags, [
      "--no-prompt",
      `--allow-read=${conf}`,
      "--allow-net=127.0.0.1:0,127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002",
      "--allow-env=LARS_LOG,LARS_LOG_FORMAT",
    ]);
  });
  const route = await toolCommand(["route", "list", "--store", "mysql://u:p@10.9.9.9/db"], options);
  assert.ok(route.flags.includes("--allow-net=10.9.9.9:3306"), route.flags.join(" "));
  const help = await toolCommand(["--version"], options);
  assert.deepEqual(help.flags, ["--no-prompt", "--allow-env=LARS_LOG,LARS_LOG_FORMAT"]);
});

import assert from "node:assert/strict";
import { Config, ConfigError } from "../../reactor/config.ts";

const AGENT_CONF = `; lars_lb_agent.conf, as shipped (comments in both styles)
# reporter service
[reporter]
ip = 127.0.0.1
port = 7779

[dnsserver]
ip=127.0.0.1
port=7778

[loadbalance]
;经过若干次获取请求host节点后，试探选择一次overload过载节点
probe_num=10
  init_succ_cnt = 180   ; inline comment with ;
init_err_cnt=5 # inline comment with #
err_rate = 0.1
succ_rate=0.5
contin_err_limit = 15
   [ flags ]   ; a section header with spaces and a comment
enabled = yes
verbose = off
strict = TRUE
quoted = "a;b#c"
empty =
Case = upper
`;

function agent(): Config {
  return Config.parse(AGENT_CONF, "conf/lars_lb_agent.conf");
}

/** Asserts that `fn` throws a ConfigError with these fields and a message matching `message`. */
function assertConfigError(
  fn: () => unknown,
  fields: { section?: string; key?: string },
  message: RegExp,
): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught}`);
  assert.equal(caught.name, "ConfigError");
  assert.equal(caught.section, fields.section);
  assert.equal(caught.key, fields.key);
  assert.match(caught.message, message);
  assert.doesNotMatch(caught.message, /\.$/);
  return caught;
}

Deno.test("config - reads sections, keys, comments of both styles and inline comments", () => {
  const conf = agent();
  assert.deepEqual(conf.sections(), ["reporter", "dnsserver", "loadbalance", "flags"]);
  assert.deepEqual(conf.keys("reporter"), ["ip", "port"]);
  assert.equal(conf.ipv4("reporter", "ip"), "127.0.0.1");
  assert.equal(conf.port("reporter", "port"), 7779);
  assert.equal(conf.port("dnsserver", "port"), 7778);
  assert.equal(conf.int("loadbalance", "probe_num", undefined, { min: 1 }), 10);
  assert.equal(conf.int("loadbalance", "init_succ_cnt"), 180);
  assert.equal(conf.string("loadbalance", "init_succ_cnt"), "180");
  assert.equal(conf.int("loadbalance", "init_err_cnt"), 5);
  assert.equal(conf.number("loadbalance", "err_rate"), 0.1);
  assert.equal(conf.number("loadbalance", "succ_rate", undefined, { min: 0, max: 1 }), 0.5);
  assert.equal(conf.bool("flags", "enabled"), true);
  assert.equal(conf.bool("flags", "verbose"), false);
  assert.equal(conf.bool("flags", "strict"), true);
  assert.equal(conf.string("flags", "quoted"), "a;b#c");
  assert.equal(conf.string("flags", "empty"), "");
  assert.equal(conf.file, "conf/lars_lb_agent.conf");
});

Deno.test("config - lookups are case-sensitive and defaults fill absent keys", () => {
  const conf = agent();
  assert.equal(conf.has("flags", "Case"), true);
  assert.equal(conf.has("flags", "case"), false);
  assert.equal(conf.has("Reporter", "ip"), false);
  assert.equal(conf.string("flags", "case", "fallback"), "fallback");
  assert.equal(conf.int("loadbalance", "idle_timeout", 15), 15);
  assert.equal(conf.number("loadbalance", "window_err_rate", 0.7), 0.7);
  assert.equal(conf.bool("agent", "debug", false), false);
  assert.equal(conf.port("agent", "port", 8888), 8888);
  assert.equal(conf.ipv4("agent", "bind", "127.0.0.1"), "127.0.0.1");
  assert.equal(conf.string("nosuch", "key", ""), "");
  assert.deepEqual(conf.keys("nosuch"), []);
});

Deno.test("config - a missing key without default names file, section and key", () => {
  assertConfigError(
    () => agent().int("loadbalance", "update_timeout"),
    { section: "loadbalance", key: "update_timeout" },
    /^conf\/lars_lb_agent\.conf: \[loadbalance\] update_timeout: missing required value$/,
  );
});

Deno.test("config - each getter rejects a bad value naming file, section, key and value", () => {
  const conf = Config.parse(
    `[loadbalance]
probe_num = ten
count = 0
big = 9007199254740993
err_rate = 0.1x
rate_hi = 1.5
[reactor]
port = 70000
ip = 127.0.0.256
ip2 = 1.2.3
ip3 = 01.2.3.4
threadNum = 2.5
[flags]
on = maybe
list[] = a
list[] = b
`,
    "conf/lars_lb_agent.conf",
  );
  const f = "conf/lars_lb_agent\\.conf";
  assertConfigError(
    () => conf.int("loadbalance", "probe_num", 10, { min: 1 }),
    { section: "loadbalance", key: "probe_num" },
    new RegExp(`^${f}: \\[loadbalance\\] probe_num: expected an integer >= 1, got "ten"$`),
  );
  assertConfigError(
    () => conf.int("loadbalance", "count", undefined, { min: 1, max: 10 }),
    { section: "loadbalance", key: "count" },
    /\[loadbalance\] count: expected an integer in 1\.\.10, got "0"$/,
  );
  assertConfigError(
    () => conf.int("loadbalance", "big"),
    { section: "loadbalance", key: "big" },
    /expected an integer, got "9007199254740993"$/,
  );
  assertConfigError(
    () => conf.int("reactor", "threadNum"),
    { section: "reactor", key: "threadNum" },
    /\[reactor\] threadNum: expected an integer, got "2\.5"$/,
  );
  assertConfigError(
    () => conf.number("loadbalance", "err_rate"),
    { section: "loadbalance", key: "err_rate" },
    /\[loadbalance\] err_rate: expected a number, got "0\.1x"$/,
  );
  assertConfigError(
    () => conf.number("loadbalance", "rate_hi", undefined, { max: 1 }),
    { section: "loadbalance", key: "rate_hi" },
    /expected a number <= 1, got "1\.5"$/,
  );
  assertConfigError(
    () => conf.port("reactor", "port"),
    { section: "reactor", key: "port" },
    /^conf\/lars_lb_agent\.conf: \[reactor\] port: expected a port in 1\.\.65535, got "70000"$/,
  );
  for (const key of ["ip", "ip2", "ip3"]) {
    assertConfigError(
      () => conf.ipv4("reactor", key),
      { section: "reactor", key },
      /expected an IPv4 address \(dotted quad\), got "/,
    );
  }
  assertConfigError(
    () => conf.bool("flags", "on"),
    { section: "flags", key: "on" },
    /\[flags\] on: expected a boolean \(true\/false, 1\/0, yes\/no, on\/off\), got "maybe"$/,
  );
  assertConfigError(
    () => conf.string("flags", "list"),
    { section: "flags", key: "list" },
    /\[flags\] list: expected a single value, got a list$/,
  );
  assertConfigError(
    () => conf.listenPort("reactor", "port"),
    { section: "reactor", key: "port" },
    /\[reactor\] port: expected a port in 0\.\.65535 \(0: any free port\), got "70000"$/,
  );
  // A default does not hide a bad value that is present.
  assertConfigError(
    () => conf.port("reactor", "port", 7777),
    { section: "reactor", key: "port" },
    /70000/,
  );
});

Deno.test("config - a line that is not a section, key = value or comment is an error", () => {
  assertConfigError(
    () => Config.parse("[reactor]\nport = 7777\nthreadNum 3\n", "conf/lars_dns.conf"),
    {},
    /^conf\/lars_dns\.conf: line 3: expected "\[section\]" or "key = value", got "threadNum 3"$/,
  );
  assertConfigError(() => Config.parse("[a]\n= 5\n", "x.conf"), {}, /^x\.conf: line 2: /);
});

Deno.test("config - keys before any section, dotted section names and CRLF lines", () => {
  const conf = Config.parse("top = 1\r\n[a.b]\r\nx = 2\r\n[a]\r\ny = 3\r\n", "x.conf");
  assert.deepEqual(conf.sections().sort(), ["", "a", "a.b"]);
  assert.equal(conf.int("", "top"), 1);
  assert.equal(conf.int("a.b", "x"), 2);
  assert.equal(conf.int("a", "y"), 3);
  assert.equal(conf.has("a", "b"), false);
});

Deno.test("config - accepts both the reporter and the shipped repoter spelling", () => {
  const shipped = Config.parse("[repoter]\ndb_thread_cnt = 3\n", "conf/lars_reporter.conf");
  const fixed = Config.parse("[reporter]\ndb_thread_cnt = 5\n", "conf/lars_reporter.conf");
  const both = Config.parse(
    "[reporter]\n[repoter]\ndb_thread_cnt = 7\n",
    "conf/lars_reporter.conf",
  );
  const spellings = ["reporter", "repoter"];
  assert.equal(shipped.int(spellings, "db_thread_cnt", 1), 3);
  assert.equal(fixed.int(spellings, "db_thread_cnt", 1), 5);
  assert.equal(both.int(spellings, "db_thread_cnt", 1), 7); // first spelling that has the key
  assert.equal(shipped.firstSection(spellings), "repoter");
  assert.equal(fixed.firstSection(spellings), "reporter");
  assert.equal(both.firstSection(spellings), "reporter");
  assert.equal(Config.parse("", "empty.conf").firstSection(spellings), undefined);
  assert.equal(shipped.has(spellings, "db_thread_cnt"), true);
  assertConfigError(
    () => Config.parse("[reactor]\n", "conf/lars_reporter.conf").int(spellings, "db_thread_cnt"),
    { section: "reporter", key: "db_thread_cnt" },
    /\[reporter\] db_thread_cnt: missing required value \(also looked in \[repoter\]\)$/,
  );
  assertConfigError(
    () => Config.parse("[repoter]\ndb_thread_cnt = x\n", "r.conf").int(spellings, "db_thread_cnt"),
    { section: "repoter", key: "db_thread_cnt" },
    /^r\.conf: \[repoter\] db_thread_cnt: expected an integer, got "x"$/,
  );
});

Deno.test("config - ${NAME} values come from the environment, secrets stay out of errors", () => {
  const name = `LARS_TEST_SECRET_${crypto.randomUUID().replaceAll("-", "_")}`;
  const text =
    `[mysql]\ndb_passwd = \${${name}}\ndb_port = \${${name}}\ndb_user = \${${name}_UNSET}\n`;
  Deno.env.set(name, "s3cr3t-value");
  try {
    const conf = Config.parse(text, "conf/lars_dns.conf");
    assert.equal(conf.string("mysql", "db_passwd"), "s3cr3t-value");
    assert.equal(conf.has("mysql", "db_user"), true);
    const bad = assertConfigError(
      () => conf.port("mysql", "db_port"),
      { section: "mysql", key: "db_port" },
      new RegExp(`expected a port in 1\\.\\.65535, got the value of environment variable ${name}$`),
    );
    assert.doesNotMatch(bad.message, /s3cr3t/);
    assertConfigError(
      () => conf.string("mysql", "db_user"),
      { section: "mysql", key: "db_user" },
      new RegExp(`\\[mysql\\] db_user: environment variable ${name}_UNSET is not set$`),
    );
  } finally {
    Deno.env.delete(name);
  }
});

Deno.test("config - an injected env reader replaces Deno.env", () => {
  const conf = Config.parse("[mysql]\ndb_port = ${DB_PORT}\n", "x.conf", {
    env: (name) => name === "DB_PORT" ? "3306" : undefined,
  });
  assert.equal(conf.port("mysql", "db_port"), 3306);
});

Deno.test("config - ${NAME} expands anywhere inside a value, and envNames lists every reference", () => {
  const env: Record<string, string> = { DB_PASSWD: "p w", DB_HOST: "db.internal", PORT: "99999" };
  const conf = Config.parse(
    "[store]\nurl = mysql://lars:${DB_PASSWD}@${DB_HOST}:3306/lars ; cut here\n" +
      "[reactor]\nport = 7${PORT}\nip = ${DB_HOST}\n[x]\nplain = a$b{c}\n",
    "x.conf",
    { env: (name) => env[name] },
  );
  assert.equal(conf.string("store", "url"), "mysql://lars:p w@db.internal:3306/lars");
  assert.equal(conf.string("x", "plain"), "a$b{c}");
  assertConfigError(
    () => conf.port("reactor", "port"),
    { section: "reactor", key: "port" },
    /got a value made with environment variables PORT$/,
  );
  assert.deepEqual(conf.envNames(), ["DB_HOST", "DB_PASSWD", "PORT"]);
  assert.deepEqual(Config.parse("[a]\nb = c\n", "y.conf").envNames(), []);
});

Deno.test({
  name: "config - works without env permission unless a value uses ${NAME}",
  permissions: { env: false, read: false },
  fn() {
    const conf = Config.parse(
      "[mysql]\ndb_host = 127.0.0.1\ndb_passwd = ${LARS_DB_PASSWD}\n",
      "x.conf",
    );
    assert.equal(conf.ipv4("mysql", "db_host"), "127.0.0.1");
    const err = assertConfigError(
      () => conf.string("mysql", "db_passwd"),
      { section: "mysql", key: "db_passwd" },
      /\[mysql\] db_passwd: cannot read environment variable LARS_DB_PASSWD: .*env/,
    );
    assert.ok(err.cause instanceof Deno.errors.NotCapable);
  },
});

Deno.test("config - load() reads a file and names it in errors", async () => {
  const path = await Deno.makeTempFile({ suffix: ".conf" });
  try {
    await Deno.writeTextFile(path, "[reactor]\nmaxConn = 1024\nport = 0\n");
    const conf = await Config.load(path);
    assert.equal(conf.int("reactor", "maxConn", undefined, { min: 1 }), 1024);
    assertConfigError(() => conf.port("reactor", "port"), {
      section: "reactor",
      key: "port",
    }, new RegExp(`^${path.replaceAll(".", "\\.")}: \\[reactor\\] port: expected a port`));
    const fromUrl = await Config.load(new URL(`file://${path}`));
    assert.equal(fromUrl.file, path);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("config - load() of a missing file is a ConfigError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/lars_lb_agent.conf`;
  try {
    await assert.rejects(Config.load(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, path);
      assert.equal(err.section, undefined);
      assert.equal(err.key, undefined);
      assert.equal(err.message, `${path}: cannot read config file: no such file`);
      assert.equal((err.cause as { code?: string }).code, "ENOENT");
      return true;
    });
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("config - a listen port may be 0 (any free port); a peer's port may not", () => {
  const conf = Config.parse("[web]\nport = 0\n[admin]\nport = 65535\n", "lars_web.conf");
  assert.equal(conf.listenPort("web", "port", 7780), 0);
  assert.equal(conf.listenPort("admin", "port"), 65535);
  assert.equal(conf.listenPort("reactor", "port", 7778), 7778);
  assertConfigError(
    () => conf.port("web", "port"),
    { section: "web", key: "port" },
    /expected a port in 1\.\.65535, got "0"$/,
  );
  assertConfigError(
    () => Config.parse("[web]\nport = -1\n", "f").listenPort("web", "port"),
    { section: "web", key: "port" },
    /expected a port in 0\.\.65535 \(0: any free port\), got "-1"$/,
  );
});

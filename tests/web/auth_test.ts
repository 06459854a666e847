import assert from "node:assert/strict";
import { Config } from "../../reactor/config.ts";
import { hashPassword, LoginLimiter, parsePasswordHash, Sessions, Users } from "../../web/auth.ts";
import { readWebSettings } from "../../web/config.ts";

Deno.test("web auth - scrypt hashes verify only their password; bad forms are refused", async () => {
  const line = await hashPassword("s3cret-pass");
  assert.match(line, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const check = parsePasswordHash(line);
  assert.equal(await check.verify("s3cret-pass"), true);
  assert.equal(await check.verify("s3cret-pasS"), false);
  assert.notEqual(await hashPassword("s3cret-pass"), line, "salted");
  for (
    const bad of ["", "scrypt$1$8$1$a$b", "bcrypt$16384$8$1$AAAAAAAAAAA=$AAAA", "scrypt$3$8$1$x$y"]
  ) {
    assert.throws(() => parsePasswordHash(bad), TypeError, bad);
  }
  const users = new Users(new Map([["bob", check]]));
  assert.equal(await users.check("bob", "s3cret-pass"), true);
  assert.equal(await users.check("eve", "s3cret-pass"), false);
});

Deno.test("web auth - sessions expire and are bounded", () => {
  let now = 1000;
  const sessions = new Sessions(60_000, 2, () => now);
  const a = sessions.create("a");
  assert.equal(sessions.get(a.token)?.user, "a");
  assert.notEqual(a.session.csrf, a.token);
  now += 60_000;
  assert.equal(sessions.get(a.token), undefined, "expired");
  const b = sessions.create("b");
  sessions.create("c");
  sessions.create("d");
  assert.equal(sessions.size, 2);
  assert.equal(sessions.get(b.token), undefined, "the oldest was dropped");
  assert.equal(sessions.get(undefined), undefined);
});

Deno.test("web auth - login limiter counts failures per client in a window", () => {
  let now = 0;
  const limiter = new LoginLimiter(2, 60_000, 2, () => now);
  limiter.fail("1.1.1.1");
  assert.equal(limiter.retryAfter("1.1.1.1"), 0);
  now = 10_000;
  limiter.fail("1.1.1.1");
  assert.equal(limiter.retryAfter("1.1.1.1"), 50);
  assert.equal(limiter.retryAfter("2.2.2.2"), 0);
  now = 60_001;
  assert.equal(limiter.retryAfter("1.1.1.1"), 0, "the first failure left the window");
  limiter.fail("2.2.2.2");
  limiter.fail("3.3.3.3");
  limiter.fail("4.4.4.4");
  limiter.succeed("4.4.4.4");
  assert.equal(limiter.retryAfter("4.4.4.4"), 0);
});

Deno.test("web config - defaults, password from ${VAR}, errors name file, section and key", async () => {
  const env = (name: string) => (name === "PW" ? "long-enough" : undefined);
  const parse = (text: string) => readWebSettings(Config.parse(text, "web.conf", { env }));
  const s = await parse("[web]\nuser = admin\npassword = ${PW}\n[store]\nurl = sqlite::memory:\n");
  assert.equal(s.hostname, "127.0.0.1");
  assert.equal(s.port, 7780);
  assert.equal(s.sessionTtl, 43200);
  assert.equal(await s.users.get("admin")!.verify("long-enough"), true);
  await assert.rejects(parse("[web]\nuser = admin\n[store]\nurl = sqlite:x\n"), {
    message: /^web\.conf: \[web\] password_hash: missing/,
  });
  await assert.rejects(parse("[web]\nuser = admin\npassword = short\n"), {
    message: /^web\.conf: \[web\] password: shorter than 8/,
  });
  await assert.rejects(parse("[web]\nuser = admin\npassword_hash = nope\n"), {
    message: /^web\.conf: \[web\] password_hash: expected scrypt/,
  });
  await assert.rejects(parse("[web]\nuser = a b\npassword = ${PW}\n"), {
    message: /^web\.conf: \[web\] user: /,
  });
  await assert.rejects(
    parse("[web]\nuser = admin\npassword = ${PW}\nport = 99999\n[store]\nurl = sqlite:x\n"),
    { message: /^web\.conf: \[web\] port: / },
  );
});

import assert from "node:assert/strict";
import { Config, ConfigError } from "../../reactor/config.ts";
import { storeUrlFromConfig } from "../../store/config.ts";

Deno.test("store config - a bad [store] url stops start-up naming file, section and key", () => {
  const config = Config.parse("[store]\nurl = postgres://x\n", "conf/lars_dns.conf");
  assert.throws(
    () => storeUrlFromConfig(config),
    (err: unknown) =>
      err instanceof ConfigError &&
      /^conf\/lars_dns\.conf: \[store\] url: Invalid store URL "postgres:\/\/x"/.test(err.message),
  );
});

Deno.test("store config - the message of a bad MySQL URL does not show its password", () => {
  const config = Config.parse("[store]\nurl = mysql://lars:s3cret@db:notaport/lars\n", "x.conf");
  assert.throws(
    () => storeUrlFromConfig(config),
    (err: unknown) => err instanceof ConfigError && !err.message.includes("s3cret"),
  );
});

Deno.test("store config - [store] url wins; without it the URL comes from [mysql]", () => {
  const both = Config.parse(
    "[store]\nurl = sqlite:data/x.db\n[mysql]\ndb_user = u\ndb_passwd = p\n",
    "x.conf",
  );
  assert.equal(storeUrlFromConfig(both), "sqlite:data/x.db");
  const mysqlOnly = Config.parse(
    "[mysql]\ndb_host = 10.0.0.9\ndb_port = 3307\ndb_user = u\ndb_passwd = p\ndb_name = lars_dns\n",
    "x.conf",
  );
  assert.equal(storeUrlFromConfig(mysqlOnly), "mysql://u:p@10.0.0.9:3307/lars_dns");
});

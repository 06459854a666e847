/**
 * The shipped systemd units start each service with exactly the permissions
 * `lars permissions` derives from the shipped example config.
 */
import assert from "node:assert/strict";
import { units } from "../../tools/systemd_units.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("deploy - the systemd units are what tools/systemd_units.ts derives from deploy/etc/lars", async () => {
  for (const { name, text } of await units()) {
    const committed = await Deno.readTextFile(new URL(`deploy/systemd/${name}`, ROOT));
    assert.equal(committed, text, `deploy/systemd/${name} is stale: run tools/systemd_units.ts`);
    assert.match(text, /^KillMode=mixed$/m);
    assert.match(text, /^Restart=on-failure$/m);
  }
  const [dns, , agent] = (await units()).map((u) => u.text);
  assert.match(
    dns,
    /^ExecStart=\/usr\/local\/bin\/deno run --config=\/opt\/lars\/deno\.json --unstable-net --v8-flags=--max-semi-space-size=1,--optimize-for-size --no-prompt --allow-read=\/etc\/lars\/lars_dns\.conf,\/opt\/lars\/dns,\/opt\/lars\/store,\/opt\/lars\/reactor,\/opt\/lars\/proto --allow-net=0\.0\.0\.0:7778,127\.0\.0\.1:17778,127\.0\.0\.1:3306 --allow-env=LARS_LOG,LARS_LOG_FORMAT,LARS_DB_PASSWD \/opt\/lars\/dns\/main\.ts --config \/etc\/lars\/lars_dns\.conf$/m,
  );
  assert.match(
    agent,
    /--allow-net=127\.0\.0\.1:8888,127\.0\.0\.1:8889,127\.0\.0\.1:8890,127\.0\.0\.1:18888,192\.0\.2\.10:7778,192\.0\.2\.10:7779,127\.0\.0\.1 /,
  );
  assert.match(agent, /--allow-write=\/var\/lib\/lars\/agent_cache /);
  assert.match(agent, / --v8-flags=--max-semi-space-size=1,--optimize-for-size,--no-opt /);
});

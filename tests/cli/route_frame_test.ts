import assert from "node:assert/strict";
import { intToIp } from "../../proto/ip.ts";
import { openRouteStore } from "../../store/mod.ts";
import { getTestMysql, testMysqlUnavailableReason } from "../support/mariadb.ts";
import { repoTempDir, runTask } from "../support/process.ts";
import { hostsThatFillAFrame } from "../store/contract_frame.ts";

const mysql = await getTestMysql();

/**
 * Two `lars route add` processes at once, each adding a host to a module with
 * room for one more: exactly one is added, the other is refused by the check in
 * the store's transaction, and the module never outgrows one frame.
 */
async function twoConcurrentAdds(url: string): Promise<void> {
  const full = hostsThatFillAFrame();
  const seed = await openRouteStore(url);
  try {
    const rows = Array.from({ length: full - 1 }, (_, i) => ({
      modid: 7,
      cmdid: 1,
      ip: 0x0A000000 + i,
      port: 9000,
    }));
    await seed.importRoutes(rows, { replace: false });
  } finally {
    await seed.close();
  }
  const add = (i: number) =>
    runTask("lars", ["route", "add", "7", "1", intToIp(0x0A000000 + i), "9000", "--store", url]);
  const results = await Promise.all([add(full), add(full + 1)]);
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 1], JSON.stringify(results));
  const refused = results.find((r) => r.code === 1)!;
  assert.match(
    refused.stdout,
    new RegExp(
      `module 7/1 would have ${full + 1} hosts, .* over the 65527-byte limit of one frame`,
    ),
  );
  const check = await openRouteStore(url);
  try {
    assert.equal((await check.listRoutes({ modid: 7, cmdid: 1 })).length, full);
  } finally {
    await check.close();
  }
}

Deno.test("lars route add - two at once cannot overflow a module (sqlite)", async () => {
  const dir = await repoTempDir("cli_");
  try {
    await twoConcurrentAdds(`sqlite:${dir.path}/lars.db`);
  } finally {
    await dir.remove();
  }
});

Deno.test({
  name: "lars route add - two at once cannot overflow a module (mysql)",
  ignore: !mysql,
  async fn() {
    if (!mysql) throw new Error(testMysqlUnavailableReason() ?? "no MySQL");
    await twoConcurrentAdds(await mysql.createDatabase(`lars_cli_frame_${Deno.pid}`));
  },
});

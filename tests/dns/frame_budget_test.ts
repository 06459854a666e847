import assert from "node:assert/strict";
import { hostsThatFit, MAX_BODY_SIZE, responseBodySize } from "../../dns/frame_budget.ts";
import { GetRouteResponseCodec, type HostInfo, ipToInt } from "../../proto/mod.ts";
import { mulberry32, randInt, testSeed } from "../support/random.ts";

Deno.test("frame budget - the computed size equals the encoded size", () => {
  const random = mulberry32(testSeed());
  const edges = [0, 1, 127, 128, 16383, 16384, 0x1FFFFF, 0x200000, 0x0FFFFFFF, 0x10000000];
  for (let round = 0; round < 500; round++) {
    const modid = round < 10 ? edges[round] : randInt(random, 0, 0x7FFFFFFF);
    const cmdid = randInt(random, 0, 3) === 0 ? 0 : randInt(random, 0, 0x7FFFFFFF);
    const host: HostInfo[] = Array.from({ length: randInt(random, 0, 40) }, () => ({
      ip: randInt(random, 0, 5) === 0 ? 0 : randInt(random, 0, 0xFFFFFFFF),
      port: randInt(random, 0, 4) === 0 ? 0 : randInt(random, 1, 65535),
      ...(randInt(random, 0, 2) === 0 ? { weight: randInt(random, 0, 1000) } : {}),
      ...(randInt(random, 0, 4) === 0 ? { fleetOverload: true } : {}),
    }));
    assert.equal(
      responseBodySize(modid, cmdid, host),
      GetRouteResponseCodec.encode({ modid, cmdid, host }).length,
    );
  }
});

Deno.test("frame budget - high addresses take 10 bytes, so fewer of them fit", () => {
  const high = Array.from({ length: 5000 }, (_, i) => ({
    ip: ipToInt("192.168.0.0") + i,
    port: 8000,
  }));
  const low = Array.from({ length: 8000 }, (_, i) => ({ ip: ipToInt("10.0.0.0") + i, port: 8000 }));
  const nHigh = hostsThatFit(1, 1, high);
  const nLow = hostsThatFit(1, 1, low);
  assert.ok(nHigh < nLow, `${nHigh} high vs ${nLow} low`);
  for (const [hosts, n] of [[high, nHigh], [low, nLow]] as const) {
    assert.ok(responseBodySize(1, 1, hosts.slice(0, n)) <= MAX_BODY_SIZE);
    assert.ok(responseBodySize(1, 1, hosts.slice(0, n + 1)) > MAX_BODY_SIZE);
  }
  assert.equal(hostsThatFit(1, 1, high.slice(0, 10)), 10);
});

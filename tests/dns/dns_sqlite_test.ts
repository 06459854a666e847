import { registerDnsFleetSuite } from "./dns_fleet_suite.ts";
import { registerDnsSuite } from "./dns_suite.ts";

let n = 0;
const dir = await Deno.makeTempDir({ prefix: "lars_dns_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const target = {
  name: "sqlite",
  unavailable: null,
  freshUrl: () => Promise.resolve(`sqlite:${dir}/routes_${++n}.db`),
};
registerDnsSuite(target);
registerDnsFleetSuite(target);

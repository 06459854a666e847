import assert from "node:assert/strict";
import { HostIndex, hostKey, HostState } from "../../agent/host_list.ts";

const addr = (h: HostState) => `${h.ip}:${h.port}`;

Deno.test("host index - finds, adds and removes hosts in join order, as a list and past it as a map", () => {
  const index = new HostIndex();
  const hosts = Array.from({ length: 12 }, (_, i) => new HostState(0xC0A80000 + i, 9000 + i));
  for (const [n, host] of hosts.entries()) {
    index.add(host);
    assert.equal(index.size, n + 1);
    // Every host added so far is found by address (signed or unsigned IP), others are not.
    for (const [m, other] of hosts.entries()) {
      assert.equal(index.get(other.ip | 0, other.port), m <= n ? other : undefined);
    }
    assert.equal(index.get(hosts[n].ip, hosts[n].port + 1), undefined);
    assert.deepEqual([...index.values()].map(addr), hosts.slice(0, n + 1).map(addr));
  }
  for (const gone of [hosts[0], hosts[5], hosts[11]]) index.delete(gone);
  const left = hosts.filter((_, i) => i !== 0 && i !== 5 && i !== 11);
  assert.equal(index.size, 9);
  assert.deepEqual([...index.values()].map(addr), left.map(addr));
  assert.equal(index.get(hosts[5].ip, hosts[5].port), undefined);

  const small = new HostIndex();
  for (const host of hosts.slice(0, 3)) small.add(host);
  small.delete(hosts[1]);
  small.delete(hosts[1]); // not there: nothing changes
  assert.deepEqual([...small.values()].map(addr), [hosts[0], hosts[2]].map(addr));
});

Deno.test("host index - a port outside 0..65535 is its own key, never another host's", () => {
  assert.notEqual(hostKey(1, 70000), hostKey(2, 70000 - 65536));
  assert.equal(hostKey(-1, 80), hostKey(0xFFFFFFFF, 80));
  const index = new HostIndex();
  const odd = new HostState(1, 70000);
  index.add(odd);
  assert.equal(index.get(1, 70000), odd);
  assert.equal(index.get(2, 70000 - 65536), undefined);
});

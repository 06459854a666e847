import assert from "node:assert/strict";
import { readAgentSettings } from "../../agent/config.ts";
import { Config, ConfigError } from "../../reactor/config.ts";

const BASE =
  "[reporter]\nip = 127.0.0.1\nport = 7779\n\n[dnsserver]\nip = 127.0.0.1\nport = 7778\n";

function settings(agent: string) {
  return readAgentSettings(Config.parse(`${BASE}\n[agent]\n${agent}\n`, "x/lars_lb_agent.conf"));
}

Deno.test("agent config - empty_route_hold and peer_timeout default to 300 s and 10 s", () => {
  const s = settings("");
  assert.equal(s.emptyRouteHoldSeconds, 300);
  assert.equal(s.peerTimeoutSeconds, 10);
  const custom = settings("empty_route_hold = 0\npeer_timeout = 2.5");
  assert.equal(custom.emptyRouteHoldSeconds, 0);
  assert.equal(custom.peerTimeoutSeconds, 2.5);
  assert.equal(s.maxModules, 200_000);
  assert.equal(settings("max_modules = 500").maxModules, 500);
});

Deno.test("agent config - a bad empty_route_hold, peer_timeout or max_modules names file, section and key", () => {
  for (
    const [line, key] of [
      ["empty_route_hold = -1", "empty_route_hold"],
      ["empty_route_hold = soon", "empty_route_hold"],
      ["peer_timeout = 0", "peer_timeout"],
      ["peer_timeout = forever", "peer_timeout"],
      ["max_modules = 0", "max_modules"],
      ["max_modules = 1.5", "max_modules"],
      ["max_modules = lots", "max_modules"],
    ]
  ) {
    assert.throws(
      () => settings(line),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith(`x/lars_lb_agent.conf: [agent] ${key}:`),
      line,
    );
  }
});

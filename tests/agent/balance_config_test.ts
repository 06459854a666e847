import assert from "node:assert/strict";
import { readAgentSettings } from "../../agent/config.ts";
import { DEFAULT_LOAD_BALANCE_OPTIONS } from "../../agent/load_balance_options.ts";
import { readDnsSettings } from "../../dns/config.ts";
import { DEFAULT_FLEET_HEALTH } from "../../dns/fleet_health.ts";
import { Config, ConfigError } from "../../reactor/config.ts";

const AGENT_BASE =
  "[reporter]\nip = 127.0.0.1\nport = 7779\n\n[dnsserver]\nip = 127.0.0.1\nport = 7778\n";

function agent(lines: string) {
  const text = `${AGENT_BASE}\n[loadbalance]\n${lines}\n`;
  return readAgentSettings(Config.parse(text, "x/lars_lb_agent.conf")).loadBalance;
}

function dns(lines: string) {
  const text = `[store]\nurl = sqlite:x.db\n\n[dns]\n${lines}\n`;
  return readDnsSettings(Config.parse(text, "x/lars_dns.conf"));
}

function throwsNaming(fn: () => unknown, prefix: string) {
  assert.throws(fn, (err: unknown) => err instanceof ConfigError && err.message.startsWith(prefix));
}

Deno.test("balance config - our [loadbalance] keys: defaults, the original's values, bad values", () => {
  const defaults = agent("");
  for (const key of ["maxEjectionPercent", "maxOverloadTimeout", "probeInterval", "slowStart"]) {
    const k = key as keyof typeof defaults;
    assert.equal(defaults[k], DEFAULT_LOAD_BALANCE_OPTIONS[k], key);
  }
  const original = agent(
    "max_ejection_percent = 100\nmax_overload_timeout = 0\nprobe_interval = 0\nslow_start = 0",
  );
  assert.deepEqual(
    [original.maxEjectionPercent, original.maxOverloadTimeout, original.probeInterval],
    [100, 0, 0],
  );
  throwsNaming(
    () => agent("max_ejection_percent = 120"),
    "x/lars_lb_agent.conf: [loadbalance] max_ejection_percent:",
  );
  throwsNaming(() => agent("slow_start = soon"), "x/lars_lb_agent.conf: [loadbalance] slow_start:");
  throwsNaming(
    () => agent("probe_interval = -1"),
    "x/lars_lb_agent.conf: [loadbalance] probe_interval:",
  );
});

Deno.test("balance config - [dns] fleet keys: on by default, off, bad values", () => {
  assert.deepEqual(dns("").fleet, { ...DEFAULT_FLEET_HEALTH });
  assert.equal(dns("fleet_health = false").fleet, false);
  assert.deepEqual(dns("fleet_window = 60\nfleet_interval = 2").fleet, {
    ...DEFAULT_FLEET_HEALTH,
    windowSeconds: 60,
    intervalMs: 2000,
  });
  throwsNaming(
    () => dns("fleet_overload_share = 2"),
    "x/lars_dns.conf: [dns] fleet_overload_share:",
  );
  throwsNaming(() => dns("fleet_min_callers = 0"), "x/lars_dns.conf: [dns] fleet_min_callers:");
});

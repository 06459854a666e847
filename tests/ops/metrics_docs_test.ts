import assert from "node:assert/strict";
import { metricCatalog } from "../support/metric_catalog.ts";

const ROOT = new URL("../../", import.meta.url);

/**
 * Metric names in `text` (series suffixes of histograms folded into their
 * metric); in Markdown, only names in backticks.
 */
function namesIn(text: string, markdown = false): Set<string> {
  const names = new Set<string>();
  const pattern = markdown ? /`(lars_[a-z0-9_]+)`/g : /(?<![\w/])(lars_[a-z0-9_]+)/g;
  for (const [, name] of text.matchAll(pattern)) {
    names.add(name.replace(/_(bucket|sum|count)$/, ""));
  }
  return names;
}

async function catalog() {
  const dir = await Deno.makeTempDir({ prefix: "lars-metrics-" });
  try {
    return await metricCatalog(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("metrics - every exported metric follows the naming rules and is in docs/metrics.md, and back", async () => {
  const exported = await catalog();
  for (const [name, entry] of exported) {
    assert.match(name, /^lars_[a-z0-9_]+$/);
    if (entry.type === "counter") assert.match(name, /_total$/, `${name} is a counter`);
    if (/^lars_(dns|reporter|agent)_/.test(name) && entry.type !== "counter") {
      assert.doesNotMatch(name, /_total$/, `${name} is a ${entry.type}`);
    }
  }
  for (
    const required of [
      "lars_agent_requests_total",
      "lars_agent_get_host_total",
      "lars_agent_hosts",
      "lars_dns_requests_total",
      "lars_dns_pushes_total",
      "lars_dns_modules",
      "lars_dns_hosts",
      "lars_dns_push_delay_seconds",
      "lars_reporter_rows_written_total",
      "lars_reporter_queue_keys",
      "lars_reporter_dropped_total",
      "lars_bad_frames_total",
      "lars_process_resident_memory_bytes",
      "lars_process_cpu_seconds_total",
      "lars_nodejs_eventloop_lag_p99_seconds",
    ]
  ) {
    assert.ok(exported.has(required), `${required} is exported`);
  }
  assert.deepEqual(exported.get("lars_bad_frames_total")!.services, ["dns", "reporter", "agent"]);
  const docs = namesIn(await Deno.readTextFile(new URL("docs/metrics.md", ROOT)), true);
  const undocumented = [...exported.keys()].filter((name) => !docs.has(name));
  assert.deepEqual(undocumented, [], "exported but not in docs/metrics.md");
  const unknown = [...docs].filter((name) => !exported.has(name));
  assert.deepEqual(unknown, [], "in docs/metrics.md but not exported");
});

Deno.test("metrics - the Grafana dashboard is valid JSON and names only exported metrics", async () => {
  const exported = await catalog();
  const text = await Deno.readTextFile(new URL("deploy/grafana-lars.json", ROOT));
  const dashboard = JSON.parse(text);
  assert.equal(typeof dashboard.title, "string");
  const exprs: string[] = [];
  const walk = (panels: { targets?: { expr: string }[]; panels?: unknown[] }[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) exprs.push(target.expr);
      walk((panel.panels ?? []) as typeof panels);
    }
  };
  walk(dashboard.panels);
  assert.ok(exprs.length >= 10, `only ${exprs.length} queries`);
  const used = namesIn(exprs.join("\n"));
  const missing = [...used].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], "dashboard queries metrics nobody exports");
  for (const name of ["lars_agent_hosts", "lars_dns_push_delay_seconds", "lars_bad_frames_total"]) {
    assert.ok(used.has(name), `the dashboard shows ${name}`);
  }
});

// What the agent's isolates load at start on Deno, from Deno's own module graph (`deno info`):
// no npm package and no Node module that loads Deno's Node compatibility layer for nothing
// (docs/performance.md, Memory). Dynamic imports (the admin endpoint's metrics, the Node
// transport, node:fs off Deno) are left out: they load only when used.
import assert from "node:assert/strict";

interface GraphModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier?: string; resolutionMode?: string; isDynamic?: boolean };
    isDynamic?: boolean;
  }[];
}

/** Every specifier reached from `entry` through static imports only. */
async function staticImports(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: GraphModule[];
  };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.isDynamic || dep.code?.isDynamic) continue;
      const target = dep.code?.specifier ?? dep.specifier;
      if (/^(node|npm):/.test(dep.specifier)) seen.add(dep.specifier);
      else todo.push(target);
    }
  }
  return seen;
}

/** Node modules whose first import costs RSS (the fs and network parts of the compat layer). */
const HEAVY_NODE = /^node:(fs|fs\/promises|net|dgram|http|https|dns|stream)$/;

Deno.test("agent imports - the shard worker loads only the Deno transport, no npm and no node: I/O", async () => {
  const imports = await staticImports("../../agent/shard_worker.ts");
  assert.ok([...imports].some((s) => s.endsWith("/reactor/udp_endpoint.ts")), "graph was read");
  const heavy = [...imports].filter((s) => s.startsWith("npm:") || HEAVY_NODE.test(s));
  assert.deepEqual(heavy, []);
  assert.ok(![...imports].some((s) => s.endsWith("/reactor/transport_node.ts")));
});

Deno.test("agent imports - the main isolate loads no npm package (ini, prom-client) and no node:fs", async () => {
  const imports = await staticImports("../../agent/main.ts");
  assert.ok([...imports].some((s) => s.endsWith("/agent/agent_service.ts")), "graph was read");
  const heavy = [...imports].filter((s) => s.startsWith("npm:") || HEAVY_NODE.test(s));
  assert.deepEqual(heavy, []);
  assert.ok(![...imports].some((s) => s.endsWith("/reactor/metrics.ts")));
});

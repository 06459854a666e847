/**
 * Each client entry loads one runtime: `mod.ts` (Deno) no `node:` module and
 * not the Node transport, `node.ts` (Bun, Node; the bundle's source) not the
 * Deno transport. Read from the module graph `deno info --json` prints.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The specifiers of every module `entry` loads, relative to the repository when local. */
async function moduleGraph(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules.map((m) => m.specifier.replace(ROOT.href, "")).sort();
}

Deno.test("entries - mod.ts loads no node: module and no Node transport", async () => {
  const modules = await moduleGraph("mod.ts");
  assert.ok(modules.includes("client/deno.ts"), modules.join("\n"));
  assert.ok(modules.includes("reactor/transport_deno.ts"));
  assert.deepEqual(modules.filter((m) => m.startsWith("node:")), []);
  assert.ok(!modules.includes("reactor/transport_node.ts"));
});

Deno.test("entries - node.ts loads the Node transport and not the Deno one", async () => {
  const modules = await moduleGraph("node.ts");
  assert.ok(modules.includes("reactor/transport_node.ts"), modules.join("\n"));
  assert.ok(modules.includes("node:dgram"));
  assert.ok(!modules.includes("reactor/transport_deno.ts"));
  assert.ok(!modules.includes("client/deno.ts"));
});

Deno.test("entries - both type-check with no deno.json (as when imported by URL)", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--no-config", "mod.ts", "node.ts"],
    cwd: ROOT,
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
});

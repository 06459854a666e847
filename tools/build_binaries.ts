/**
 * Builds the standalone `dist/lars` binary with Bun: every service (DNS,
 * reporter, agent, demo) and every tool in one file that needs neither Deno
 * nor Bun to run.
 *
 * `bun build --compile` cannot read `npm:` specifiers, so `deno bundle` first
 * turns the entry (`cli/lars_bin.ts`) and the Web Worker modules
 * (`agent/shard_worker.ts`, `reporter/store_worker.ts`,
 * `dns/table_loader_worker.ts`) into ESM files with
 * only `node:` imports, in `dist/bun/`. The workers are bundled under their
 * source names next to the entry: the services start them with
 * `new URL("./shard_worker.ts", import.meta.url)`, which inside the binary
 * resolves beside the entry in Bun's embedded file system. Bun compiles the
 * entry with the workers as extra entrypoints.
 *
 * ```sh
 * deno task compile:bun
 * ```
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const STAGE = new URL("dist/bun/", ROOT).pathname;
const BINARY = new URL("dist/lars", ROOT).pathname;

/** Source -> file name in the stage directory (workers keep the name the services load). */
const ENTRIES: [string, string][] = [
  ["cli/lars_bin.ts", "lars.mjs"],
  ["agent/shard_worker.ts", "shard_worker.ts"],
  ["reporter/store_worker.ts", "store_worker.ts"],
  ["dns/table_loader_worker.ts", "table_loader_worker.ts"],
];

/**
 * The modules a bundle imports: statements that start a line (the web
 * admin's page scripts, held as text, add their own relative ones).
 */
export function topLevelImports(code: string): string[] {
  const found = new Set<string>();
  for (const m of code.matchAll(/^(?:import|export)\b[^;"'`]*?from\s*["']([^"']+)["']/gm)) {
    found.add(m[1]);
  }
  for (const m of code.matchAll(/^import\s*["']([^"']+)["']/gm)) found.add(m[1]);
  return [...found].sort();
}

async function run(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/** Bundles and compiles; resolves to the binary's path. */
export async function buildBinary(): Promise<string> {
  await Deno.mkdir(STAGE, { recursive: true });
  await Promise.all(ENTRIES.map(async ([source, name]) => {
    const out = `${STAGE}${name}`;
    await run(Deno.execPath(), ["bundle", "--platform", "deno", "--output", out, source]);
    // What Bun cannot resolve. (Relative imports are the web admin's page scripts, held as
    // text; the line-start check cannot tell them from code, and they need nothing.)
    const foreign = topLevelImports(await Deno.readTextFile(out)).filter((s) =>
      /^(npm|jsr|https?):/.test(s) || /^@?[a-z][\w.-]*(\/|$)/.test(s) && !s.startsWith("node:")
    );
    if (foreign.length > 0) throw new Error(`${out} still imports ${foreign.join(", ")}`);
  }));
  await run("bun", [
    "build",
    "--compile",
    ...ENTRIES.map(([, name]) => `${STAGE}${name}`),
    "--outfile",
    BINARY,
  ]);
  return BINARY;
}

if (import.meta.main) {
  const path = await buildBinary();
  const { size } = await Deno.stat(path);
  console.log(`built ${path} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}

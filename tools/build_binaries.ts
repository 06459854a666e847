/**
 * Builds the standalone `dist/lars-client` binary (the API tools: gethost,
 * getroute, report, simulator, qps, example) with Bun: `deno bundle` turns
 * `cli/lars_client_bin.ts` into one ESM file with only `node:` imports, then
 * `bun build --compile` makes an executable that needs neither Deno nor Bun.
 * (`deno compile` would need to download its runtime, which our build
 * machines cannot; `deno task compile` is kept for machines that can.)
 *
 * ```sh
 * deno task compile:bun
 * ```
 *
 * @module
 */
import { importedSpecifiers } from "./build_client.ts";

const ROOT = new URL("../", import.meta.url);
const BUNDLE = new URL("dist/lars_client_bin.mjs", ROOT).pathname;
const BINARY = new URL("dist/lars-client", ROOT).pathname;

async function run(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

/** Bundles and compiles; resolves to the binary's path. */
export async function buildClientBinary(): Promise<string> {
  await Deno.mkdir(new URL("dist/", ROOT), { recursive: true });
  await run(Deno.execPath(), [
    "bundle",
    "--platform",
    "deno",
    "--output",
    BUNDLE,
    "cli/lars_client_bin.ts",
  ]);
  const foreign = importedSpecifiers(await Deno.readTextFile(BUNDLE)).filter((s) =>
    !s.startsWith("node:")
  );
  if (foreign.length > 0) throw new Error(`The bundle still imports ${foreign.join(", ")}`);
  await run("bun", ["build", "--compile", BUNDLE, "--outfile", BINARY]);
  return BINARY;
}

if (import.meta.main) {
  const path = await buildClientBinary();
  const { size } = await Deno.stat(path);
  console.log(`built ${path} (${(size / 1024 / 1024).toFixed(1)} MiB)`);
}

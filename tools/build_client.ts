/**
 * Builds the client module for Bun and Node: `node.ts` (the client's Bun and
 * Node entry) bundled by
 * `deno bundle` (esbuild) into one ESM file, `dist/lars_client.mjs`, with
 * the codec inside and only `node:` built-ins left as imports, plus its type
 * declarations, `dist/lars_client.d.mts`. Then checks that claim.
 *
 * ```sh
 * deno run --allow-read --allow-write=dist --allow-run tools/build_client.ts [--minify]
 * ```
 *
 * `bun build --compile` cannot read `npm:` specifiers, so standalone Bun
 * binaries are built from this bundle (or a bundle of another entry made the
 * same way), not from the TypeScript sources.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const OUT_DIR = new URL("dist/", ROOT);
const OUT_FILE = new URL("lars_client.mjs", OUT_DIR);

/** Result of {@linkcode buildClient}. */
export interface BuildResult {
  /** Path of the bundle. */
  path: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** The modules the bundle still imports (all `node:` built-ins). */
  imports: string[];
}

/** The specifiers a bundle imports statically or dynamically. */
export function importedSpecifiers(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\bimport\s*(?:[\w$]+\s*,?\s*)?(?:\*\s*as\s*[\w$]+|\{[^}]*\})?\s*(?:from)?\s*["']([^"']+)["']/g,
    /\bexport\s*(?:\*(?:\s*as\s*[\w$]+)?|\{[^}]*\})\s*from\s*["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      // Only what can be a module specifier: the patterns also hit `import` inside strings.
      if (/^[\w@.:/+-]+$/.test(match[1])) found.add(match[1]);
    }
  }
  return [...found].sort();
}

/**
 * Bundles `mod.ts` into `dist/lars_client.mjs`.
 *
 * @throws {Error} when `deno bundle` fails or the bundle imports anything but `node:` built-ins
 */
export async function buildClient(options: { minify?: boolean } = {}): Promise<BuildResult> {
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const args = ["bundle", "--platform", "deno", "--declaration", "--output", OUT_FILE.pathname];
  if (options.minify) args.push("--minify");
  args.push("node.ts");
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot bundle the client: deno bundle failed\n${new TextDecoder().decode(stderr)}`,
    );
  }
  const bundle = await Deno.readTextFile(OUT_FILE);
  const imports = importedSpecifiers(bundle);
  const foreign = imports.filter((specifier) => !specifier.startsWith("node:"));
  if (foreign.length > 0) {
    throw new Error(`Cannot use the bundle: it still imports ${foreign.join(", ")}`);
  }
  return { path: OUT_FILE.pathname, bytes: new TextEncoder().encode(bundle).length, imports };
}

if (import.meta.main) {
  const result = await buildClient({ minify: Deno.args.includes("--minify") });
  const kib = (result.bytes / 1024).toFixed(1);
  console.log(`built ${result.path} (${kib} KiB), imports: ${result.imports.join(", ")}`);
}

/**
 * The few file operations the services' config reader and the agent's route
 * cache need, on Deno's own API where it exists and on `node:fs/promises`
 * elsewhere (Bun, Node). On Deno, importing any `node:fs` module loads part
 * of Deno's Node compatibility layer, about 6 MiB of RSS, for what
 * `Deno.readTextFile` does as well; so `node:fs/promises` is imported only
 * where there is no `Deno`.
 *
 * Errors are the runtime's: both carry `code` (`"ENOENT"` for a missing
 * file), and on Deno a missing permission throws `Deno.errors.NotCapable`.
 *
 * @module
 */

/** What is used of the Deno namespace, when there is one. */
const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/** Reads a UTF-8 text file. */
export async function readTextFile(path: string | URL): Promise<string> {
  if (deno) return await deno.readTextFile(path);
  const fs = await import("node:fs/promises");
  return await fs.readFile(path, "utf8");
}

/** Writes a UTF-8 text file, created with `mode` (an existing file keeps its mode). */
export async function writeTextFile(path: string, text: string, mode: number): Promise<void> {
  if (deno) return await deno.writeTextFile(path, text, { mode });
  const fs = await import("node:fs/promises");
  await fs.writeFile(path, text, { mode });
}

/** Creates a directory and its parents with `mode`, unless it exists. */
export async function makeDirectory(path: string, mode: number): Promise<void> {
  if (deno) return await deno.mkdir(path, { recursive: true, mode });
  const fs = await import("node:fs/promises");
  await fs.mkdir(path, { recursive: true, mode });
}

/** Sets the permission bits of a file. */
export async function changeMode(path: string, mode: number): Promise<void> {
  if (deno) return await deno.chmod(path, mode);
  const fs = await import("node:fs/promises");
  await fs.chmod(path, mode);
}

/** Renames a file, replacing the target (atomically on one file system). */
export async function renameFile(from: string, to: string): Promise<void> {
  if (deno) return await deno.rename(from, to);
  const fs = await import("node:fs/promises");
  await fs.rename(from, to);
}

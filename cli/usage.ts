/**
 * The error a command throws for wrong arguments: the CLI prints its message
 * and the command's usage, and exits 2.
 *
 * @module
 */

/** Wrong command-line arguments. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The lines of `usage` that describe `command` (a line starting
 * `  lars COMMAND`, with its indented continuation lines), or all of `usage`.
 */
export function commandUsage(usage: string, command: string | undefined): string {
  if (!command) return usage;
  const lines = usage.split("\n");
  const picked: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(`  lars ${command} `) && lines[i] !== `  lars ${command}`) continue;
    picked.push(lines[i]);
    while (lines[i + 1]?.startsWith("      ")) picked.push(lines[++i]);
  }
  return picked.length ? `usage:\n${picked.join("\n")}` : usage;
}

import { parseArgs, type ParsedArgs } from "./args.ts";
import { VERSION } from "./version.ts";

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

/** Runs one command given its name, parsed arguments and positionals; resolves to the exit code. */
export type CommandRunner = (command: string, args: ParsedArgs, rest: string[]) => Promise<number>;

/**
 * The shared shape of the `lars` entry points: parse `argv`, answer `--help`,
 * `help [COMMAND]` and `--version` (exit 0) and a missing command (usage,
 * exit 2), run the command; a
 * UsageError prints the command's usage and exits 2, any other error one
 * `lars: ...` line and exit 1.
 */
export async function runCommandLine(
  argv: string[],
  usage: string,
  run: CommandRunner,
): Promise<number> {
  let command: string | undefined = argv.find((a) => !a.startsWith("-"));
  try {
    const args = parseArgs(argv);
    const [first, ...rest] = args.positionals;
    if (args.flags.has("version") && !first) {
      console.log(`lars ${VERSION}`);
      return 0;
    }
    if (first === "help") {
      if (rest.length > 1) throw new UsageError("help takes at most one COMMAND");
      console.log(commandUsage(usage, rest[0]));
      return 0;
    }
    command = first;
    if (args.flags.has("help") || !command) {
      console.log(commandUsage(usage, command));
      return args.flags.has("help") ? 0 : 2;
    }
    return await run(command, args, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`lars: ${err.message}\n${commandUsage(usage, command)}`);
      return 2;
    }
    console.error(`lars: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
}

/**
 * Command-line parsing shared by the `lars` commands: positionals and
 * `--flag value` / `--flag=value` / `--switch`, where a leading `-` followed
 * by a digit is a (negative) number, not a flag.
 *
 * @module
 */
import { UsageError } from "./usage.ts";

/** Parsed arguments. */
export interface ParsedArgs {
  /** Arguments that are not flags, in order. */
  positionals: string[];
  /** Flags by name without dashes; a switch has the value `true`. */
  flags: Map<string, string | true>;
}

/** Flags that never take a value. */
const SWITCHES = new Set(["help", "h", "json", "once", "version", "yes"]);
/** Flags that take a value, over all commands (each command allows its own subset). */
const VALUE_FLAGS = new Set([
  "config",
  "store",
  "agent",
  "count",
  "err-rate",
  "clients",
  "seconds",
  "modid",
  "cmdid",
  "root",
  "deno",
  "conf-dir",
  "module",
  "admin",
  "weight",
]);
/** Short spellings. */
const ALIASES: Record<string, string> = { h: "help", c: "config" };

/** Splits `args` into positionals and flags. */
export function parseArgs(args: string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-") || /^-\d/.test(arg) || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    let name = eq >= 0 ? body.slice(0, eq) : body;
    name = ALIASES[name] ?? name;
    if (!SWITCHES.has(name) && !VALUE_FLAGS.has(name)) {
      throw new UsageError(`unknown option ${arg.split("=")[0]}`);
    }
    if (eq >= 0) flags.set(name, body.slice(eq + 1));
    else if (SWITCHES.has(name)) flags.set(name, true);
    else {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    }
  }
  return { positionals, flags };
}

/** Throws a UsageError for any flag not in `allowed`. */
export function allowFlags(parsed: ParsedArgs, allowed: readonly string[]): void {
  for (const name of parsed.flags.keys()) {
    if (name !== "help" && !allowed.includes(name)) {
      throw new UsageError(`unknown option --${name}`);
    }
  }
}

/** A flag's text value, or `fallback`. */
export function stringFlag(
  parsed: ParsedArgs,
  name: string,
  fallback?: string,
): string | undefined {
  const value = parsed.flags.get(name);
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value ?? fallback;
}

/** A flag's integer value in `[min, max]`, or `fallback`. */
export function intFlag(
  parsed: ParsedArgs,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = stringFlag(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

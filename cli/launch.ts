/**
 * The launcher behind `deno task dns|reporter|agent|lars`: reads the
 * service's config file (any path), derives its least-privilege permissions
 * ({@linkcode serviceCommand}) and runs `deno run` with exactly those flags.
 * For `lars`, the permissions follow the command (`toolCommand`). It forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the service and exits
 * with the service's status (128 + the signal number when a signal ended it).
 *
 *     deno task agent --config /etc/lars/lars_lb_agent.conf
 *     deno run --allow-read --allow-env --allow-run cli/launch.ts agent --config FILE
 *
 * A relative `--config` is taken from the directory `deno task` was started
 * in (`INIT_CWD`); the service runs in the project root, as it did before.
 *
 * @module
 */
import { resolve } from "node:path";
import { ConfigError } from "../reactor/config.ts";
import { PROJECT_ROOT, serviceCommand, toolCommand } from "./permissions.ts";
import { SERVICES } from "./services.ts";

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

/** Where `--config` points (resolved against `INIT_CWD`), or undefined for the default. */
function configArg(args: string[]): { file: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  const base = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if ((arg === "-c" || arg === "--config") && i + 1 < args.length) {
      file = resolve(base, args[++i]);
    } else if (arg.startsWith("--config=")) {
      file = resolve(base, arg.slice("--config=".length));
    } else {
      rest.push(arg);
    }
  }
  return { file, rest };
}

/** The command that runs service `name` (or the `lars` tool) with `args`, or an exit status. */
async function commandFor(name: string, args: string[]): Promise<string[] | number> {
  const { file, rest } = configArg(args);
  if (name === "lars" && Object.hasOwn(SERVICES, args[0] ?? "")) {
    // `deno task lars web --config F`: the same as `deno task web --config F`.
    return commandFor(args[0], args.slice(1));
  }
  if (name === "lars") {
    return (await toolCommand(file === undefined ? rest : [...rest, "--config", file])).argv;
  }
  const service = SERVICES[name];
  if (service && file === undefined && rest.length > 0 && !rest[0].startsWith("-")) {
    // A subcommand of the service (`web hash-password`): its entry, with no permissions.
    return [Deno.execPath(), "run", "--no-prompt", resolve(PROJECT_ROOT, service.entry), ...rest];
  }
  if (!service || rest.length > 0) {
    // --help, a bad argument or an unknown service: the service's own parser answers.
    const known = Object.keys(SERVICES).join(", ");
    if (!service) {
      console.error(`launch: unknown service "${name}" (one of ${known})`);
      return 2;
    }
    if (rest.some((a) => a === "-h" || a === "--help")) {
      console.log(service.definition.usage);
      return 0;
    }
    console.error(`unknown option ${rest[0]}\n\n${service.definition.usage}`);
    return 2;
  }
  try {
    return (await serviceCommand(name, file ?? service.definition.defaultConfig)).argv;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${new Date().toISOString()} ERROR ${name}: ${err.message}`);
    return 1;
  }
}

/** Runs service `name` (or `lars`) with `args`; resolves to the exit status to use. */
export async function launch(name: string, args: string[]): Promise<number> {
  const argv = await commandFor(name, args);
  if (typeof argv === "number") return argv;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  const handlers = FORWARDED.map((signal) => {
    const handler = forward(signal);
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  const status = await child.status;
  for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  if (status.signal) return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
  return status.code;
}

if (import.meta.main) {
  const [name = "", ...args] = Deno.args;
  Deno.exit(await launch(name, args));
}

/**
 * `lars`: the command-line tool. Route administration on the store, and the
 * original's API test tools against a running agent.
 *
 *     deno task lars route add 1 1 127.0.0.1 9000
 *     deno task lars gethost 1 1
 *     deno task lars qps --clients 2 --seconds 10
 *
 * @module
 */
import { ConfigError } from "../reactor/config.ts";
import { Config } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { openRouteStore, redactUrl } from "../store/url.ts";
import { allowFlags, parseArgs, type ParsedArgs, stringFlag } from "./args.ts";
import { CLIENT_USAGE } from "./client_cmds.ts";
import { runClientCommand } from "./client_main.ts";
import { ROUTE_USAGE, runRoute } from "./route_cmd.ts";
import { commandUsage, UsageError } from "./usage.ts";

const USAGE = `usage: lars COMMAND [ARGS] [OPTIONS]   (deno task lars ...)

${ROUTE_USAGE}

${CLIENT_USAGE}

  -h, --help   this text`;

async function storeUrl(args: ParsedArgs): Promise<string> {
  const store = stringFlag(args, "store");
  if (store) return store;
  return storeUrlFromConfig(await Config.load(stringFlag(args, "config", "conf/lars_dns.conf")!));
}

async function runStoreCommand(command: string, args: ParsedArgs, rest: string[]): Promise<number> {
  allowFlags(args, ["store", "config"]);
  if (command === "db" && (rest.length !== 1 || rest[0] !== "init")) {
    throw new UsageError("db takes one command: init");
  }
  const url = await storeUrl(args);
  const store = await openRouteStore(url);
  try {
    if (command === "db") {
      console.log(`schema ready in ${redactUrl(url)} (route version ${await store.version()})`);
      return 0;
    }
    return await runRoute(store, rest, (line) => console.log(line));
  } finally {
    await store.close();
  }
}

/** Runs the CLI with `argv`; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    const args = parseArgs(argv);
    const [first, ...rest] = args.positionals;
    command = first;
    if (args.flags.has("help") || !command) {
      console.log(commandUsage(USAGE, command));
      return args.flags.has("help") ? 0 : 2;
    }
    if (command === "route" || command === "db") return await runStoreCommand(command, args, rest);
    return await runClientCommand(command, args, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`lars: ${err.message}\n${commandUsage(USAGE, command)}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(`lars: ${err.message}`);
      return 1;
    }
    console.error(`lars: ${err instanceof Error ? err.message : err}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

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
import { agentTarget } from "./agent_target.ts";
import { allowFlags, intFlag, parseArgs, type ParsedArgs, stringFlag } from "./args.ts";
import {
  CLIENT_USAGE,
  moduleArgs,
  runExample,
  runGetHost,
  runGetRoute,
  runReport,
} from "./client_cmds.ts";
import { formatQps, runQps } from "./qps.ts";
import { ROUTE_USAGE, runRoute } from "./route_cmd.ts";
import { formatSimulation, simulate } from "./simulator.ts";
import { UsageError } from "./usage.ts";

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

async function runClientCommand(
  command: string,
  args: ParsedArgs,
  rest: string[],
): Promise<number> {
  const target = () => agentTarget(stringFlag(args, "config", "conf/lars_lb_agent.conf"));
  switch (command) {
    case "gethost":
      allowFlags(args, ["config"]);
      return runGetHost(await target(), rest);
    case "getroute":
      allowFlags(args, ["config"]);
      return runGetRoute(await target(), rest);
    case "report":
      allowFlags(args, ["config"]);
      return runReport(await target(), rest);
    case "example":
      allowFlags(args, ["config", "count"]);
      return runExample(await target(), rest, intFlag(args, "count", 10, 1, 1_000_000));
    case "simulator": {
      allowFlags(args, ["config", "err-rate", "count"]);
      const [modid, cmdid] = moduleArgs("simulator", rest);
      const errRate = intFlag(args, "err-rate", 0, 0, 10);
      const count = intFlag(args, "count", 1000, 1, 10_000_000);
      const result = await simulate(await target(), modid, cmdid, errRate, count);
      for (const line of formatSimulation(result)) console.log(line);
      return result.hosts.size > 0 ? 0 : 1;
    }
    case "qps": {
      allowFlags(args, ["config", "clients", "seconds", "modid", "cmdid"]);
      if (rest.length > 0) throw new UsageError("qps takes no positional arguments");
      const summary = await runQps(await target(), {
        clients: intFlag(args, "clients", 1, 1, 1000),
        seconds: intFlag(args, "seconds", 10, 1, 3600),
        modid: intFlag(args, "modid", 1, -(2 ** 31), 2 ** 31 - 1),
        cmdid: intFlag(args, "cmdid", 1, -(2 ** 31), 2 ** 31 - 1),
      });
      return summary.qps > 0 ? 0 : (console.error(formatQps("no answers", summary)), 1);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** The usage lines of one command (with their continuation lines), or all of USAGE. */
function commandUsage(command: string | undefined): string {
  if (!command) return USAGE;
  const lines = USAGE.split("\n");
  const picked: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith(`  lars ${command} `) && lines[i] !== `  lars ${command}`) continue;
    picked.push(lines[i]);
    while (lines[i + 1]?.startsWith("      ")) picked.push(lines[++i]);
  }
  return picked.length ? `usage:\n${picked.join("\n")}` : USAGE;
}

/** Runs the CLI with `argv`; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    const args = parseArgs(argv);
    const [first, ...rest] = args.positionals;
    command = first;
    if (args.flags.has("help") || !command) {
      console.log(commandUsage(command));
      return args.flags.has("help") ? 0 : 2;
    }
    if (command === "route" || command === "db") return await runStoreCommand(command, args, rest);
    return await runClientCommand(command, args, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`lars: ${err.message}\n${commandUsage(command)}`);
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

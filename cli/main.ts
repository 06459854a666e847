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
import { Config } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { openReportStore, openRouteStore, redactUrl } from "../store/url.ts";
import { allowFlags, type ParsedArgs, stringFlag } from "./args.ts";
import { runCache } from "./cache_cmd.ts";
import { CLIENT_USAGE } from "./client_cmds.ts";
import { runClientCommand } from "./client_main.ts";
import { ROUTE_USAGE, runRoute } from "./route_cmd.ts";
import { runStatus, STATUS_USAGE } from "./status_cmd.ts";
import { runCommandLine, UsageError } from "./usage.ts";
import { webMain } from "../web/main.ts";

const USAGE = `usage: lars COMMAND [ARGS] [OPTIONS]   (deno task lars ...)

${ROUTE_USAGE}

${CLIENT_USAGE}
  lars cache                               the agent's route cache, with each route's age
  lars web [--config FILE]                 run the web admin (default conf/lars_web.conf)
  lars web hash-password                   read a password on stdin, print its password_hash
${STATUS_USAGE}

  -h, --help   this text`;

async function storeUrl(args: ParsedArgs): Promise<string> {
  const store = stringFlag(args, "store");
  if (store) return store;
  return storeUrlFromConfig(await Config.load(stringFlag(args, "config", "conf/lars_dns.conf")!));
}

async function runStoreCommand(command: string, args: ParsedArgs, rest: string[]): Promise<number> {
  allowFlags(
    args,
    command === "route" ? ["store", "config", "weight", "yes"] : ["store", "config"],
  );
  if (command === "db" && (rest.length !== 1 || rest[0] !== "init")) {
    throw new UsageError("db takes one command: init");
  }
  const url = await storeUrl(args);
  const store = await openRouteStore(url);
  try {
    if (command === "db") {
      // The report tables too, history included, so one init prepares every service's tables.
      await (await openReportStore(url, { history: true })).close();
      console.log(`schema ready in ${redactUrl(url)} (route version ${await store.version()})`);
      return 0;
    }
    const weight = stringFlag(args, "weight");
    return await runRoute(store, rest, (line) => console.log(line), {
      weight,
      yes: args.flags.get("yes") === true,
    });
  } finally {
    await store.close();
  }
}

/** Runs the CLI with `argv`; returns the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommandLine(argv, USAGE, (command, args, rest) => {
    if (command === "route" || command === "db") return runStoreCommand(command, args, rest);
    if (command === "web") {
      allowFlags(args, ["config"]);
      const config = ["--config", stringFlag(args, "config", "conf/lars_web.conf")!];
      return webMain(rest[0] === "hash-password" ? ["hash-password"] : config);
    }
    if (command === "cache") {
      allowFlags(args, ["config"]);
      if (rest.length > 0) throw new UsageError("cache takes no arguments");
      return runCache(stringFlag(args, "config", "conf/lars_lb_agent.conf")!);
    }
    if (command === "status") return runStatus(args, rest);
    return runClientCommand(command, args, rest);
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));

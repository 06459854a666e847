/**
 * The `lars` tools: route administration on the store, the original's API
 * test tools against a running agent, and the permissions of a service for
 * its config. `cli/main.ts` runs them on Deno, `cli/lars_bin.ts` in the
 * standalone binary.
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
import { serviceCommand, shellLine } from "./permissions.ts";
import { ROUTE_USAGE, runRoute } from "./route_cmd.ts";
import { serviceNamed } from "./services.ts";
import { runStatus, STATUS_USAGE } from "./status_cmd.ts";
import { printPasswordHash } from "../web/hash_password.ts";
import { runCommandLine, UsageError } from "./usage.ts";

/** Usage of the tools every `lars` has (the binary adds the services). */
export const TOOLS_USAGE = `${ROUTE_USAGE}

${CLIENT_USAGE}
  lars cache [--json]                      the agent's route cache, with each route's age
${STATUS_USAGE}
  lars web hash-password                   read a password on stdin, print its password_hash
  lars permissions SERVICE [--config FILE] [--root DIR] [--deno PATH]
                                           the deno command that runs SERVICE (dns, reporter,
                                           agent) with exactly the permissions its config
                                           needs (for systemd units); --root is where Lars
                                           is installed (default this checkout)
  lars help [COMMAND]                      this text, or one command's
  lars --version                           the version`;

const USAGE = `usage: lars COMMAND [ARGS] [OPTIONS]   (deno task lars ...)

${TOOLS_USAGE}

  -h, --help   this text`;

async function storeUrl(args: ParsedArgs): Promise<string> {
  const store = stringFlag(args, "store");
  if (store) return store;
  return storeUrlFromConfig(await Config.load(stringFlag(args, "config", "conf/lars_dns.conf")!));
}

async function runStoreCommand(command: string, args: ParsedArgs, rest: string[]): Promise<number> {
  const listing = command === "route" && rest[0] === "list";
  const route = listing ? ["store", "config", "json"] : ["store", "config", "weight", "yes"];
  allowFlags(args, command === "route" ? route : ["store", "config"]);
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
    const options = {
      weight: stringFlag(args, "weight"),
      json: args.flags.has("json"),
      yes: args.flags.get("yes") === true,
    };
    return await runRoute(store, rest, (line) => console.log(line), options);
  } finally {
    await store.close();
  }
}

async function runPermissions(args: ParsedArgs, rest: string[]): Promise<number> {
  allowFlags(args, ["config", "root", "deno"]);
  if (rest.length !== 1) throw new UsageError("permissions takes one SERVICE");
  let name;
  try {
    name = serviceNamed(rest[0]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = stringFlag(args, "config", name.definition.defaultConfig)!;
  const { argv } = await serviceCommand(rest[0], config, {
    root: stringFlag(args, "root"),
    deno: stringFlag(args, "deno"),
    // Secrets need not be set to print the command.
    missingEnv: "placeholder",
  });
  console.log(shellLine(argv));
  return 0;
}

/** Runs one of the tools; returns the exit code. */
export function runTool(command: string, args: ParsedArgs, rest: string[]): Promise<number> {
  if (command === "route" || command === "db") return runStoreCommand(command, args, rest);
  if (command === "permissions") return runPermissions(args, rest);
  if (command === "status") return runStatus(args, rest);
  if (command === "web") {
    if (rest.length !== 1 || rest[0] !== "hash-password") {
      throw new UsageError(
        "the web admin runs as `deno task web --config FILE`; here: web hash-password",
      );
    }
    return printPasswordHash();
  }
  if (command === "cache") {
    allowFlags(args, ["config", "json"]);
    if (rest.length > 0) throw new UsageError("cache takes no arguments");
    const config = stringFlag(args, "config", "conf/lars_lb_agent.conf")!;
    return runCache(config, Date.now() / 1000, args.flags.has("json"));
  }
  return runClientCommand(command, args, rest);
}

/** Runs the CLI with `argv`; returns the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommandLine(argv, USAGE, runTool);
}

/** Runs the tools with `argv` and `usage` (the binary's adds the services); returns the exit code. */
export function runTools(argv: string[], usage: string): Promise<number> {
  return runCommandLine(argv, usage, runTool);
}

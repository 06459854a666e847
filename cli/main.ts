/**
 * `lars`: the command-line tool.
 *
 *     deno task lars route add 1 1 127.0.0.1 9000
 *     deno task lars route list
 *     deno task lars db init --store sqlite:data/lars.db
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { openRouteStore, redactUrl } from "../store/url.ts";
import { ROUTE_USAGE, runRoute } from "./route_cmd.ts";
import { UsageError } from "./usage.ts";

const USAGE = `usage: lars COMMAND [ARGS] [OPTIONS]

Commands:
  route add|del|list ...   edit and list routes in the store
  db init                  create the Lars tables when missing

${ROUTE_USAGE}`;

/** Options every command may take, split from its positional arguments. */
interface GlobalOptions {
  store?: string;
  config?: string;
  help: boolean;
  positionals: string[];
}

function splitOptions(args: string[]): GlobalOptions {
  const options: GlobalOptions = { help: false, positionals: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith("--") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--store") options.store = value();
    else if (flag === "--config" || flag === "-c") options.config = value();
    else if (flag === "--help" || flag === "-h") options.help = true;
    else if (flag.startsWith("--")) throw new UsageError(`unknown option ${flag}`);
    else options.positionals.push(arg);
  }
  return options;
}

async function storeUrl(options: GlobalOptions): Promise<string> {
  if (options.store) return options.store;
  return storeUrlFromConfig(await Config.load(options.config ?? "conf/lars_dns.conf"));
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    const options = splitOptions(args);
    const [command, ...rest] = options.positionals;
    if (options.help || !command) {
      console.log(USAGE);
      return options.help ? 0 : 2;
    }
    switch (command) {
      case "route":
      case "db": {
        if (command === "db" && (rest.length !== 1 || rest[0] !== "init")) {
          throw new UsageError("db takes one command: init");
        }
        const url = await storeUrl(options);
        const store = await openRouteStore(url);
        try {
          if (command === "db") {
            await store.init();
            console.log(
              `schema ready in ${redactUrl(url)} (route version ${await store.version()})`,
            );
            return 0;
          }
          return await runRoute(store, rest, (line) => console.log(line));
        } finally {
          await store.close();
        }
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`lars: ${err.message}\nRun "lars --help" for usage.`);
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

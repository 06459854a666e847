/**
 * What every service entrypoint needs: `--config FILE` and `--help` parsing,
 * and a graceful stop on SIGINT/SIGTERM with a time limit.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Logger } from "./log.ts";

/** Parsed service arguments. */
export interface ServiceArgs {
  /** Path of the INI config file. */
  config: string;
}

/**
 * Parses `--config FILE` (default `defaultConfig`) and `--help`. Prints the
 * usage and exits 0 on `--help`, 2 on a bad argument.
 */
export function parseServiceArgs(
  args: string[],
  usage: string,
  defaultConfig: string,
): ServiceArgs {
  try {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c", default: defaultConfig },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      console.log(usage);
      Deno.exit(0);
    }
    return { config: values.config! };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    Deno.exit(2);
  }
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits 0; exits 1 when
 * `stop` fails or takes longer than `timeoutMs`. A second signal exits at once.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>, timeoutMs = 10_000): void {
  let stopping = false;
  const handler = async () => {
    if (stopping) {
      log.warn("second signal: exiting now");
      Deno.exit(1);
    }
    stopping = true;
    log.info("stopping");
    const timer = setTimeout(() => {
      log.error(`stop took longer than ${timeoutMs} ms; exiting`);
      Deno.exit(1);
    }, timeoutMs);
    try {
      await stop();
      clearTimeout(timer);
      log.info("stopped");
      Deno.exit(0);
    } catch (err) {
      log.error(`stop failed: ${err instanceof Error ? err.stack : err}`);
      Deno.exit(1);
    }
  };
  Deno.addSignalListener("SIGINT", handler);
  Deno.addSignalListener("SIGTERM", handler);
}

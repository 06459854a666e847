/**
 * `deno task demo`: runs a whole local Lars system (see `tools/demo_run.ts`),
 * starting each service with the permissions its config needs.
 *
 *     deno task demo [--conf-dir DIR] [--seconds S]
 *
 * @module
 */
import { serviceCommand } from "../cli/permissions.ts";
import { runDemo } from "./demo_run.ts";

Deno.exit(
  await runDemo(Deno.args, async (name, conf, env) => {
    const withEnv = (n: string) => env[n] ?? Deno.env.get(n);
    return (await serviceCommand(name, conf, { env: withEnv })).argv;
  }),
);

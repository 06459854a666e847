/**
 * The API tools of `lars` (gethost, getroute, report, simulator, qps,
 * example): they reach a running agent.
 *
 * @module
 */
import { agentTarget, parseAgentFlag } from "./agent_target.ts";
import { allowFlags, intFlag, type ParsedArgs, stringFlag } from "./args.ts";
import { moduleArgs, runExample, runGetHost, runGetRoute, runReport } from "./client_cmds.ts";
import { formatQps, runQps } from "./qps.ts";
import { formatSimulation, simulate } from "./simulator.ts";
import { UsageError } from "./usage.ts";

/** The names of the commands {@linkcode runClientCommand} runs. */
export const CLIENT_COMMANDS: readonly string[] = [
  "gethost",
  "getroute",
  "report",
  "example",
  "simulator",
  "qps",
];

/** Flags every API tool takes: where the agent is. */
const AGENT_FLAGS = ["config", "agent"];

/** Runs one API tool; returns the exit code. */
export async function runClientCommand(
  command: string,
  args: ParsedArgs,
  rest: string[],
): Promise<number> {
  const agent = stringFlag(args, "agent");
  const target = () =>
    agent === undefined
      ? agentTarget(stringFlag(args, "config"))
      : Promise.resolve(parseAgentFlag(agent));
  const json = args.flags.has("json");
  switch (command) {
    case "gethost":
      allowFlags(args, [...AGENT_FLAGS, "json"]);
      return runGetHost(await target(), rest, json);
    case "getroute":
      allowFlags(args, [...AGENT_FLAGS, "json"]);
      return runGetRoute(await target(), rest, json);
    case "report":
      allowFlags(args, AGENT_FLAGS);
      return runReport(await target(), rest);
    case "example":
      allowFlags(args, [...AGENT_FLAGS, "count"]);
      return runExample(await target(), rest, intFlag(args, "count", 10, 1, 1_000_000));
    case "simulator": {
      allowFlags(args, [...AGENT_FLAGS, "err-rate", "count"]);
      const [modid, cmdid] = moduleArgs("simulator", rest);
      const errRate = intFlag(args, "err-rate", 0, 0, 10);
      const count = intFlag(args, "count", 1000, 1, 10_000_000);
      const result = await simulate(await target(), modid, cmdid, errRate, count);
      for (const line of formatSimulation(result)) console.log(line);
      return result.hosts.size > 0 ? 0 : 1;
    }
    case "qps": {
      allowFlags(args, [...AGENT_FLAGS, "clients", "seconds", "modid", "cmdid"]);
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

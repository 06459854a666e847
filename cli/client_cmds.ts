/**
 * `lars gethost`, `getroute`, `report` and `example`: the original's API test
 * tools, rebuilt on {@linkcode LarsClient}.
 *
 * @module
 */
import { LarsClient } from "./lars_client_any.ts";
import { RetCode, retCodeName } from "../proto/ids.ts";
import type { AgentTarget } from "./agent_target.ts";
import { parseId, parseIp, parsePort } from "./route_cmd.ts";
import { UsageError } from "./usage.ts";

/** Usage of the client tools. */
export const CLIENT_USAGE =
  `API tools (reach the agent at --agent HOST:PORT, else the one in --config FILE,
default conf/lars_lb_agent.conf, else 127.0.0.1:8888). Like the original's tools,
gethost and getroute call reg_init first, so the agent pulls the module from DNS:
  lars gethost MODID CMDID [--json]        pick a host (exit 0 on RET_SUCC, 1 otherwise)
  lars getroute MODID CMDID [--json]       list the module's hosts (exit 1 when none)
  lars report MODID CMDID IP PORT 0|1      report a call: 0 success, 1 failure
  lars simulator MODID CMDID [--err-rate 0..10] [--count N]
                                           call and report N times, failing errRate/10 of
                                           the calls; print per-host totals
  lars qps [--clients N] [--seconds S] [--modid M] [--cmdid C]
                                           get_host + report loops; QPS and latency per second
  lars example MODID CMDID [--count N]     the original's example: get_host, call, report`;

/** Parses exactly MODID CMDID. */
export function moduleArgs(command: string, args: string[]): [number, number] {
  if (args.length !== 2) throw new UsageError(`${command} takes MODID CMDID`);
  return [parseId("MODID", args[0]), parseId("CMDID", args[1])];
}

/** Runs `gethost` (reg_init, then get_host); returns the exit code. */
export async function runGetHost(
  target: AgentTarget,
  args: string[],
  json = false,
): Promise<number> {
  const [modid, cmdid] = moduleArgs("gethost", args);
  const client = new LarsClient({ host: target.host, port: target.port });
  try {
    await client.regInit(modid, cmdid);
    const r = await client.getHost(modid, cmdid);
    if (json) {
      const host = r.retcode === RetCode.SUCC ? { ip: r.ip, port: r.port } : {};
      console.log(JSON.stringify({ modid, cmdid, retcode: retCodeName(r.retcode), ...host }));
      return r.retcode === RetCode.SUCC ? 0 : 1;
    }
    if (r.retcode === RetCode.SUCC) {
      console.log(`${retCodeName(r.retcode)} ${r.ip}:${r.port}`);
      return 0;
    }
    console.log(`${retCodeName(r.retcode)}${noAnswerHint(r.retcode, target)}`);
    return 1;
  } finally {
    await client.close();
  }
}

/** Runs `getroute` (reg_init, then get_route); returns the exit code. */
export async function runGetRoute(
  target: AgentTarget,
  args: string[],
  json = false,
): Promise<number> {
  const [modid, cmdid] = moduleArgs("getroute", args);
  const client = new LarsClient({ host: target.host, port: target.port });
  try {
    await client.regInit(modid, cmdid);
    const hosts = await client.getRoute(modid, cmdid);
    if (json) {
      console.log(JSON.stringify({ modid, cmdid, retcode: "RET_SUCC", hosts }));
    } else {
      for (const h of hosts) console.log(`${h.ip}:${h.port}`);
      console.log(`${hosts.length} hosts for ${modid}/${cmdid}`);
    }
    return hosts.length > 0 ? 0 : 1;
  } catch (err) {
    const why = (err as Error).message;
    if (json) {
      console.log(JSON.stringify({ modid, cmdid, retcode: "RET_SYSTEM_ERROR", error: why }));
    } else {
      console.log(`RET_SYSTEM_ERROR: ${why}${noAnswerHint(RetCode.SYSTEM_ERROR, target)}`);
    }
    return 1;
  } finally {
    await client.close();
  }
}

/** Runs `report`; returns the exit code. */
export async function runReport(target: AgentTarget, args: string[]): Promise<number> {
  if (args.length !== 5) throw new UsageError("report takes MODID CMDID IP PORT 0|1");
  const [modid, cmdid] = moduleArgs("report", args.slice(0, 2));
  const ip = parseIp(args[2]);
  const port = parsePort(args[3]);
  if (args[4] !== "0" && args[4] !== "1") {
    throw new UsageError(`the result must be 0 (success) or 1 (failure), got "${args[4]}"`);
  }
  const client = new LarsClient({ host: target.host, port: target.port });
  try {
    client.report(modid, cmdid, ip, port, Number(args[4]));
    console.log(
      `reported ${args[4] === "0" ? "success" : "failure"} of ${
        args[2]
      }:${port} for ${modid}/${cmdid}`,
    );
    return 0;
  } finally {
    await client.close();
  }
}

/** Runs `example`: get_host, "call" the host, report success, `count` times. */
export async function runExample(
  target: AgentTarget,
  args: string[],
  count: number,
): Promise<number> {
  const [modid, cmdid] = moduleArgs("example", args);
  const client = new LarsClient({ host: target.host, port: target.port });
  try {
    const init = await client.regInit(modid, cmdid);
    console.log(`reg_init ${modid}/${cmdid}: ${retCodeName(init)}`);
    let ok = 0;
    for (let i = 0; i < count; i++) {
      const r = await client.getHost(modid, cmdid);
      if (r.retcode !== RetCode.SUCC) {
        console.log(`get_host: ${retCodeName(r.retcode)}`);
        continue;
      }
      console.log(`get_host: ${r.ip}:${r.port}; calling it ... done, reporting success`);
      client.report(modid, cmdid, r.ip, r.port, 0);
      ok++;
    }
    return ok > 0 ? 0 : 1;
  } finally {
    await client.close();
  }
}

function noAnswerHint(code: number, target: AgentTarget): string {
  return code === RetCode.SYSTEM_ERROR
    ? ` (no answer from the agent at ${target.host}:${target.port}..${
      target.port + 2
    }; is it running?)`
    : "";
}

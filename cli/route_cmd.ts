/**
 * `lars route add|del|list` and `lars db init`: edit and show routes in the
 * store. Every edit writes RouteData, a RouteChange row and the new
 * RouteVersion in one transaction, so running DNS services push it.
 *
 * @module
 */
import process from "node:process";
import { intToIp, ipToInt } from "../proto/ip.ts";
import { MAX_HOST_WEIGHT } from "../proto/messages.ts";
import { ModuleTooLargeError, type RouteStore } from "../store/types.ts";
import { UsageError } from "./usage.ts";

/** Usage of the route and db commands. */
export const ROUTE_USAGE = `usage:
  lars route add MODID CMDID IP PORT [--weight N]
                                       add a host to a module; N (1..${MAX_HOST_WEIGHT}, default 1)
                                       is its share of picks relative to the module's other hosts
  lars route weight MODID CMDID IP PORT N
                                       set a host's weight (1..${MAX_HOST_WEIGHT})
  lars route del MODID CMDID IP PORT   remove a host from a module
  lars route del MODID CMDID --yes     remove every host of a module
  lars route list [MODID [CMDID]] [--json]
                                       list hosts
  lars db init                         create every table (routes, reports) when missing

store options (one of):
  --store URL     sqlite:PATH or mysql://user:pass@host:port/db
  --config FILE   a service config: [store] url, else [mysql] (default conf/lars_dns.conf)

route add refuses a host that would make the module's answer larger than one
frame (65,535 bytes): DNS could serve only part of such a module.`;

/** Parses a module or command id: an int32. */
export function parseId(name: string, text: string | undefined): number {
  if (text === undefined) throw new UsageError(`missing ${name}`);
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < -(2 ** 31) || value > 2 ** 31 - 1) {
    throw new UsageError(`${name} must be a 32-bit integer, got "${text}"`);
  }
  return value;
}

/** Parses a port, 1..65535. */
export function parsePort(text: string | undefined): number {
  if (text === undefined) throw new UsageError("missing PORT");
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    throw new UsageError(`PORT must be 1..65535, got "${text}"`);
  }
  return value;
}

/** Parses a dotted-quad IPv4 address to its unsigned value. */
export function parseIp(text: string | undefined): number {
  if (text === undefined) throw new UsageError("missing IP");
  try {
    return ipToInt(text);
  } catch {
    throw new UsageError(`IP must be a dotted-quad IPv4 address, got "${text}"`);
  }
}

/**
 * Who the CLI's edits are recorded as in the audit log: `cli:<os user>`
 * (`USER` or `USERNAME`; also on Bun, and `unknown` without env permission).
 */
export function cliActor(): string {
  let user: string | undefined;
  try {
    user = process.env.USER ?? process.env.USERNAME;
  } catch {
    // no --allow-env for them
  }
  return `cli:${user ?? "unknown"}`.slice(0, 255);
}

/** Parses a host weight, 1..MAX_HOST_WEIGHT; `name` is how the usage calls it. */
export function parseWeight(text: string | undefined, name = "--weight"): number {
  if (text === undefined) throw new UsageError(`missing ${name}`);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_HOST_WEIGHT) {
    throw new UsageError(`${name} must be 1..${MAX_HOST_WEIGHT}, got "${text}"`);
  }
  return value;
}

/** Options of `route` commands. */
export interface RouteOptions {
  /** `--weight` text of `route add`. */
  weight?: string;
  /** `route list` prints one JSON object (`--json`). */
  json?: boolean;
  /** `--yes`: confirms removing every host of a module. */
  yes?: boolean;
}

/** Runs `route ...`; prints to `out`; returns the exit code. */
export async function runRoute(
  store: RouteStore,
  args: string[],
  out: (line: string) => void,
  options: RouteOptions = {},
): Promise<number> {
  const [verb, ...rest] = args;
  if (options.weight !== undefined && verb !== "add") {
    throw new UsageError("--weight goes with route add");
  }
  switch (verb) {
    case "add": {
      if (rest.length !== 4) throw new UsageError("route add takes MODID CMDID IP PORT");
      const [modid, cmdid, ip, port] = [
        parseId("MODID", rest[0]),
        parseId("CMDID", rest[1]),
        parseIp(rest[2]),
        parsePort(rest[3]),
      ];
      const weight = options.weight === undefined ? 1 : parseWeight(options.weight);
      await store.init();
      let result;
      try {
        result = await store.addHost(modid, cmdid, ip, port, cliActor(), weight);
      } catch (error) {
        if (!(error instanceof ModuleTooLargeError)) throw error;
        out(error.message);
        return 1;
      }
      const weighted = weight === 1 ? "" : ` with weight ${weight}`;
      out(
        result.added
          ? `added ${
            intToIp(ip)
          }:${port}${weighted} to ${modid}/${cmdid} (version ${result.version})`
          : `${intToIp(ip)}:${port} is already in ${modid}/${cmdid} (nothing changed)`,
      );
      return 0;
    }
    case "weight": {
      if (rest.length !== 5) throw new UsageError("route weight takes MODID CMDID IP PORT N");
      const [modid, cmdid, ip, port, weight] = [
        parseId("MODID", rest[0]),
        parseId("CMDID", rest[1]),
        parseIp(rest[2]),
        parsePort(rest[3]),
        parseWeight(rest[4], "N"),
      ];
      await store.init();
      const result = await store.setHostWeight(modid, cmdid, ip, port, weight, cliActor());
      if (!result.updated) {
        out(
          `${intToIp(ip)}:${port} is not in ${modid}/${cmdid} or already has weight ${weight} ` +
            "(nothing changed)",
        );
        return 1;
      }
      out(
        `${
          intToIp(ip)
        }:${port} of ${modid}/${cmdid} has weight ${weight} (version ${result.version})`,
      );
      return 0;
    }
    case "del": {
      if (rest.length !== 2 && rest.length !== 4) {
        throw new UsageError("route del takes MODID CMDID [IP PORT]");
      }
      const modid = parseId("MODID", rest[0]);
      const cmdid = parseId("CMDID", rest[1]);
      await store.init();
      if (rest.length === 2) {
        if (!options.yes) {
          const hosts = (await store.listRoutes({ modid, cmdid })).length;
          if (hosts === 0) {
            out(`${modid}/${cmdid} has no hosts (nothing changed)`);
            return 1;
          }
          out(
            `route del ${modid} ${cmdid} removes all ${hosts} hosts of ${modid}/${cmdid}, ` +
              `leaving its callers with no host; nothing changed. ` +
              `Run it again with --yes to confirm.`,
          );
          return 1;
        }
        const result = await store.removeModule(modid, cmdid, cliActor());
        if (result.removed === 0) {
          out(`${modid}/${cmdid} has no hosts (nothing changed)`);
          return 1;
        }
        out(`removed ${result.removed} hosts of ${modid}/${cmdid} (version ${result.version})`);
        return 0;
      }
      const ip = parseIp(rest[2]);
      const port = parsePort(rest[3]);
      const result = await store.removeHost(modid, cmdid, ip, port, cliActor());
      if (!result.removed) {
        out(`${intToIp(ip)}:${port} is not in ${modid}/${cmdid} (nothing changed)`);
        return 1;
      }
      out(`removed ${intToIp(ip)}:${port} from ${modid}/${cmdid} (version ${result.version})`);
      return 0;
    }
    case "list": {
      if (rest.length > 2) throw new UsageError("route list takes [MODID [CMDID]]");
      const filter = {
        modid: rest[0] === undefined ? undefined : parseId("MODID", rest[0]),
        cmdid: rest[1] === undefined ? undefined : parseId("CMDID", rest[1]),
      };
      await store.init();
      const rows = await store.listRoutes(filter);
      if (options.json) {
        const routes = rows.map((r) => ({ ...r, ip: intToIp(r.ip), weight: r.weight ?? 1 }));
        out(JSON.stringify({ version: await store.version(), routes }));
        return 0;
      }
      out("MODID\tCMDID\tIP\tPORT\tWEIGHT");
      for (const r of rows) {
        out(`${r.modid}\t${r.cmdid}\t${intToIp(r.ip)}\t${r.port}\t${r.weight ?? 1}`);
      }
      out(`${rows.length} hosts, route version ${await store.version()}`);
      return 0;
    }
    default:
      throw new UsageError(verb ? `unknown route command "${verb}"` : "missing route command");
  }
}

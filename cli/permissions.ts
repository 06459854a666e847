/**
 * Least-privilege Deno permissions of a service, derived from its config
 * file: the one place that turns what a config names into `deno run` flags.
 *
 * - read the config file itself;
 * - listen on the configured addresses (and `[admin] ip, port` when set);
 * - connect to the configured peers (DNS, reporter, MySQL host:port);
 * - read and write the SQLite file's directory and the agent's cache directory;
 * - read the service's own source folders, which its Web Workers load;
 * - read only the environment variables the config names as `${NAME}`
 *   (and `LARS_LOG`, the log level).
 *
 * ```sh
 * deno task lars permissions dns --config /etc/lars/lars_dns.conf
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import process from "node:process";
import { Config } from "../reactor/config.ts";
import { readAdminSettings } from "../reactor/ops_settings.ts";
import { type ServiceAccess, serviceAccess } from "../reactor/service.ts";
import { storeAccess, storeUrlAccess } from "../store/config.ts";
import { agentTarget, DEFAULT_AGENT_CONFIG, parseAgentFlag } from "./agent_target.ts";
import { parseArgs } from "./args.ts";
import { CLIENT_COMMANDS } from "./client_main.ts";
import { serviceNamed, SERVICES } from "./services.ts";

/** The project root of this checkout. */
export const PROJECT_ROOT: string = resolve(new URL("../", import.meta.url).pathname);

/** Environment variables every service may read: the log level and format. */
const SERVICE_ENV = ["LARS_LOG", "LARS_LOG_FORMAT"];

/** Options of {@linkcode serviceCommand}. */
export interface ServiceCommandOptions {
  /** Where the Lars source is installed. @default this checkout */
  root?: string;
  /** The deno executable. @default the running one */
  deno?: string;
  /** Working directory the service runs in; relative paths in the config resolve there. @default cwd */
  cwd?: string;
  /** Reads environment variables the config names. @default process.env */
  env?: (name: string) => string | undefined;
  /**
   * What a variable the config names but `env` lacks reads as: `"error"`
   * stops with the ConfigError the service itself would give (the launcher);
   * `"placeholder"` reads `unset-NAME`, so a command can be printed without
   * the secrets (`lars permissions`, the systemd units).
   * @default "error"
   */
  missingEnv?: "error" | "placeholder";
}

/** A service's `deno run` command line, as argv. */
export interface ServiceCommand {
  /** The whole command: deno, `run`, flags, entrypoint, `--config FILE`. */
  argv: string[];
  /** Just the permission flags. */
  flags: string[];
}

function _list(values: Iterable<string>): string {
  return [...new Set(values)].join(",");
}

/**
 * The permission flags for `access`, given the config files read and the
 * environment variables they name; relative paths resolve against `cwd`,
 * worker source folders against `root`.
 */
export function permissionFlags(
  access: ServiceAccess,
  configFiles: readonly string[],
  envNames: readonly string[],
  root: string,
  cwd: string,
): string[] {
  const abs = (path: string) => isAbsolute(path) ? path : resolve(cwd, path);
  const read = [
    ...configFiles.map(abs),
    ...access.paths.map((p) => abs(p.path)),
    ...(access.workerSources ?? []).map((dir) => resolve(root, dir)),
  ];
  const write = access.paths.filter((p) => p.write).map((p) => abs(p.path));
  const net = [
    ...access.listen.map((e) => `${e.hostname}:${e.port}`),
    ...access.connect.map((e) => `${e.hostname}:${e.port}`),
    ...(access.udpPeers ?? []),
  ];
  const env = [...SERVICE_ENV, ...envNames];
  const flags = ["--no-prompt"];
  if (read.length > 0) flags.push(`--allow-read=${_list(read)}`);
  if (write.length > 0) flags.push(`--allow-write=${_list(write)}`);
  if (net.includes("*")) flags.push("--allow-net");
  else if (net.length > 0) flags.push(`--allow-net=${_list(net)}`);
  flags.push(`--allow-env=${_list(env)}`);
  if (access.sys?.length) flags.push(`--allow-sys=${_list(access.sys)}`);
  return flags;
}

/**
 * The `deno run` command that starts service `name` with config file
 * `configFile` and exactly the permissions that config needs.
 *
 * @throws {ConfigError} naming file, section and key of a bad value
 * @throws {Error} for an unknown service
 */
export async function serviceCommand(
  name: string,
  configFile: string,
  options: ServiceCommandOptions = {},
): Promise<ServiceCommand> {
  const { definition, entry } = serviceNamed(name);
  const root = options.root ?? PROJECT_ROOT;
  const cwd = options.cwd ?? process.cwd();
  const readEnv = options.env ?? ((n: string) => process.env[n]);
  const placeholder = options.missingEnv === "placeholder";
  const config = await Config.load(configFile, {
    env: (n) => readEnv(n) ?? (placeholder ? `unset-${n}` : undefined),
  });
  const settings = await definition.readSettings(config);
  const access = serviceAccess(definition, settings, config);
  const flags = permissionFlags(access, [configFile], config.envNames(), root, cwd);
  const argv = [
    options.deno ?? process.execPath,
    "run",
    `--config=${resolve(root, "deno.json")}`,
    "--unstable-net",
    ...(definition.v8Flags?.length ? [`--v8-flags=${definition.v8Flags.join(",")}`] : []),
    ...flags,
    resolve(root, entry),
    "--config",
    isAbsolute(configFile) ? configFile : resolve(cwd, configFile),
  ];
  return { argv, flags };
}

/** `argv` as one shell command line (arguments quoted where needed). */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}

/**
 * The `deno run` command that runs the `lars` tool with `args` and exactly
 * the permissions that command needs: the store it edits (`route`, `db`),
 * the agent it asks (`gethost`, ...: its three UDP ports), the cache it
 * shows, the config files it reads and the variables they name. Arguments
 * that do not parse get no permissions: the tool itself explains them.
 */
export async function toolCommand(
  args: string[],
  options: ServiceCommandOptions = {},
): Promise<ServiceCommand> {
  const root = options.root ?? PROJECT_ROOT;
  const cwd = options.cwd ?? process.cwd();
  const readEnv = options.env ?? ((n: string) => process.env[n]);
  const abs = (path: string) => isAbsolute(path) ? path : resolve(cwd, path);
  const access: Required<ServiceAccess> = {
    listen: [],
    connect: [],
    paths: [],
    sys: [],
    workerSources: [],
    udpPeers: [],
  };
  const configs: string[] = [];
  const envNames: string[] = [];
  const load = async (file: string) => {
    const config = await Config.load(abs(file), { env: (n) => readEnv(n) ?? "" });
    configs.push(abs(file));
    envNames.push(...config.envNames());
    return config;
  };
  const agentPorts = (host: string, port: number, key: string) => {
    for (let i = 0; i < 3; i++) access.connect.push({ hostname: host, port: port + i, key });
    // The client's own UDP socket on a free port: loopback for a local agent (as LarsClient binds).
    const bind = host.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
    access.listen.push({ hostname: bind, port: 0, key: "client socket" });
  };
  try {
    const parsed = parseArgs(args);
    const flag = (name: string) => {
      const v = parsed.flags.get(name);
      return typeof v === "string" ? v : undefined;
    };
    const [command, sub] = parsed.positionals;
    if (parsed.flags.has("help") || command === "help") {
      // prints text only
    } else if (command === "route" || command === "db") {
      const url = flag("store");
      const store = url === undefined
        ? storeAccess(await load(flag("config") ?? "conf/lars_dns.conf"))
        : storeUrlAccess(url, "--store");
      access.connect.push(...store.connect);
      access.paths.push(...store.paths);
      // Route edits are audited as cli:<os user>.
      envNames.push("USER", "USERNAME");
    } else if (command === "status") {
      // The agent's admin endpoint: --admin HOST:PORT, else [admin] of the agent's config.
      const given = flag("admin");
      const m = given === undefined ? null : /^(.+):(\d+)$/.exec(given);
      if (m) access.connect.push({ hostname: m[1], port: Number(m[2]), key: "--admin" });
      else if (given === undefined) {
        const admin = readAdminSettings(await load(flag("config") ?? DEFAULT_AGENT_CONFIG));
        if (admin) access.connect.push({ ...admin, key: "[admin] ip, port" });
      }
    } else if (command === "cache") {
      const config = await load(flag("config") ?? DEFAULT_AGENT_CONFIG);
      const dir = config.string("agent", "cache_dir", "data/agent_cache");
      if (dir) access.paths.push({ path: dir, key: "[agent] cache_dir", write: false });
    } else if (command === "permissions" && sub !== undefined) {
      const service = SERVICES[sub];
      if (service) await load(flag("config") ?? service.definition.defaultConfig);
    } else if (CLIENT_COMMANDS.includes(command)) {
      const agent = flag("agent");
      if (agent !== undefined) {
        const t = parseAgentFlag(agent);
        agentPorts(t.host, t.port, "--agent");
      } else {
        let file = flag("config");
        if (file === undefined && existsSync(abs(DEFAULT_AGENT_CONFIG))) {
          file = DEFAULT_AGENT_CONFIG;
        }
        if (file !== undefined) await load(file);
        const t = await agentTarget(file === undefined ? undefined : abs(file));
        agentPorts(t.host, t.port, "[agent] ip, port");
      }
    }
  } catch {
    // Bad arguments or config: run without permissions; the tool says what is wrong.
  }
  const flags = permissionFlags(access, configs, envNames, root, cwd);
  const argv = [
    options.deno ?? process.execPath,
    "run",
    `--config=${resolve(root, "deno.json")}`,
    "--unstable-net",
    ...flags,
    resolve(root, "cli/main.ts"),
    ...args,
  ];
  return { argv, flags };
}

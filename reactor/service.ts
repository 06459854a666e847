/**
 * The service runner: what every service entrypoint does, written once.
 * A service describes itself with a {@linkcode ServiceDefinition} (usage,
 * default config, settings reader, the addresses and files it uses, a
 * builder) and its `main.ts` calls {@linkcode runService}:
 *
 * ```ts ignore
 * import { runService } from "../reactor/service.ts";
 * import { denoTransport } from "../reactor/transport_deno.ts";
 * import { dnsService } from "./definition.ts";
 * await runService(dnsService, { transport: denoTransport });
 * ```
 *
 * The runner parses `--config FILE` and `--help`, reads the settings (a bad
 * value stops start-up naming file, section and key), checks on Deno that the
 * process may use every address and file the config names (a denied one is
 * named with its config key and the command that grants it), builds and
 * starts the service (a busy port names the address and its key, never a
 * stack trace), and stops it cleanly on SIGINT or SIGTERM.
 *
 * It uses `node:process` for arguments, signals and exit, so the same code
 * runs on Deno and on Bun.
 *
 * @module
 */
import process from "node:process";
import { type AdminContent, type AdminServer, startAdminServer } from "./admin_server.ts";
import { Config, ConfigError } from "./config.ts";
import { createLogger, type Logger, setLogFormat } from "./log.ts";
import { type AdminSettings, readAdminSettings, readLogFormat } from "./ops_settings.ts";
import type { Transport } from "./transport.ts";

/** An address a service listens on or connects to, with the config keys that set it. */
export interface ServiceEndpoint {
  /** IP address or host name. */
  hostname: string;
  /** Port. */
  port: number;
  /** The config keys, as shown to operators: `[reactor] ip, port`. */
  key: string;
}

/** A file or directory a service reads (and maybe writes), with the config key that names it. */
export interface ServicePath {
  /** Path as written in the config (relative paths are relative to the working directory). */
  path: string;
  /** The config key: `[store] url`. */
  key: string;
  /** Whether the service also writes there. */
  write: boolean;
}

/**
 * Everything outside its own process that a service uses, derived from its
 * settings: the source of its least-privilege permissions and of the
 * start-up checks.
 */
export interface ServiceAccess {
  /** Addresses it listens on. */
  listen: ServiceEndpoint[];
  /** Peers it connects to. */
  connect: ServiceEndpoint[];
  /** Files and directories it reads or writes. */
  paths: ServicePath[];
  /**
   * Hosts it answers over UDP, on any port: a UDP server replies to whatever
   * port a client sent from, and Deno checks every destination. `"*"` means
   * any host (a UDP server bound beyond loopback). @default []
   */
  udpPeers?: string[];
  /** `--allow-sys` names it uses, e.g. `networkInterfaces`. @default [] */
  sys?: string[];
  /**
   * Source folders, relative to the project root, that its Web Workers load
   * their modules from (Deno needs read permission for them). @default []
   */
  workerSources?: string[];
}

/**
 * What a service uses, as {@linkcode ServiceDefinition.access} derives it from
 * the settings, plus what every service may be configured with: an
 * `[admin] ip, port` HTTP endpoint (listened on when `port` is set).
 *
 * @throws {ConfigError} naming file, section and key of a bad value
 */
export function serviceAccess<S>(
  definition: ServiceDefinition<S>,
  settings: S,
  config: Config,
): ServiceAccess {
  const access = definition.access(settings, config);
  const admin = readAdminSettings(config);
  if (admin === null) return access;
  return { ...access, listen: [...access.listen, { ...admin, key: "[admin] ip, port" }] };
}

/** A started service, as the runner stops it. */
export interface RunningService {
  /**
   * Settles when start-up is over: resolves once the service serves, rejects
   * with the reason it cannot (a busy port). Signals are handled meanwhile.
   * @default already resolved
   */
  ready?: Promise<unknown>;
  /** Stops the service: drains connections, writes what is queued, logs the counters. */
  stop(): Promise<void>;
  /**
   * What exiting now would leave unwritten (`"1200 queued status rows"`), or
   * `undefined` when nothing would be lost; said when a stop is forced.
   */
  unwritten?(): string | undefined;
  /**
   * What the admin endpoint shows (metrics, readiness, routes); the runner
   * serves it on `[admin] ip, port` when that is set, and stops it first.
   * Called only then: a service that imports its admin module here
   * (`await import(...)`) loads the metrics library only when it is used.
   */
  admin?: () => AdminContent | Promise<AdminContent>;
}

/** What a builder gets besides the settings. */
export interface ServiceContext {
  /** Sockets: the Deno transport on Deno, the Node transport on Bun. */
  transport: Transport;
  /** The service's logger. */
  log: Logger;
  /** The config file read. */
  configFile: string;
}

/** A service as the runner sees it. `S` is its settings type. */
export interface ServiceDefinition<S> {
  /** Short name: logger name and command name (`dns`). */
  name: string;
  /** `--help` text. */
  usage: string;
  /** Config file used without `--config`. */
  defaultConfig: string;
  /** Reads and checks the settings. @throws {ConfigError} naming file, section and key */
  readSettings(config: Config): S | Promise<S>;
  /** The addresses and files the settings name. */
  access(settings: S, config: Config): ServiceAccess;
  /**
   * Builds and starts the service. Resolve quickly: what may wait (a
   * database that is down) belongs in {@linkcode RunningService.ready}.
   */
  start(settings: S, context: ServiceContext): Promise<RunningService>;
  /** Hard deadline of a stop, after which the process exits anyway. @default 10000 */
  stopTimeoutMs?: number;
  /**
   * V8 flags the launcher passes to `deno run` (`--v8-flags`, process-wide, so they reach the
   * service's workers too), e.g. {@linkcode LEAN_V8_FLAGS}. @default none
   */
  v8Flags?: readonly string[];
}

/**
 * V8 flags for a service that turns over many short-lived objects (decoded datagrams, reports):
 * a young generation of at most 1 MiB per semi-space (V8 otherwise sizes it for the garbage rate,
 * tens of MiB per isolate) and V8's favour-memory-over-speed mode. Measured in
 * docs/benchmarks.md: the reporter at 50k results/s peaks at 112-130 MiB instead of 191-265, the
 * agent after 10,000 modules and load at 110-112 MiB instead of 217, at no cost in throughput.
 */
export const LEAN_V8_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--optimize-for-size"];

/** Options of {@linkcode runService}. */
export interface RunServiceOptions {
  /** Sockets for the service. */
  transport: Transport;
  /** Command-line arguments. @default process.argv.slice(2) */
  args?: string[];
  /**
   * A repeated SIGINT/SIGTERM within this many ms of the first is taken as the
   * same request (a terminal or systemd signals the whole process group, and a
   * launcher forwards the signal too); a later one forces the exit.
   * @default 2000
   */
  graceMs?: number;
}

/** Parsed service arguments. */
export interface ServiceArgs {
  /** Path of the INI config file. */
  config: string;
}

/**
 * Parses `--config FILE` (`-c`, default `defaultConfig`) and `--help`.
 * Prints the usage and exits 0 on `--help`, 2 on a bad argument (naming it).
 */
export function parseServiceArgs(
  args: string[],
  usage: string,
  defaultConfig: string,
): ServiceArgs {
  let config = defaultConfig;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") {
      console.log(usage);
      process.exit(0);
    }
    if (arg === "-c" || arg === "--config") {
      const value = args[++i];
      if (value === undefined) _usageExit(`${arg} needs a value`, usage);
      config = value;
    } else if (arg.startsWith("--config=")) {
      config = arg.slice("--config=".length);
    } else {
      _usageExit(`unknown ${arg.startsWith("-") ? "option" : "argument"} ${arg}`, usage);
    }
  }
  return { config };
}

function _usageExit(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/** True for a bind error of a port that is taken, on Deno, Bun and Node. */
export function isAddrInUse(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string } | null;
  return e?.name === "AddrInUse" || e?.code === "EADDRINUSE" ||
    /address already in use|EADDRINUSE|AddrInUse/i.test(e?.message ?? "");
}

/** True for an error of a missing permission (Deno) or a refused privileged operation. */
export function isDenied(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string } | null;
  return e?.name === "NotCapable" || e?.name === "PermissionDenied" ||
    e?.code === "EACCES" || /Requires \w+ access|permission denied|EACCES/i.test(e?.message ?? "");
}

/** Raised for a start-up problem the operator fixes in the config or the command line. */
export class StartupError extends Error {
  /** Creates the error with the one line the operator sees. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StartupError";
  }
}

function _endpoints(list: ServiceEndpoint[]): string {
  return list.map((e) => `${e.hostname}:${e.port} (${e.key})`).join(", ");
}

/**
 * The one-line explanation of an error thrown while starting: a busy port
 * names the addresses and keys, a denied operation what grants it.
 */
export function explainStartError(
  err: unknown,
  access: ServiceAccess,
  configFile: string,
  grant: string,
): string {
  const text = err instanceof Error ? err.message : String(err);
  if (isAddrInUse(err)) {
    // The address the error names, when it names one (the admin endpoint's does).
    const named = access.listen.filter((e) => text.includes(`${e.hostname}:${e.port}`));
    const busy = named.length > 0 ? named : access.listen;
    return `cannot listen on ${_endpoints(busy)}: address already in use; ` +
      `stop the process that holds it or set another port in ${configFile}`;
  }
  if (isDenied(err)) return `${text}; ${grant}`;
  return text;
}

type _DenoPermissions = {
  permissions: {
    querySync(d: { name: string; host?: string; path?: string }): { state: string };
  };
};

/**
 * On Deno, the uses in `access` that this process has no permission for, one
 * line each naming the config key; empty on other runtimes (they have no
 * permissions) and when all is granted.
 */
export function deniedAccess(access: ServiceAccess, configFile: string): string[] {
  const deno = (globalThis as { Deno?: _DenoPermissions }).Deno;
  if (!deno?.permissions) return [];
  const granted = (d: { name: string; host?: string; path?: string }) =>
    deno.permissions.querySync(d).state === "granted";
  const denied: string[] = [];
  for (const e of access.listen) {
    if (!granted({ name: "net", host: `${e.hostname}:${e.port}` })) {
      denied.push(`listen on ${e.hostname}:${e.port} (${e.key} in ${configFile})`);
    }
  }
  for (const e of access.connect) {
    if (!granted({ name: "net", host: `${e.hostname}:${e.port}` })) {
      denied.push(`connect to ${e.hostname}:${e.port} (${e.key} in ${configFile})`);
    }
  }
  for (const host of access.udpPeers ?? []) {
    if (!granted({ name: "net", ...(host === "*" ? {} : { host }) })) {
      denied.push(`answer UDP clients on ${host === "*" ? "any host" : host}`);
    }
  }
  for (const p of access.paths) {
    const ops = p.write ? ["read", "write"] : ["read"];
    const missing = ops.filter((name) => !granted({ name, path: p.path }));
    if (missing.length > 0) {
      denied.push(`${missing.join(" and ")} ${p.path} (${p.key} in ${configFile})`);
    }
  }
  return denied;
}

/**
 * Runs a service: arguments, settings, access check, start, and a clean stop
 * on SIGINT/SIGTERM. Exits the process with 1 on a start-up error (one line
 * naming what to change), 0 after a clean stop, 1 after a failed or forced one.
 */
export async function runService<S>(
  definition: ServiceDefinition<S>,
  options: RunServiceOptions,
): Promise<void> {
  const { name } = definition;
  const log = createLogger(name);
  const args = parseServiceArgs(
    options.args ?? process.argv.slice(2),
    definition.usage,
    definition.defaultConfig,
  );
  const grant = `start it with \`deno task ${name} --config ${args.config}\`, ` +
    `or run the command \`deno task lars permissions ${name} --config ${args.config}\` prints`;
  let settings: S;
  let access: ServiceAccess;
  let admin: AdminSettings | null;
  try {
    const config = await Config.load(args.config);
    settings = await definition.readSettings(config);
    access = serviceAccess(definition, settings, config);
    admin = readAdminSettings(config);
    const format = readLogFormat(config);
    if (format) setLogFormat(format);
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof StartupError)) throw err;
    log.error(err.message);
    process.exit(1);
  }
  const denied = deniedAccess(access, args.config);
  if (denied.length > 0) {
    log.error(`not permitted to ${denied.join("; ")}: ${grant}`);
    process.exit(1);
  }
  let running: RunningService;
  try {
    running = await definition.start(settings, {
      transport: options.transport,
      log,
      configFile: args.config,
    });
  } catch (err) {
    log.error(explainStartError(err, access, args.config, grant));
    process.exit(1);
  }
  let adminServer: AdminServer | null = null;
  if (running.admin) {
    try {
      // Before `ready`: while a service waits (DNS on its database), /readyz says so.
      adminServer = await startAdminServer(admin, {
        transport: options.transport,
        service: name,
        content: running.admin,
        log,
      });
    } catch (err) {
      log.error(explainStartError(err, access, args.config, grant));
      process.exit(1);
    }
  }
  const stoppable: RunningService = {
    unwritten: running.unwritten?.bind(running),
    async stop() {
      await adminServer?.stop();
      await running.stop();
    },
  };
  stopOnSignals(log, stoppable, {
    timeoutMs: definition.stopTimeoutMs ?? 10_000,
    graceMs: options.graceMs ?? 2000,
  });
  try {
    await running.ready;
  } catch (err) {
    log.error(explainStartError(err, access, args.config, grant));
    process.exit(1);
  }
}

/** Options of {@linkcode stopOnSignals}. */
export interface StopOptions {
  /** Hard deadline of the stop. @default 10000 */
  timeoutMs?: number;
  /** Repeated signals within this many ms of the first are ignored. @default 2000 */
  graceMs?: number;
  /** Ends the process. @default process.exit */
  exit?: (code: number) => void;
  /** Milliseconds clock. @default Date.now */
  now?: () => number;
}

/** The signal handling of a stop, apart from the process: see {@linkcode stopOnSignals}. */
export class StopController {
  readonly #log: Logger;
  readonly #service: RunningService;
  readonly #timeoutMs: number;
  readonly #graceMs: number;
  readonly #exit: (code: number) => void;
  readonly #now: () => number;
  #firstAt: number | null = null;
  #deadline: ReturnType<typeof setTimeout> | null = null;
  #done = false;

  /** Creates the controller; {@linkcode StopController.signal} drives it. */
  constructor(log: Logger, service: RunningService, options: StopOptions = {}) {
    this.#log = log;
    this.#service = service;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#graceMs = options.graceMs ?? 2000;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#now = options.now ?? Date.now;
  }

  /**
   * A signal arrived. The first starts the stop; one within the grace period
   * is logged and ignored; one after it forces the exit (status 1) and says
   * what was left unwritten.
   */
  signal(name: string): void {
    if (this.#done) return;
    const now = this.#now();
    if (this.#firstAt === null) {
      this.#firstAt = now;
      this.#log.info(`${name}: stopping`);
      this.#deadline = setTimeout(() => {
        this.#force(`stop did not finish within ${this.#timeoutMs} ms`);
      }, this.#timeoutMs);
      this.#service.stop().then(
        () => this.#finish(0, "stopped"),
        (err) => this.#finish(1, `stop failed: ${err instanceof Error ? err.message : err}`),
      );
      return;
    }
    const since = now - this.#firstAt;
    if (since < this.#graceMs) {
      this.#log.info(
        `${name} again ${since} ms after the first: still stopping ` +
          `(a signal after ${this.#graceMs} ms forces the exit)`,
      );
      return;
    }
    this.#force(`${name} during the stop`);
  }

  #force(why: string): void {
    if (this.#done) return;
    const left = this.#service.unwritten?.();
    this.#finish(
      1,
      `${why}: exiting now; ${left ? `left unwritten: ${left}` : "nothing unwritten"}`,
    );
  }

  #finish(code: number, message: string): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    if (code === 0) this.#log.info(message);
    else this.#log.error(message);
    this.#exit(code);
  }
}

/**
 * Stops `service` on SIGINT or SIGTERM: the first signal starts a clean stop
 * (exit 0 when it succeeds, 1 when it fails); repeats within `graceMs` are
 * ignored; a later signal or the `timeoutMs` deadline forces exit 1 and logs
 * what was left unwritten.
 */
export function stopOnSignals(
  log: Logger,
  service: RunningService,
  options: StopOptions = {},
): StopController {
  const controller = new StopController(log, service, options);
  process.on("SIGINT", () => controller.signal("SIGINT"));
  process.on("SIGTERM", () => controller.signal("SIGTERM"));
  return controller;
}

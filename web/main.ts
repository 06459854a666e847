/**
 * Entrypoint of the web admin (also `lars web`).
 *
 *     deno task web --config conf/lars_web.conf
 *     deno task web hash-password < password.txt   # prints a [web] password_hash line
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { createLogger, setLogFormat } from "../reactor/log.ts";
import { startAdminServer } from "../reactor/admin_server.ts";
import { readAdminSettings, readLogFormat } from "../reactor/ops_settings.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { hashPassword } from "./auth.ts";
import { readWebSettings } from "./config.ts";
import { webAdmin } from "./web_admin.ts";
import { WebService } from "./web_service.ts";

/** Usage of the web admin's entrypoint. */
export const WEB_USAGE = `usage: deno task web [--config FILE]
       deno task web hash-password      (reads the password from stdin)

Lars web admin: routes, names, change and audit logs, live call status and
charts, in a browser and as a JSON API under /api/.
  -c, --config FILE   lars_web.conf ([web] ip, port, user, password or password_hash;
                      [store] url or [mysql]; [admin] ip, port; [log] format)
                      (default conf/lars_web.conf)
  -h, --help          this text`;

async function printHash(): Promise<number> {
  const text = new TextDecoder().decode(await new Response(Deno.stdin.readable).arrayBuffer());
  const password = text.replace(/\r?\n$/, "");
  if (password.length < 8) {
    console.error("hash-password: the password needs at least 8 characters");
    return 2;
  }
  console.log(`password_hash = ${await hashPassword(password)}`);
  return 0;
}

/**
 * Runs the web admin with command-line `args`. Resolves to an exit code when
 * it cannot start; once serving it never resolves (SIGINT/SIGTERM stop it).
 */
export async function webMain(args: string[]): Promise<number> {
  if (args[0] === "hash-password") return await printHash();
  const log = createLogger("web");
  const { config } = parseServiceArgs(args, WEB_USAGE, "conf/lars_web.conf");
  let settings, admin;
  try {
    const file = await Config.load(config);
    settings = await readWebSettings(file);
    admin = readAdminSettings(file);
    const format = readLogFormat(file);
    if (format) setLogFormat(format);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error(err.message);
    return 1;
  }
  let service: WebService;
  try {
    service = new WebService({ settings, transport: denoTransport, log });
  } catch (err) {
    log.error(`cannot use the store: ${(err as Error).message}`);
    return 1;
  }
  let adminServer;
  try {
    adminServer = await startAdminServer(admin, {
      transport: denoTransport,
      service: "web",
      content: () => webAdmin(service),
      log,
    });
  } catch (err) {
    log.error((err as Error).message);
    await service.stop().catch(() => {});
    return 1;
  }
  try {
    await service.start();
  } catch (err) {
    log.error(`cannot listen on ${settings.hostname}:${settings.port}: ${(err as Error).message}`);
    await adminServer?.stop();
    await service.stop().catch(() => {});
    return 1;
  }
  stopOnSignals(log, async () => {
    await service.stop();
    await adminServer?.stop();
    log.info(`counters ${JSON.stringify(service.counters.snapshot())}`);
  });
  return await new Promise<number>(() => {});
}

if (import.meta.main) Deno.exit(await webMain(Deno.args));

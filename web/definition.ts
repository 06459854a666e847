/**
 * The web admin as the service runner starts it: usage, the settings reader,
 * what the settings make it use, and the builder. `web/main.ts` runs it on
 * Deno; the `lars` binary runs it on Bun.
 *
 * @module
 */
import type { ServiceDefinition } from "../reactor/service.ts";
import { storeServiceAccess } from "../store/config.ts";
import { readWebSettings, type WebSettings } from "./config.ts";
import { webAdmin } from "./web_admin.ts";
import { WebService } from "./web_service.ts";

/** Usage of the web admin's entrypoint. */
export const WEB_USAGE = `usage: deno task web [--config FILE]      (lars web [--config FILE])
       deno task web hash-password      (reads the password from stdin)

Lars web admin: routes, names, change and audit logs, live call status and
charts, in a browser and as a JSON API under /api/.
  -c, --config FILE   lars_web.conf ([web] ip, port, user, password or password_hash;
                      [store] url or [mysql]; [admin] ip, port; [log] format)
                      (default conf/lars_web.conf)
  -h, --help          this text`;

/** The web admin, for the service runner (`runService` in `reactor/service.ts`). */
export const webService: ServiceDefinition<WebSettings> = {
  name: "web",
  usage: WEB_USAGE,
  defaultConfig: "conf/lars_web.conf",
  readSettings: readWebSettings,
  access(settings, config) {
    return storeServiceAccess(
      config,
      { hostname: settings.hostname, port: settings.port, key: "[web] ip, port" },
    );
  },
  async start(settings, { transport, log }) {
    const service = new WebService({ settings, transport, log });
    await service.start();
    return {
      admin: () => webAdmin(service),
      async stop() {
        await service.stop();
        log.info(`counters ${JSON.stringify(service.counters.snapshot())}`);
      },
    };
  },
};

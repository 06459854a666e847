/**
 * The services Lars runs, by command name: their definitions for the service
 * runner and their Deno entrypoints. The launcher (`cli/launch.ts`), `lars
 * permissions` and the `lars` binary read this table; a new service is one
 * more entry, as `web` was:
 *
 * 1. `web/definition.ts` exports `webService: ServiceDefinition<WebSettings>`
 *    (usage, `defaultConfig`, the settings reader, and `access`: `[web] ip,
 *    port` to listen on, the store via `storeAccess(config)`);
 * 2. `web/main.ts` is `await runService(webService, { transport: denoTransport })`;
 * 3. the entry below, and `"web": "deno run --allow-read --allow-env
 *    --allow-run cli/launch.ts web"` in `deno.json`.
 *
 * `[admin] ip, port` needs nothing: every service gets it (`serviceAccess`).
 *
 * @module
 */
import { agentService } from "../agent/definition.ts";
import { dnsService } from "../dns/definition.ts";
import type { ServiceDefinition } from "../reactor/service.ts";
import { reporterService } from "../reporter/definition.ts";
import { webService } from "../web/definition.ts";

/** A service: its definition and its Deno entrypoint. */
export interface ServiceEntry {
  // deno-lint-ignore no-explicit-any
  definition: ServiceDefinition<any>;
  /** Entrypoint relative to the project root, e.g. `dns/main.ts`. */
  entry: string;
}

/** The services by command name. */
export const SERVICES: Readonly<Record<string, ServiceEntry>> = {
  dns: { definition: dnsService, entry: "dns/main.ts" },
  reporter: { definition: reporterService, entry: "reporter/main.ts" },
  agent: { definition: agentService, entry: "agent/main.ts" },
  web: { definition: webService, entry: "web/main.ts" },
};

/** The service named `name`. @throws {Error} naming the known services */
export function serviceNamed(name: string): ServiceEntry {
  const entry = Object.hasOwn(SERVICES, name) ? SERVICES[name] : undefined;
  if (!entry) {
    throw new Error(`unknown service "${name}" (one of ${Object.keys(SERVICES).join(", ")})`);
  }
  return entry;
}

/**
 * The web admin: a Hono app with a page and a JSON API under `/api/` over the
 * route and report stores, served through the transport seam.
 *
 * @example
 * ```ts ignore
 * import { denoTransport } from "../reactor/mod.ts";
 * import { createLogger } from "../reactor/log.ts";
 * import { plainPassword, WebService } from "./mod.ts";
 *
 * const service = new WebService({
 *   settings: {
 *     hostname: "127.0.0.1",
 *     port: 7780,
 *     storeUrl: "sqlite:data/lars.db",
 *     users: new Map([["admin", await plainPassword("a long secret")]]),
 *     sessionTtl: 43200,
 *     loginLimit: 5,
 *   },
 *   transport: denoTransport,
 *   log: createLogger("web"),
 * });
 * await service.start();
 * ```
 *
 * @module
 */
export {
  hashPassword,
  LoginLimiter,
  parsePasswordHash,
  type PasswordCheck,
  plainPassword,
  type Session,
  Sessions,
  Users,
} from "./auth.ts";
export { readWebSettings, type WebSettings } from "./config.ts";
export {
  createWebCounters,
  WEB_COUNTER_NAMES,
  type WebCounterName,
  type WebCounters,
} from "./counters.ts";
export { WebService, type WebServiceOptions } from "./web_service.ts";
export { FieldError } from "./validate.ts";

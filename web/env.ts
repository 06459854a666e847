/**
 * The Hono environment of the web admin: per-request bindings from the
 * transport and variables set by the session guard.
 *
 * @module
 */
import type { NetAddress } from "../reactor/transport.ts";
import type { Session } from "./auth.ts";

/** Hono `Env` of every route of the web admin. */
export interface WebEnv {
  /** From the transport, per request. */
  Bindings: { remoteAddr: NetAddress };
  /** Set by the session guard for `/api/` routes. */
  Variables: { session: Session; token: string };
}

/**
 * Login, logout and session routes of the JSON API, and the guard every other
 * `/api/` route sits behind: a session cookie (HttpOnly, SameSite=Strict)
 * and, on every write, header `X-CSRF-Token` matching the session's token.
 *
 * @module
 */
import type { Context, Hono, MiddlewareHandler } from "npm:hono@4.13.19";
import { deleteCookie, getCookie, setCookie } from "npm:hono@4.13.19/cookie";
import type { Logger } from "../reactor/log.ts";
import { type LoginLimiter, sameToken, type Sessions, type Users } from "./auth.ts";
import type { WebCounters } from "./counters.ts";
import type { WebEnv } from "./env.ts";
import { asObject, FieldError } from "./validate.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "lars_session";

/** What the auth routes need. */
export interface AuthDeps {
  /** Configured users. */
  users: Users;
  /** Live sessions. */
  sessions: Sessions;
  /** Failed-login limiter. */
  limiter: LoginLimiter;
  /** Session lifetime, seconds. */
  sessionTtl: number;
  /** Log (logins and failures, never passwords). */
  log: Logger;
  /** Login counters. */
  counters: WebCounters;
}

/** Reads a JSON object body; a FieldError for a wrong content type or bad JSON. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
    throw new FieldError("content-type", "expected application/json");
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new FieldError("body", "not valid JSON");
  }
  return asObject(body);
}

function stringField(body: Record<string, unknown>, field: string, max: number): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") throw new FieldError(field, "missing");
  if (value.length > max) throw new FieldError(field, `longer than ${max} characters`);
  return value;
}

/** Adds `/api/login`, `/api/logout`, `/api/session` and the guard of the other `/api/` routes. */
export function mountAuth(app: Hono<WebEnv>, deps: AuthDeps): void {
  const { users, sessions, limiter, log, counters } = deps;

  app.post("/api/login", async (c) => {
    const client = c.env.remoteAddr.hostname;
    const wait = limiter.retryAfter(client);
    if (wait > 0) {
      counters.inc("loginsLimited");
      c.header("Retry-After", String(wait));
      return c.json({ error: `too many failed logins; retry in ${wait} s` }, 429);
    }
    const body = await jsonBody(c);
    const user = stringField(body, "user", 64);
    const password = stringField(body, "password", 1024);
    if (!(await users.check(user, password))) {
      limiter.fail(client);
      counters.inc("loginFailures");
      log.warn(`failed login for "${user.replace(/[^\w.@-]/g, "?")}" from ${client}`);
      return c.json({ error: "wrong user or password" }, 401);
    }
    limiter.succeed(client);
    counters.inc("logins");
    const { token, session } = sessions.create(user);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: deps.sessionTtl,
      secure: new URL(c.req.url).protocol === "https:",
    });
    log.info(`login: ${user} from ${client}`);
    return c.json({ user, csrf: session.csrf });
  });

  app.use("/api/*", guard(sessions));

  app.get("/api/session", (c) => {
    const session = c.get("session");
    return c.json({ user: session.user, csrf: session.csrf });
  });

  app.post("/api/logout", (c) => {
    sessions.delete(c.get("token"));
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    log.info(`logout: ${c.get("session").user}`);
    return c.json({ ok: true });
  });
}

const READS = new Set(["GET", "HEAD"]);

/** 401 without a live session; 403 on a write without the session's CSRF token. */
function guard(sessions: Sessions): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    if (c.req.path === "/api/login") return await next();
    const token = getCookie(c, SESSION_COOKIE);
    const session = sessions.get(token);
    if (!session) return c.json({ error: "not logged in" }, 401);
    if (!READS.has(c.req.method) && !sameToken(c.req.header("x-csrf-token"), session.csrf)) {
      return c.json({ error: "X-CSRF-Token: missing or wrong" }, 403);
    }
    c.set("session", session);
    c.set("token", token!);
    await next();
  };
}

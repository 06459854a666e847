/**
 * Reads the web admin's settings from `lars_web.conf`: `[web]` (address,
 * user, password) and the store (`[store] url` or `[mysql]`, as DNS).
 *
 * @module
 */
import { type Config, ConfigError } from "../reactor/config.ts";
import { storeUrlFromConfig } from "../store/config.ts";
import { parsePasswordHash, type PasswordCheck, plainPassword } from "./auth.ts";

/** Settings of the web admin. */
export interface WebSettings {
  /** Listen address (`[web] ip`, default 127.0.0.1). */
  hostname: string;
  /** Listen port (`[web] port`, default 7780). */
  port: number;
  /** Store URL (`[store] url`, else built from `[mysql]`). */
  storeUrl: string;
  /** The users who may log in, with their passwords (`[web] user`, `password`/`password_hash`). */
  users: Map<string, PasswordCheck>;
  /** Session lifetime in seconds (`[web] session_ttl`, default 43200 = 12 h). */
  sessionTtl: number;
  /** Failed logins allowed per client address per minute (`[web] login_limit`, default 5). */
  loginLimit: number;
}

const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * Reads and checks the settings.
 *
 * @throws {ConfigError} naming file, section and key of a missing or bad value
 */
export async function readWebSettings(config: Config): Promise<WebSettings> {
  const user = config.string("web", "user");
  if (!USER_NAME.test(user)) {
    throw new ConfigError(config.file, "web", "user", "expected 1-64 of A-Z a-z 0-9 _ . @ -");
  }
  let check: PasswordCheck;
  if (config.has("web", "password_hash")) {
    try {
      check = parsePasswordHash(config.string("web", "password_hash"));
    } catch (err) {
      throw new ConfigError(config.file, "web", "password_hash", (err as Error).message);
    }
  } else if (config.has("web", "password")) {
    const password = config.string("web", "password");
    if (password.length < 8) {
      throw new ConfigError(config.file, "web", "password", "shorter than 8 characters");
    }
    check = await plainPassword(password);
  } else {
    throw new ConfigError(
      config.file,
      "web",
      "password_hash",
      "missing: set password_hash (deno task web hash-password) or password = ${VAR}",
    );
  }
  return {
    hostname: config.ipv4("web", "ip", "127.0.0.1"),
    port: config.listenPort("web", "port", 7780),
    storeUrl: storeUrlFromConfig(config),
    users: new Map([[user, check]]),
    sessionTtl: config.int("web", "session_ttl", 43200, { min: 60 }),
    loginLimit: config.int("web", "login_limit", 5, { min: 1 }),
  };
}

/**
 * Who may use the web admin: password checks in scrypt form
 * (`scrypt$N$r$p$SALT$KEY`, base64, from `node:crypto`), sessions with a CSRF
 * token each, and a limit on failed logins per client address.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from "node:crypto";

const KEY_BYTES = 32;
const DEFAULT_COST = { N: 16384, r: 8, p: 1 };

function derive(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      KEY_BYTES,
      { ...cost, maxmem: 256 * 1024 * 1024 },
      (err, key) => err ? reject(err) : resolve(key),
    )
  );
}

/**
 * Hashes a password for `[web] password_hash`.
 *
 * @example
 * ```ts
 * import { hashPassword, parsePasswordHash } from "./auth.ts";
 * const line = await hashPassword("s3cret");
 * console.log(line.startsWith("scrypt$16384$8$1$")); // true
 * console.log(await parsePasswordHash(line).verify("s3cret")); // true
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** A stored password that can check candidates in constant time. */
export interface PasswordCheck {
  /** True when `candidate` is the password. */
  verify(candidate: string): Promise<boolean>;
}

/**
 * Parses `scrypt$N$r$p$SALT$KEY`.
 * @throws {TypeError} when the text is not in that form
 */
export function parsePasswordHash(text: string): PasswordCheck {
  const parts = text.trim().split("$");
  const bad = () =>
    new TypeError("expected scrypt$N$r$p$SALT$KEY (see: deno task web hash-password)");
  if (parts.length !== 6 || parts[0] !== "scrypt") throw bad();
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || (N & (N - 1)) !== 0) throw bad();
  const salt = Buffer.from(parts[4], "base64");
  const key = Buffer.from(parts[5], "base64");
  if (salt.length < 8 || key.length < 16) throw bad();
  return {
    async verify(candidate) {
      const got = await derive(candidate, salt, { N, r, p });
      return got.length === key.length && timingSafeEqual(got, key);
    },
  };
}

/** A check for a plain password (from `${VAR}`): hashed once, checked like a stored hash. */
export async function plainPassword(password: string): Promise<PasswordCheck> {
  return parsePasswordHash(await hashPassword(password));
}

/** The configured users: name to password. */
export class Users {
  readonly #users: Map<string, PasswordCheck>;
  readonly #decoy: Promise<PasswordCheck>;

  /** Wraps the configured users. */
  constructor(users: Map<string, PasswordCheck>) {
    this.#users = users;
    // Unknown names cost one scrypt too, so timing does not tell which names exist.
    this.#decoy = plainPassword(randomBytes(16).toString("hex"));
  }

  /** True when `user` exists and `password` is theirs. */
  async check(user: string, password: string): Promise<boolean> {
    const known = this.#users.get(user);
    const ok = await (known ?? await this.#decoy).verify(password);
    return known !== undefined && ok;
  }
}

/** A logged-in user. */
export interface Session {
  /** User name. */
  user: string;
  /** The token every write must carry in `X-CSRF-Token`. */
  csrf: string;
  /** Expiry, ms since the epoch. */
  expires: number;
}

/** Sessions by cookie token, bounded in number and lifetime. */
export class Sessions {
  readonly #byToken = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  /** `ttlMs`: lifetime of a session; `max`: most live sessions (the oldest is dropped). */
  constructor(ttlMs: number, max = 1000, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#now = now;
  }

  /** Starts a session; resolves to its cookie token. */
  create(user: string): { token: string; session: Session } {
    const token = randomBytes(32).toString("base64url");
    const session = {
      user,
      csrf: randomBytes(24).toString("base64url"),
      expires: this.#now() + this.#ttlMs,
    };
    this.#byToken.set(token, session);
    while (this.#byToken.size > this.#max) {
      this.#byToken.delete(this.#byToken.keys().next().value!);
    }
    return { token, session };
  }

  /** The live session of `token`, if any. */
  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const session = this.#byToken.get(token);
    if (session && session.expires <= this.#now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return session;
  }

  /** Ends a session. */
  delete(token: string | undefined): void {
    if (token) this.#byToken.delete(token);
  }

  /** How many sessions are held. */
  get size(): number {
    return this.#byToken.size;
  }
}

/** True when two tokens are equal, in time independent of where they differ. */
export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Failed logins per client address: at most `max` in `windowMs`, then refused until it passes. */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;

  /** Builds a limiter; `maxClients` bounds the memory held. */
  constructor(max = 5, windowMs = 60_000, maxClients = 10_000, now: () => number = Date.now) {
    this.#max = max;
    this.#windowMs = windowMs;
    this.#maxClients = maxClients;
    this.#now = now;
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string): number {
    const recent = this.#recent(client);
    if (recent.length < this.#max) return 0;
    return Math.max(1, Math.ceil((recent[0] + this.#windowMs - this.#now()) / 1000));
  }

  /** Records a failed attempt of `client`. */
  fail(client: string): void {
    const recent = this.#recent(client);
    recent.push(this.#now());
    this.#failures.delete(client);
    this.#failures.set(client, recent);
    while (this.#failures.size > this.#maxClients) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  /** Forgets the failures of `client` (after a good login). */
  succeed(client: string): void {
    this.#failures.delete(client);
  }

  #recent(client: string): number[] {
    const since = this.#now() - this.#windowMs;
    return (this.#failures.get(client) ?? []).filter((t) => t > since);
  }
}

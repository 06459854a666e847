/**
 * A JSON API client for web admin tests: keeps the session cookie and sends
 * the CSRF token on writes, like the page does.
 *
 * @module
 */

/** One answer. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Talks to one web admin. */
export class WebClient {
  readonly base: string;
  cookie = "";
  csrf = "";

  constructor(base: string) {
    this.base = base;
  }

  /** Sends a request; `body` is JSON-encoded unless it is a string. */
  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (method !== "GET" && this.csrf && !("x-csrf-token" in h)) h["x-csrf-token"] = this.csrf;
    if (body !== undefined && typeof body !== "string" && !("content-type" in h)) {
      h["content-type"] = "application/json";
    }
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("lars_session="));
    if (cookie) this.cookie = cookie.split(";")[0];
    const type = res.headers.get("content-type") ?? "";
    const parsed = type.includes("json") ? await res.json() : await res.text();
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Logs in; throws unless it worked. */
  async login(user: string, password: string): Promise<void> {
    const res = await this.call("POST", "/api/login", { user, password });
    if (res.status !== 200) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
    this.csrf = (res.body as { csrf: string }).csrf;
  }
}

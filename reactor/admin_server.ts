/**
 * The HTTP admin endpoint of a service (Envoy's admin port, Consul's agent
 * API): `GET /metrics` (Prometheus text), `GET /healthz` (200 while the process
 * runs), `GET /readyz` (200 only when every readiness check passes, with a
 * JSON body that says which do not), plus routes a service adds (the agent's
 * `/hosts`). It serves through the transport seam, so it runs on Deno and Bun.
 *
 * @module
 */
import { createLogger, type Logger } from "./log.ts";
import type { MetricsRegistry } from "./metrics.ts";
import type { AdminSettings } from "./ops_settings.ts";
import type { HttpServer, NetAddress, Transport } from "./transport.ts";

/** The outcome of one readiness check. */
export interface ReadinessCheck {
  /** True when this part can do its job. */
  ok: boolean;
  /** Why (or why not), for people. */
  detail: string;
}

/** Readiness checks by name, e.g. `{ routes: { ok: true, detail: "version 7" } }`. */
export type Readiness = Record<string, ReadinessCheck>;

/** Answers a GET on an extra admin path. */
export type AdminRoute = (request: Request) => Response | Promise<Response>;

/** What a service shows on its admin endpoint. */
export interface AdminContent {
  /** What `/metrics` exports. */
  registry: MetricsRegistry;
  /** The checks behind `/readyz`. */
  readiness: () => Readiness | Promise<Readiness>;
  /** Extra GET routes by exact path, e.g. `{ "/hosts": ... }`. */
  routes?: Record<string, AdminRoute>;
}

/** Options of an {@linkcode AdminServer}. */
export interface AdminServerOptions extends AdminContent {
  /** Sockets to serve on. */
  transport: Transport;
  /** Service name, in the JSON bodies. */
  service: string;
  /**
   * Listen address.
   * @default "127.0.0.1"
   */
  hostname?: string;
  /**
   * Listen port (0 picks a free one).
   * @default 0
   */
  port?: number;
  /** Logger. */
  log?: Logger;
}

/** A JSON response (pretty-printed: people read these with curl). */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** The admin endpoint; see the module documentation. */
export class AdminServer {
  readonly #options: AdminServerOptions;
  readonly #log: Logger;
  readonly #started = Date.now();
  #server: HttpServer | null = null;

  /** Creates the endpoint; {@linkcode start} listens. */
  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger(`${options.service}-admin`);
  }

  /** The listen address; throws before {@linkcode start}. */
  get addr(): NetAddress {
    if (this.#server === null) throw new Error("AdminServer is not started");
    return this.#server.addr;
  }

  /** `http://host:port` of the endpoint; throws before {@linkcode start}. */
  get url(): string {
    return `http://${this.addr.hostname}:${this.addr.port}`;
  }

  /**
   * Listens; resolves to the bound address.
   * @throws {Error} when the address cannot be bound
   */
  async start(): Promise<NetAddress> {
    if (this.#server !== null) throw new Error("AdminServer is already started");
    const { transport, hostname = "127.0.0.1", port = 0 } = this.#options;
    this.#server = await transport.serveHttp({ hostname, port }, (req) => this.handle(req));
    this.#log.info(
      `admin endpoint on ${this.url}: /metrics /healthz /readyz` +
        Object.keys(this.#options.routes ?? {}).map((p) => ` ${p}`).join(""),
    );
    return this.#server.addr;
  }

  /** Stops listening. */
  async stop(): Promise<void> {
    await this.#server?.close();
  }

  /** Answers one request (what the HTTP server calls; exposed for embedding). */
  async handle(request: Request): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return jsonResponse({ error: `method ${request.method} not allowed` }, 405);
    }
    const path = new URL(request.url).pathname;
    try {
      switch (path) {
        case "/metrics":
          return await this.#metrics();
        case "/healthz":
          return jsonResponse({
            status: "ok",
            service: this.#options.service,
            uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
          });
        case "/readyz":
          return await this.#ready();
        case "/":
          return jsonResponse({
            service: this.#options.service,
            endpoints: [
              "/metrics",
              "/healthz",
              "/readyz",
              ...Object.keys(this.#options.routes ?? {}),
            ],
          });
      }
      const route = this.#options.routes?.[path];
      if (route) return await route(request);
      return jsonResponse({ error: `no such path: ${path}` }, 404);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      this.#log.warnThrottled(`admin ${path}`, `admin ${path} failed: ${text}`);
      return jsonResponse({ error: text }, 500);
    }
  }

  async #metrics(): Promise<Response> {
    const { registry } = this.#options;
    return new Response(await registry.metrics(), {
      headers: { "content-type": registry.contentType, "cache-control": "no-store" },
    });
  }

  async #ready(): Promise<Response> {
    const checks = await this.#options.readiness();
    const ready = Object.values(checks).every((check) => check.ok);
    return jsonResponse({ ready, service: this.#options.service, checks }, ready ? 200 : 503);
  }
}

/** Options of {@linkcode startAdminServer}. */
export interface StartAdminOptions {
  /** Sockets to serve on. */
  transport: Transport;
  /** Service name, in the JSON bodies. */
  service: string;
  /**
   * Builds what the endpoint shows; called only when the endpoint is on, so a
   * service may import its metrics code (prom-client) here, lazily.
   */
  content: () => AdminContent | Promise<AdminContent>;
  /** Logger. */
  log?: Logger;
}

/**
 * Starts an admin endpoint at `settings` (`[admin] ip, port`), or answers null
 * when `settings` is null (the endpoint is off: no registry is even built).
 *
 * @throws {Error} when the address cannot be bound
 */
export async function startAdminServer(
  settings: AdminSettings | null,
  options: StartAdminOptions,
): Promise<AdminServer | null> {
  if (settings === null) return null;
  const { content, ...rest } = options;
  const server = new AdminServer({
    ...rest,
    ...await content(),
    hostname: settings.hostname,
    port: settings.port,
  });
  try {
    await server.start();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot serve the admin endpoint on ${settings.hostname}:${settings.port}: ${text}`,
    );
  }
  return server;
}

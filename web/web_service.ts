/**
 * The web admin service: opens the route and report stores (retrying with
 * backoff while the database is down; requests meanwhile answer 503) and
 * serves the app through the transport seam.
 *
 * @module
 */
import type { Logger } from "../reactor/log.ts";
import { Backoff } from "../reactor/timers.ts";
import type { HttpServer, NetAddress, Transport } from "../reactor/transport.ts";
import type { ReportStore, RouteStore } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { createReportStore, createRouteStore, redactUrl } from "../store/url.ts";
import { createWebApp } from "./app.ts";
import { LoginLimiter, Sessions, Users } from "./auth.ts";
import type { WebSettings } from "./config.ts";
import { createWebCounters, type WebCounters } from "./counters.ts";

/** Options of {@linkcode WebService}. */
export interface WebServiceOptions {
  /** The settings from `lars_web.conf`. */
  settings: WebSettings;
  /** Network transport. */
  transport: Transport;
  /** Log. */
  log: Logger;
}

interface Opened {
  routes: RouteStore;
  reports: ReportStore;
}

/** The running web admin. */
export class WebService {
  /** Requests, errors, writes and logins. */
  readonly counters: WebCounters = createWebCounters();
  /** Live sessions. */
  readonly sessions: Sessions;
  readonly #options: WebServiceOptions;
  readonly #routeStore: RouteStore;
  readonly #reportStore: ReportStore;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  #opened: Promise<Opened> | undefined;
  #retryAt = 0;
  #server: HttpServer | undefined;
  #ready = false;
  #storeError = "";

  /**
   * Creates the stores (nothing is sent to the database yet).
   * @throws {TypeError} on a bad store URL
   */
  constructor(options: WebServiceOptions) {
    this.#options = options;
    this.#routeStore = createRouteStore(options.settings.storeUrl);
    this.#reportStore = createReportStore(options.settings.storeUrl, { history: true });
    this.sessions = new Sessions(options.settings.sessionTtl * 1000);
  }

  /** Whether the stores are open, and the last error while they are not. */
  get store(): { ready: boolean; error: string } {
    return { ready: this.#ready, error: this.#storeError };
  }

  /** Starts listening; resolves to the bound address. */
  async start(): Promise<NetAddress> {
    const { settings, transport, log } = this.#options;
    const app = createWebApp({
      users: new Users(settings.users),
      sessions: this.sessions,
      counters: this.counters,
      limiter: new LoginLimiter(settings.loginLimit),
      sessionTtl: settings.sessionTtl,
      log,
      stores: () => this.#stores(),
    });
    // Open early, so the first page load finds the store ready; failures are retried on use.
    this.#stores().catch(() => {});
    this.#server = await transport.serveHttp(
      { hostname: settings.hostname, port: settings.port },
      (request, info) => app.fetch(request, info),
    );
    const { hostname, port } = this.#server.addr;
    log.info(`listening on http://${hostname}:${port}/ (store ${redactUrl(settings.storeUrl)})`);
    return this.#server.addr;
  }

  /** Stops serving (requests in flight finish) and closes the stores. */
  async stop(): Promise<void> {
    await this.#server?.close();
    await Promise.all([this.#routeStore.close(), this.#reportStore.close()]);
  }

  #stores(): Promise<Opened> {
    if (this.#opened) return this.#opened;
    const wait = this.#retryAt - Date.now();
    if (wait > 0) {
      return Promise.reject(new StoreError(`database down; next try in ${Math.ceil(wait)} ms`));
    }
    const opening = (async () => {
      await this.#routeStore.init();
      await this.#reportStore.init();
      this.#backoff.reset();
      this.#ready = true;
      this.#storeError = "";
      return { routes: this.#routeStore, reports: this.#reportStore };
    })();
    this.#opened = opening;
    opening.catch((err) => {
      this.#opened = undefined;
      this.#storeError = (err as Error).message;
      this.#retryAt = Date.now() + this.#backoff.next();
      this.#options.log.warn(`store not ready: ${(err as Error).message}`);
    });
    return opening;
  }
}

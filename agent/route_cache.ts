/**
 * The agent's route cache on disk (ours; the original had none): every route
 * DNS sends is written to `<cache_dir>/routes.json` (atomically: temp file and
 * rename, debounced), and loaded at start, so an agent restarted while DNS is
 * down serves the last known routes at once. Each route keeps `updatedAt`,
 * the last time DNS confirmed it, so its age is visible (`lars cache`).
 *
 * @module
 */
import { intToIp, ipToInt, isPort } from "../proto/ip.ts";
import type { HostInfo } from "../proto/messages.ts";
import {
  changeMode,
  makeDirectory,
  readTextFile,
  renameFile,
  writeTextFile,
} from "../reactor/files.ts";
import { errorText } from "../reactor/text.ts";
import type { Logger } from "../reactor/log.ts";

/** One module's cached route. */
export interface CachedRoute {
  /** Module id. */
  modid: number;
  /** Command id. */
  cmdid: number;
  /** Hosts, never empty. */
  hosts: HostInfo[];
  /** Unix time in seconds when DNS last sent this route. */
  updatedAt: number;
}

interface CacheFile {
  format: 1;
  savedAt: string;
  routes: { modid: number; cmdid: number; updatedAt: number; hosts: string[] }[];
}

/** Name of the cache file inside the cache directory. */
export const CACHE_FILE_NAME = "routes.json";

/**
 * Parses the cache file's text.
 *
 * @throws {Error} when the text is not a cache file
 */
export function parseCacheFile(text: string): CachedRoute[] {
  const data = JSON.parse(text) as Partial<CacheFile>;
  if (data.format !== 1 || !Array.isArray(data.routes)) {
    throw new Error("not a Lars route cache (format 1)");
  }
  return data.routes.map((r) => {
    if (!Number.isInteger(r.modid) || !Number.isInteger(r.cmdid) || !Array.isArray(r.hosts)) {
      throw new Error(`bad route entry ${JSON.stringify(r)}`);
    }
    const hosts = r.hosts.map((text) => {
      // "a.b.c.d:port", or "a.b.c.d:port:weight" for a weight other than 1.
      const [ip, port, weight] = String(text).split(":");
      const p = Number(port);
      if (!isPort(p)) throw new Error(`bad host "${text}"`);
      if (weight === undefined) return { ip: ipToInt(ip), port: p };
      const w = Number(weight);
      if (!Number.isInteger(w) || w < 1) throw new Error(`bad host "${text}"`);
      return { ip: ipToInt(ip), port: p, weight: w };
    });
    return { modid: r.modid, cmdid: r.cmdid, hosts, updatedAt: Number(r.updatedAt) || 0 };
  }).filter((r) => r.hosts.length > 0);
}

/** Options of a {@linkcode RouteCache}. */
export interface RouteCacheOptions {
  /**
   * Delay before writing after a route's hosts changed, in ms (groups bursts).
   * @default 100
   */
  changeDelayMs?: number;
  /**
   * Delay before writing when routes were only confirmed (their age reset), in ms.
   * @default 10000
   */
  refreshDelayMs?: number;
}

/**
 * Writes the agent's routes to disk, atomically and debounced. It keeps no
 * copy of the routes: `routes()` reads them from their owner when writing.
 */
export class RouteCache {
  #dir: string;
  #log: Logger;
  #routes: () => Iterable<CachedRoute>;
  #changeDelayMs: number;
  #refreshDelayMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #due = Infinity;
  #writing: Promise<void> = Promise.resolve();

  /** A cache in `dir` (created when missing) of what `routes()` answers. */
  constructor(
    dir: string,
    log: Logger,
    routes: () => Iterable<CachedRoute>,
    options: RouteCacheOptions = {},
  ) {
    this.#dir = dir;
    this.#log = log;
    this.#routes = routes;
    this.#changeDelayMs = options.changeDelayMs ?? 100;
    this.#refreshDelayMs = options.refreshDelayMs ?? 10_000;
  }

  /** Path of the cache file. */
  get path(): string {
    return `${this.#dir}/${CACHE_FILE_NAME}`;
  }

  /** Reads the file; a missing file is an empty cache, a corrupt one is logged and ignored. */
  async load(): Promise<CachedRoute[]> {
    let text: string;
    try {
      text = await readTextFile(this.path);
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return [];
      this.#log.warn(`cannot read route cache ${this.path}: ${errorText(err)}`);
      return [];
    }
    try {
      return parseCacheFile(text);
    } catch (err) {
      this.#log.warn(`ignoring corrupt route cache ${this.path}: ${errorText(err)}`);
      return [];
    }
  }

  /** A route's hosts changed (or it went away): write soon. */
  changed(): void {
    this.#schedule(this.#changeDelayMs);
  }

  /** Routes were confirmed unchanged (only their age moved): write eventually. */
  refreshed(): void {
    this.#schedule(this.#refreshDelayMs);
  }

  /** Writes now what is pending, and waits for it. */
  async flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#due = Infinity;
      this.#writing = this.#writing.then(() => this.#write());
    }
    await this.#writing;
  }

  #schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (due >= this.#due) return; // an earlier write is already scheduled
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#due = Infinity;
      this.#writing = this.#writing.then(() => this.#write());
    }, delayMs);
  }

  async #write(): Promise<void> {
    const file: CacheFile = {
      format: 1,
      savedAt: new Date().toISOString(),
      routes: [...this.#routes()].map((r) => ({
        modid: r.modid,
        cmdid: r.cmdid,
        updatedAt: r.updatedAt,
        hosts: r.hosts.map((h) =>
          `${intToIp(h.ip)}:${h.port}${(h.weight ?? 1) === 1 ? "" : `:${h.weight}`}`
        ),
      })),
    };
    const tmp = `${this.path}.tmp`;
    try {
      // Only this user may read what the routes reveal (0600 file in a 0700 directory).
      await makeDirectory(this.#dir, 0o700);
      await writeTextFile(tmp, JSON.stringify(file, null, 1), 0o600);
      await changeMode(tmp, 0o600); // a temp file left by a crash keeps its old mode otherwise
      await renameFile(tmp, this.path);
    } catch (err) {
      this.#log.warnThrottled(
        "cache-write",
        `cannot write route cache ${this.path}: ${errorText(err)}`,
      );
    }
  }
}

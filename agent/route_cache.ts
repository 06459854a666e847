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
import { errorText } from "../reactor/framed_connection.ts";
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
      const [ip, port] = String(text).split(":");
      const p = Number(port);
      if (!isPort(p)) throw new Error(`bad host "${text}"`);
      return { ip: ipToInt(ip), port: p };
    });
    return { modid: r.modid, cmdid: r.cmdid, hosts, updatedAt: Number(r.updatedAt) || 0 };
  }).filter((r) => r.hosts.length > 0);
}

/** A debounced, atomically written route cache. */
export class RouteCache {
  #dir: string;
  #log: Logger;
  #routes = new Map<string, CachedRoute>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #writing: Promise<void> = Promise.resolve();
  #debounceMs: number;

  /** A cache in `dir` (created when missing); `debounceMs` groups bursts of changes. */
  constructor(dir: string, log: Logger, debounceMs = 100) {
    this.#dir = dir;
    this.#log = log;
    this.#debounceMs = debounceMs;
  }

  /** Path of the cache file. */
  get path(): string {
    return `${this.#dir}/${CACHE_FILE_NAME}`;
  }

  /** Reads the file; a missing file is an empty cache, a corrupt one is logged and ignored. */
  async load(): Promise<CachedRoute[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      this.#log.warn(`cannot read route cache ${this.path}: ${errorText(err)}`);
      return [];
    }
    try {
      const routes = parseCacheFile(text);
      for (const r of routes) this.#routes.set(`${r.modid},${r.cmdid}`, r);
      return routes;
    } catch (err) {
      this.#log.warn(`ignoring corrupt route cache ${this.path}: ${errorText(err)}`);
      return [];
    }
  }

  /** Records a module's route (an empty list removes it) and schedules a write. */
  set(modid: number, cmdid: number, hosts: readonly HostInfo[], updatedAt: number): void {
    const key = `${modid},${cmdid}`;
    if (hosts.length === 0) this.#routes.delete(key);
    else this.#routes.set(key, { modid, cmdid, hosts: [...hosts], updatedAt });
    this.#schedule();
  }

  /** The cached route of a module. */
  get(modid: number, cmdid: number): CachedRoute | undefined {
    return this.#routes.get(`${modid},${cmdid}`);
  }

  /** Every cached route. */
  routes(): CachedRoute[] {
    return [...this.#routes.values()];
  }

  /** Writes now what is pending, and waits for it. */
  async flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#writing = this.#writing.then(() => this.#write());
    }
    await this.#writing;
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#writing = this.#writing.then(() => this.#write());
    }, this.#debounceMs);
  }

  async #write(): Promise<void> {
    const file: CacheFile = {
      format: 1,
      savedAt: new Date().toISOString(),
      routes: [...this.#routes.values()].map((r) => ({
        modid: r.modid,
        cmdid: r.cmdid,
        updatedAt: r.updatedAt,
        hosts: r.hosts.map((h) => `${intToIp(h.ip)}:${h.port}`),
      })),
    };
    const tmp = `${this.path}.tmp`;
    try {
      await Deno.mkdir(this.#dir, { recursive: true });
      await Deno.writeTextFile(tmp, JSON.stringify(file, null, 1));
      await Deno.rename(tmp, this.path);
    } catch (err) {
      this.#log.warnThrottled(
        "cache-write",
        `cannot write route cache ${this.path}: ${errorText(err)}`,
      );
    }
  }
}

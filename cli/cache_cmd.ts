/**
 * `lars cache`: shows the agent's route cache (`[agent] cache_dir`), with the
 * age of each route: how long ago DNS last sent it. These are the routes an
 * agent restarted while DNS is down would serve.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { CACHE_FILE_NAME, parseCacheFile } from "../agent/route_cache.ts";
import { intToIp } from "../proto/ip.ts";
import { Config } from "../reactor/config.ts";

/** Formats an age in seconds as `42s`, `7m12s` or `3h05m`. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/** Prints the cache named by the agent config (as one JSON object with `json`); returns the exit code. */
export async function runCache(
  configPath: string,
  nowSeconds = Date.now() / 1000,
  json = false,
): Promise<number> {
  const config = await Config.load(configPath);
  const dir = config.string("agent", "cache_dir", "data/agent_cache");
  if (!dir) {
    console.log(`${configPath}: [agent] cache_dir is empty: the route cache is off`);
    return 1;
  }
  const path = `${dir}/${CACHE_FILE_NAME}`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    console.log(`no route cache at ${path} (the agent has not received a route yet)`);
    return 1;
  }
  const routes = parseCacheFile(text).sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
  if (json) {
    const out = routes.map((r) => ({
      modid: r.modid,
      cmdid: r.cmdid,
      updatedAt: r.updatedAt,
      ageSeconds: Math.max(0, Math.round(nowSeconds - r.updatedAt)),
      hosts: r.hosts.map((h) => ({ ip: intToIp(h.ip), port: h.port })),
    }));
    console.log(JSON.stringify({ path, routes: out }));
    return 0;
  }
  console.log("MODID\tCMDID\tAGE\tHOSTS");
  for (const r of routes) {
    const hosts = r.hosts.map((h) => `${intToIp(h.ip)}:${h.port}`).join(" ");
    console.log(`${r.modid}\t${r.cmdid}\t${formatAge(nowSeconds - r.updatedAt)}\t${hosts}`);
  }
  console.log(`${routes.length} routes in ${path}`);
  return 0;
}

/**
 * Where the client tools find the agent: `--agent HOST:PORT`, else `[agent]
 * ip` and `port` of the agent's config file (`--config`, default
 * `conf/lars_lb_agent.conf`), else, when no config was named and the default
 * file does not exist (the binary run from any directory), 127.0.0.1:8888.
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { UsageError } from "./usage.ts";

/** The agent's address. */
export interface AgentTarget {
  /** Agent IPv4 address. */
  host: string;
  /** First of the agent's three UDP ports. */
  port: number;
}

/** The default agent config file of the tools. */
export const DEFAULT_AGENT_CONFIG = "conf/lars_lb_agent.conf";
/** The agent the tools reach without `--agent` or a config file. */
export const DEFAULT_AGENT: Readonly<AgentTarget> = { host: "127.0.0.1", port: 8888 };

/** Parses `--agent HOST:PORT` (an IPv4 address and the agent's first port). */
export function parseAgentFlag(text: string): AgentTarget {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1].split(".").some((p) => Number(p) > 255) || port < 1 || port > 65533) {
    throw new UsageError(`--agent must be IPv4:PORT with PORT 1..65533, got "${text}"`);
  }
  return { host: m[1], port };
}

/**
 * Reads the agent address from its config file; `configPath` undefined means
 * the default file, or {@linkcode DEFAULT_AGENT} when that does not exist.
 */
export async function agentTarget(configPath?: string): Promise<AgentTarget> {
  let config: Config;
  try {
    config = await Config.load(configPath ?? DEFAULT_AGENT_CONFIG);
  } catch (err) {
    const missing = err instanceof ConfigError && /no such file/.test(err.message);
    if (configPath === undefined && missing) return { ...DEFAULT_AGENT };
    throw err;
  }
  return {
    host: config.ipv4("agent", "ip", DEFAULT_AGENT.host),
    port: config.int("agent", "port", DEFAULT_AGENT.port, { min: 1, max: 65533 }),
  };
}

/**
 * Where the client tools find the agent: `[agent] ip` and `port` of the
 * agent's config file (`--config`, default `conf/lars_lb_agent.conf`).
 *
 * @module
 */
import { Config } from "../reactor/config.ts";

/** The agent's address. */
export interface AgentTarget {
  /** Agent IPv4 address. */
  host: string;
  /** First of the agent's three UDP ports. */
  port: number;
}

/** Reads the agent address from its config file. */
export async function agentTarget(configPath = "conf/lars_lb_agent.conf"): Promise<AgentTarget> {
  const config = await Config.load(configPath);
  return {
    host: config.ipv4("agent", "ip", "127.0.0.1"),
    port: config.int("agent", "port", 8888, { min: 1, max: 65533 }),
  };
}

/**
 * The load-balance agent (`lars_lb_agent`) as the service runner starts it:
 * usage, the settings reader, what the settings make it use, and the
 * builder. `agent/main.ts` runs it on Deno; the `lars` binary runs it on Bun.
 *
 * @module
 */
import { LEAN_V8_FLAGS, type ServiceDefinition } from "../reactor/service.ts";
import { AgentService } from "./agent_service.ts";
import { hostIpv4 } from "./caller.ts";
import { type AgentSettings, readAgentSettings } from "./config.ts";

const USAGE = `usage: deno task agent [--config FILE]      (lars agent [--config FILE])

Lars load-balance agent: answers the local API over UDP on three ports, picks
healthy hosts, pulls routes from DNS and sends call statistics to the reporter.
  -c, --config FILE   lars_lb_agent.conf ([reporter], [dnsserver], [loadbalance], [agent],
                      [admin] ip, port; [log] format)
                      (default conf/lars_lb_agent.conf)
  -h, --help          this text`;

/** Source folders the shard workers load their modules from (read permission on Deno). */
const WORKER_SOURCES = ["agent", "proto", "reactor"];

/** The agent, for the service runner (`runService` in `reactor/service.ts`). */
export const agentService: ServiceDefinition<AgentSettings> = {
  name: "agent",
  usage: USAGE,
  defaultConfig: "conf/lars_lb_agent.conf",
  // Plus no optimizing compiler: the agent's JS per datagram is small next to its syscalls, and
  // without TurboFan 3-4 MiB fewer pages of the deno binary are touched (docs/benchmarks.md).
  v8Flags: [...LEAN_V8_FLAGS, "--no-opt"],
  readSettings: readAgentSettings,
  access(settings) {
    const key = "[agent] ip, port";
    return {
      listen: [0, 1, 2].map((i) => ({
        hostname: settings.hostname,
        port: settings.port + i,
        key: i === 0 ? key : `${key} + ${i}`,
      })),
      connect: [
        { ...settings.dns, key: "[dnsserver] ip, port" },
        { ...settings.reporter, key: "[reporter] ip, port" },
      ],
      // Replies go to the client's own port; beyond loopback clients may be any host.
      udpPeers: [settings.hostname.startsWith("127.") ? settings.hostname : "*"],
      paths: settings.cacheDir
        ? [{ path: settings.cacheDir, key: "[agent] cache_dir", write: true }]
        : [],
      // The caller address is read from the interfaces unless [agent] caller sets it.
      sys: settings.caller === undefined ? ["networkInterfaces"] : [],
      workerSources: WORKER_SOURCES,
    };
  },
  async start(settings, { transport, log }) {
    const agent = new AgentService({
      settings,
      transport,
      caller: settings.caller ?? hostIpv4(),
      log,
    });
    await agent.start();
    return {
      // Imported only when [admin] is on: it loads the metrics library (prom-client, npm).
      admin: async () => (await import("./agent_admin.ts")).agentAdmin(agent),
      async stop() {
        const shards = await agent.stop();
        log.info(`counters ${JSON.stringify(agent.counters.snapshot())}`);
        for (const stats of shards.sort((a, b) => a.index - b.index)) {
          log.info(`shard ${stats.index} counters ${JSON.stringify(stats)}`);
        }
      },
    };
  },
};

/**
 * Entrypoint of the load-balance agent (`lars_lb_agent`).
 *
 *     deno task agent --config conf/lars_lb_agent.conf
 *
 * @module
 */
import { Config, ConfigError } from "../reactor/config.ts";
import { startAdminServer } from "../reactor/admin_server.ts";
import { createLogger, setLogFormat } from "../reactor/log.ts";
import { readAdminSettings, readLogFormat } from "../reactor/ops_settings.ts";
import { parseServiceArgs, stopOnSignals } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { agentAdmin } from "./agent_admin.ts";
import { AgentService } from "./agent_service.ts";
import { hostIpv4 } from "./caller.ts";
import { readAgentSettings } from "./config.ts";

const USAGE = `usage: deno task agent [--config FILE]

Lars load-balance agent: answers the local API over UDP on three ports, picks
healthy hosts, pulls routes from DNS and sends call statistics to the reporter.
  -c, --config FILE   lars_lb_agent.conf ([reporter], [dnsserver], [loadbalance], [agent],
                      [admin] ip, port; [log] format)
                      (default conf/lars_lb_agent.conf)
  -h, --help          this text`;

const log = createLogger("agent");
const args = parseServiceArgs(Deno.args, USAGE, "conf/lars_lb_agent.conf");
let settings, admin;
try {
  const config = await Config.load(args.config);
  settings = readAgentSettings(config);
  admin = readAdminSettings(config);
  const format = readLogFormat(config);
  if (format) setLogFormat(format);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  log.error(err.message);
  Deno.exit(1);
}
const agent = new AgentService({
  settings,
  transport: denoTransport,
  caller: settings.caller ?? hostIpv4(),
  log,
});
let adminServer;
try {
  await agent.start();
  adminServer = await startAdminServer(admin, {
    transport: denoTransport,
    service: "agent",
    content: () => agentAdmin(agent),
    log,
  });
} catch (err) {
  log.error(err instanceof Error ? err.message : String(err));
  Deno.exit(1);
}
stopOnSignals(log, async () => {
  await adminServer?.stop();
  const shards = await agent.stop();
  log.info(`counters ${JSON.stringify(agent.counters.snapshot())}`);
  for (const stats of shards.sort((a, b) => a.index - b.index)) {
    log.info(`shard ${stats.index} counters ${JSON.stringify(stats)}`);
  }
});

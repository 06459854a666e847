/**
 * Entrypoint of the load-balance agent (`lars_lb_agent`) on Deno.
 *
 *     deno task agent --config /etc/lars/lars_lb_agent.conf
 *
 * @module
 */
import { runService } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { agentService } from "./definition.ts";

await runService(agentService, { transport: denoTransport });

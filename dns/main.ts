/**
 * Entrypoint of the DNS service (`lars_dns`) on Deno.
 *
 *     deno task dns --config /etc/lars/lars_dns.conf
 *
 * @module
 */
import { runService } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { dnsService } from "./definition.ts";

await runService(dnsService, { transport: denoTransport });

/**
 * Entrypoint of the report service (`lars_reporter`) on Deno.
 *
 *     deno task reporter --config /etc/lars/lars_reporter.conf
 *
 * @module
 */
import { runService } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { reporterService } from "./definition.ts";

await runService(reporterService, { transport: denoTransport });

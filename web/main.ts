/**
 * Entrypoint of the web admin on Deno.
 *
 *     deno task web --config /etc/lars/lars_web.conf
 *     deno task web hash-password < password.txt   # prints a [web] password_hash line
 *
 * @module
 */
import { runService } from "../reactor/service.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { webService } from "./definition.ts";
import { printPasswordHash } from "./hash_password.ts";

if (Deno.args[0] === "hash-password") Deno.exit(await printPasswordHash());
await runService(webService, { transport: denoTransport });

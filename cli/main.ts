/**
 * `lars`: the command-line tool on Deno. Route administration on the store,
 * the original's API test tools against a running agent, and the
 * permissions of a service for its config.
 *
 *     deno task lars route add 1 1 127.0.0.1 9000
 *     deno task lars gethost 1 1
 *     deno task lars permissions dns --config /etc/lars/lars_dns.conf
 *
 * @module
 */
import { main } from "./lars.ts";

Deno.exit(await main(Deno.args));

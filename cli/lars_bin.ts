/**
 * Entry of the standalone `lars` binary (`deno task compile:bun`): every
 * service and every tool in one file, run on Bun through the Node transport
 * (or, built by `deno task compile`, on Deno).
 *
 *     lars dns --config /etc/lars/lars_dns.conf
 *     lars agent --config /etc/lars/lars_lb_agent.conf
 *     lars demo --conf-dir DIR
 *     lars gethost 1 1 --agent 127.0.0.1:8888
 *
 * @module
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runService } from "../reactor/service.ts";
import { loadTransport } from "../reactor/transport_runtime.ts";
import { runDemo } from "../tools/demo_run.ts";
import { runTools, TOOLS_USAGE } from "./lars.ts";
import { SERVICES } from "./services.ts";

const USAGE = `usage: lars COMMAND [ARGS] [OPTIONS]

services (each stops cleanly on SIGINT or SIGTERM):
  lars dns [--config FILE]                 the DNS service (default conf/lars_dns.conf)
  lars reporter [--config FILE]            the report service (default conf/lars_reporter.conf)
  lars agent [--config FILE]               the load-balance agent (default conf/lars_lb_agent.conf)
  lars web [--config FILE]                 the web admin (default conf/lars_web.conf)
  lars demo [--conf-dir DIR] [--seconds S] DNS, reporter and agent with sample routes

${TOOLS_USAGE}

  -h, --help   this text`;

const [command, ...rest] = process.argv.slice(2);
const runtime = (globalThis as { Deno?: unknown }).Deno ? "deno" : "node";
const subcommand = rest[0] !== undefined && !rest[0].startsWith("-");
if (command !== undefined && Object.hasOwn(SERVICES, command) && !subcommand) {
  await runService(SERVICES[command].definition, {
    transport: await loadTransport(runtime),
    args: rest,
  });
} else if (command === "demo") {
  const self = process.execPath;
  const serviceArgv = (name: string, conf: string) =>
    Promise.resolve([self, name, "--config", conf]);
  const adminDir = join(tmpdir(), `lars-demo-${process.pid}`);
  process.exit(await runDemo(rest, serviceArgv, "lars", adminDir));
} else {
  process.exit(await runTools(process.argv.slice(2), USAGE));
}

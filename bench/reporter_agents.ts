/**
 * Fake agents for `reporter_load.ts`: N reactor TcpClients, each sending
 * ReportStatusRequest frames (one module per report, `--hosts` results each,
 * cycling over `--modules` modules) for `--seconds`: `--rate` reports per
 * second per agent, or with `--rate 0` as fast as the reporter reads them (a
 * chunk of frames, then `drain()`: TCP backpressure).
 * Each agent has its own caller address, so agents never share a key; the
 * counters grow on every report so no upsert is a no-op.
 *
 * Prints JSON lines on stdout: `{"event":"connected"}` once every agent is
 * connected, then `{"event":"done","reports":N}`.
 *
 *     deno run --allow-net=127.0.0.1 bench/reporter_agents.ts --port 7779 --agents 50
 *
 * @module
 */
import { parseArgs } from "node:util";
import { MessageId } from "../proto/ids.ts";
import { type HostCallResult, ReportStatusRequestCodec } from "../proto/messages.ts";
import { TcpClient } from "../reactor/tcp_client.ts";
import { denoTransport } from "../reactor/transport_deno.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string" },
    agents: { type: "string", default: "1" },
    hosts: { type: "string", default: "10" },
    modules: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    chunk: { type: "string", default: "32" },
    rate: { type: "string", default: "0" },
  },
});
const port = Number(values.port);
const agents = Number(values.agents);
const hosts = Number(values.hosts);
const modules = Number(values.modules);
const seconds = Number(values.seconds);
const chunk = Number(values.chunk);
const rate = Number(values.rate);
if (!Number.isFinite(rate) || rate < 0) throw new RangeError("--rate must be >= 0");
for (const [name, v] of Object.entries({ port, agents, hosts, modules, seconds, chunk })) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer`);
}

function emit(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

let connected = 0;
let allConnected!: () => void;
const everyoneConnected = new Promise<void>((resolve) => (allConnected = resolve));
let go!: (deadline: number) => void;
const started = new Promise<number>((resolve) => (go = resolve));

async function runAgent(index: number): Promise<number> {
  const client = new TcpClient({
    transport: denoTransport,
    hostname: "127.0.0.1",
    port,
    name: `agent-${index}`,
    maxQueuedBytes: 64 * 1024 * 1024,
  });
  client.start();
  await client.whenConnected();
  if (++connected === agents) allConnected();
  const deadline = await started;
  const caller = 0x0A000000 + index + 1;
  const results: HostCallResult[] = Array.from({ length: hosts }, (_, h) => ({
    ip: 0xC0A80000 + h + 1,
    port: 8000 + h,
    succ: 0,
    err: 0,
    overload: false,
  }));
  let sent = 0;
  const begin = performance.now();
  while (Date.now() < deadline) {
    // Unpaced: a chunk, then wait for the socket. Paced: what is due by now.
    const due = rate === 0 ? chunk : Math.floor(((performance.now() - begin) / 1000) * rate) - sent;
    if (due <= 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const ts = Math.floor(Date.now() / 1000);
    for (let i = 0; i < due; i++, sent++) {
      const round = Math.floor(sent / modules);
      for (const r of results) {
        r.succ = round;
        r.err = round % 7;
        r.overload = round % 11 === 0;
      }
      const body = ReportStatusRequestCodec.encode({
        modid: 1000 + (sent % modules),
        cmdid: 1,
        caller,
        ts,
        results,
      });
      client.send(MessageId.ReportStatusRequest, body);
    }
    await client.drain();
  }
  await client.close({ graceful: true });
  return sent;
}

const runs = Array.from({ length: agents }, (_, i) => runAgent(i));
await everyoneConnected;
emit({ event: "connected" });
go(Date.now() + seconds * 1000);
const sent = await Promise.all(runs);
emit({ event: "done", reports: sent.reduce((a, b) => a + b, 0) });

/**
 * Load tool for the hardened edges (not a `Deno.bench` file): what hostile
 * input costs the DNS and report services, run as real subprocesses with the
 * `dns` and `reporter` tasks of `deno.json` (through the launcher; RSS is the service's own).
 *
 * 1. DNS on 1,000 modules: one connection sends N distinct GetRouteRequests
 *    (modules that do not exist, pipelined, reading every answer); DNS RSS
 *    before, right after and `--settle` seconds after (connection still
 *    open), and its peak.
 * 2. DNS: C connections each ask for one module, then each send a 128 KiB
 *    burst and fall idle (agents after their pulls); DNS RSS before and after.
 * 3. Reporter: one connection sends M frames with distinct unknown msgids;
 *    reporter RSS before and after, and the log lines the flood caused.
 *
 *     deno run -A --unstable-net bench/edges_load.ts [--requests 1000000]
 *       [--unknown-frames 200000] [--root DIR] [--settle 30]
 *
 * `--root` runs the services of another checkout of the project (for example
 * an export of an older commit), so before and after are measured by the same
 * tool. All traffic stays on 127.0.0.1; files live in `ROOT/data/tmp/`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encodeFrame, FrameDecoder } from "../proto/frame.ts";
import { MessageId } from "../proto/ids.ts";
import { GetRouteRequestCodec, ReportStatusRequestCodec } from "../proto/messages.ts";
import type { TcpConn } from "../reactor/transport.ts";
import { denoTransport } from "../reactor/transport_deno.ts";
import { openRouteStore } from "../store/url.ts";
import { freeTcpPort } from "../tests/support/ports.ts";
import { readRss, servicePid } from "./proc.ts";

const USAGE = `usage: deno run -A --unstable-net bench/edges_load.ts [options]

Measures DNS memory under many distinct GetRouteRequests on one connection, and
reporter memory and log lines under an unknown-msgid flood.
  --requests N         distinct GetRouteRequests on one DNS connection (default 1000000)
  --unknown-frames M   frames with distinct unknown msgids to the reporter (default 200000)
  --root DIR           checkout whose services are run (default this one)
  --settle S           seconds to wait for the settled RSS figures (default 30)
  --burst-connections C  DNS connections that each send a 128 KiB burst, then idle (default 1000)
  -h, --help           this text`;

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** A service subprocess started from a task's `deno run` words, collecting its output. */
class Service {
  readonly child: Deno.ChildProcess;
  output = "";
  #pump: Promise<unknown>;

  constructor(root: string, task: string[], config: string) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: [...task, "--config", config],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { LARS_LOG: "info" },
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) this.output += text;
    };
    this.#pump = Promise.all([collect(this.child.stdout), collect(this.child.stderr)]);
  }

  /** The service's own pid: below the launcher when the task runs one (see `servicePid`). */
  get pid(): number {
    return servicePid(this.child.pid);
  }

  get lines(): number {
    return this.output.split("\n").filter((l) => l !== "").length;
  }

  async waitFor(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!pattern.test(this.output)) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${this.output}`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.child.status;
    await this.#pump;
  }
}

/**
 * RSS after `seconds` more: V8 keeps the heap it grew under the flood until its
 * memory reducer runs (about 20 s after allocation calms down), then gives it back.
 */
async function settledRss(pid: number, seconds: number): Promise<number> {
  await sleep(seconds * 1000);
  return readRss(pid).rss;
}

async function taskWords(root: string, name: string): Promise<string[]> {
  const json = JSON.parse(await Deno.readTextFile(`${root}/deno.json`));
  const words = String(json.tasks?.[name] ?? "").trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run") throw new Error(`unexpected ${name} task`);
  return words.slice(1);
}

/** Writes all of `data`. */
function writeAll(conn: TcpConn, data: Uint8Array): Promise<void> {
  return conn.writeAll(data);
}

/** Sends `n` distinct GetRouteRequests for modules that do not exist; resolves to answers read. */
async function floodGetRoute(
  port: number,
  n: number,
): Promise<{ conn: TcpConn; answers: number }> {
  const conn = await denoTransport.connectTcp({ hostname: "127.0.0.1", port });
  let answers = 0;
  const reader = (async () => {
    const buf = new Uint8Array(256 * 1024);
    const decoder = new FrameDecoder();
    while (answers < n) {
      const got = await conn.read(buf);
      if (got === null) return;
      decoder.push(buf.subarray(0, got), () => void answers++);
    }
  })();
  const BATCH = 1000;
  const frameLen =
    encodeFrame(1, GetRouteRequestCodec.encode({ modid: 2_000_000, cmdid: 1 })).length;
  for (let i = 0; i < n; i += BATCH) {
    const chunk = new Uint8Array(BATCH * (frameLen + 8));
    let off = 0;
    for (let j = i; j < Math.min(n, i + BATCH); j++) {
      const f = encodeFrame(
        MessageId.GetRouteRequest,
        GetRouteRequestCodec.encode({ modid: 1_000_000 + j, cmdid: 7 }),
      );
      chunk.set(f, off);
      off += f.length;
    }
    await writeAll(conn, chunk.subarray(0, off));
    while (i - answers > 20_000) await sleep(1); // bounded in flight: the answers keep up
  }
  await Promise.race([reader, sleep(30_000)]);
  return { conn, answers };
}

/**
 * Opens `n` connections that each ask for one module, then each send a
 * 128 KiB burst of frames the DNS skips (unknown msgid) and fall idle, like
 * agents after their pulls at connect. Read buffers grown for the burst are
 * what stays.
 */
async function idleAfterBurst(
  port: number,
  pid: number,
  n: number,
  settleSeconds: number,
): Promise<{ connected: number; afterBurst: number }> {
  const conns: TcpConn[] = [];
  const ask = encodeFrame(
    MessageId.GetRouteRequest,
    GetRouteRequestCodec.encode({ modid: 1, cmdid: 1 }),
  );
  const buf = new Uint8Array(4096);
  for (let i = 0; i < n; i++) {
    const c = await denoTransport.connectTcp({ hostname: "127.0.0.1", port });
    conns.push(c);
    await c.writeAll(ask);
    await c.read(buf); // the answer
  }
  await sleep(2000);
  const connected = readRss(pid).rss;
  const frame = encodeFrame(999, new Uint8Array(56));
  const burst = new Uint8Array(128 * 1024);
  for (let off = 0; off + frame.length <= burst.length; off += frame.length) burst.set(frame, off);
  for (let i = 0; i < n; i += 50) {
    await Promise.all(conns.slice(i, i + 50).map((c) => c.writeAll(burst)));
  }
  await sleep(settleSeconds * 1000);
  const afterBurst = readRss(pid).rss;
  for (const c of conns) c.close();
  return { connected, afterBurst };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      requests: { type: "string", default: "1000000" },
      "unknown-frames": { type: "string", default: "200000" },
      root: { type: "string", default: new URL("..", import.meta.url).pathname },
      settle: { type: "string", default: "30" },
      "burst-connections": { type: "string", default: "1000" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const requests = Number(values.requests);
  const unknownFrames = Number(values["unknown-frames"]);
  const settleSeconds = Number(values.settle);
  const burstConnections = Number(values["burst-connections"]);
  const root = values.root.replace(/\/$/, "");
  const dir = `data/tmp/edges_${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(`${root}/${dir}`, { recursive: true });
  const rows: [string, string][] = [];
  try {
    // 1. DNS.
    const db = `sqlite:${root}/${dir}/routes.db`;
    const seed = await openRouteStore(db);
    await seed.init();
    for (let m = 0; m < 1000; m++) await seed.addHost(m, 1, 0x0A000000 + m, 9000);
    await seed.close();
    const dnsPort = freeTcpPort();
    await Deno.writeTextFile(
      `${root}/${dir}/dns.conf`,
      `[reactor]\nip = 127.0.0.1\nport = ${dnsPort}\n[store]\nurl = ${db}\n`,
    );
    const dns = new Service(root, await taskWords(root, "dns"), `${dir}/dns.conf`);
    await dns.waitFor(/listening on/);
    await sleep(1000);
    const dnsIdle = readRss(dns.pid).rss;
    const t0 = performance.now();
    const { conn, answers } = await floodGetRoute(dnsPort, requests);
    const seconds = (performance.now() - t0) / 1000;
    await sleep(1000);
    const dnsAfter = readRss(dns.pid);
    const dnsSettled = await settledRss(dns.pid, settleSeconds);
    conn.close();
    await sleep(1000);
    const dnsClosed = readRss(dns.pid).rss;
    await dns.stop();
    console.log(`DNS: ${answers} of ${requests} answered in ${seconds.toFixed(1)} s`);
    rows.push(
      ["DNS RSS idle, 1,000 modules", mib(dnsIdle)],
      [
        `DNS RSS after ${requests.toLocaleString("en")} distinct GetRouteRequests, connection open`,
        `${mib(dnsAfter.rss)} (+${mib(dnsAfter.rss - dnsIdle)}; peak ${mib(dnsAfter.peak)})`,
      ],
      [
        `DNS RSS ${settleSeconds} s later (V8 has given back its collector's headroom)`,
        `${mib(dnsSettled)} (+${mib(dnsSettled - dnsIdle)})`,
      ],
      ["DNS RSS 1 s after that connection closed", mib(dnsClosed)],
      ["answers received", `${answers.toLocaleString("en")}`],
    );

    // 2. DNS, 1,000 agents that each sent a burst and now sit idle.
    const burstPort = freeTcpPort();
    await Deno.writeTextFile(
      `${root}/${dir}/dns_burst.conf`,
      `[reactor]\nip = 127.0.0.1\nport = ${burstPort}\nmaxConn = 2000\nmax_conn_per_ip = 0\n` +
        `[store]\nurl = ${db}\n`,
    );
    const dns2 = new Service(root, await taskWords(root, "dns"), `${dir}/dns_burst.conf`);
    await dns2.waitFor(/listening on/);
    await sleep(1000);
    const burst = await idleAfterBurst(burstPort, dns2.pid, burstConnections, settleSeconds);
    await dns2.stop();
    rows.push(
      [`DNS RSS, ${burstConnections} connections, each asked for 1 module`, mib(burst.connected)],
      [
        `the same after each sent a 128 KiB burst, idle ${settleSeconds} s`,
        `${mib(burst.afterBurst)} (+${mib(burst.afterBurst - burst.connected)})`,
      ],
    );

    // 3. Reporter.
    const repPort = freeTcpPort();
    await Deno.writeTextFile(
      `${root}/${dir}/reporter.conf`,
      `[reactor]\nip = 127.0.0.1\nport = ${repPort}\n[store]\nurl = sqlite:${root}/${dir}/r.db\n`,
    );
    const rep = new Service(root, await taskWords(root, "reporter"), `${dir}/reporter.conf`);
    await rep.waitFor(/listening on/);
    await sleep(1000);
    const repIdle = readRss(rep.pid).rss;
    const linesBefore = rep.lines;
    const c = await denoTransport.connectTcp({ hostname: "127.0.0.1", port: repPort });
    const BATCH = 1000;
    for (let i = 0; i < unknownFrames; i += BATCH) {
      const parts: Uint8Array[] = [];
      for (let j = i; j < Math.min(unknownFrames, i + BATCH); j++) {
        parts.push(encodeFrame(100 + j, new Uint8Array([1, 2, 3, 4])));
      }
      const chunk = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      parts.reduce((off, p) => (chunk.set(p, off), off + p.length), 0);
      await writeAll(c, chunk);
    }
    // A valid report last: the connection still works after the flood.
    await writeAll(
      c,
      encodeFrame(
        MessageId.ReportStatusRequest,
        ReportStatusRequestCodec.encode({
          modid: 1,
          cmdid: 1,
          caller: 1,
          ts: 0,
          results: [{ ip: 1, port: 80, succ: 1, err: 0, overload: false }],
        }),
      ),
    );
    await sleep(1500);
    const repAfter = readRss(rep.pid);
    const repSettled = await settledRss(rep.pid, settleSeconds);
    const floodLines = rep.lines - linesBefore;
    c.close();
    await sleep(500);
    await rep.stop();
    const counters = rep.output.match(/"unknownMsgid":(\d+)/)?.[1] ?? "?";
    rows.push(
      ["reporter RSS idle", mib(repIdle)],
      [
        `reporter RSS after ${unknownFrames.toLocaleString("en")} unknown-msgid frames`,
        `${mib(repAfter.rss)} (+${mib(repAfter.rss - repIdle)}; peak ${mib(repAfter.peak)})`,
      ],
      [
        `reporter RSS ${settleSeconds} s later`,
        `${mib(repSettled)} (+${mib(repSettled - repIdle)})`,
      ],
      ["reporter log lines caused by the flood", String(floodLines)],
      ["reporter unknownMsgid counter at stop", counters],
    );
    console.log(`\nSUMMARY edges_load --root ${root}`);
    console.log("| measurement | value |\n| --- | --- |");
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
    return 0;
  } finally {
    await Deno.remove(`${root}/${dir}`, { recursive: true }).catch(() => {});
  }
}

Deno.exit(await main());

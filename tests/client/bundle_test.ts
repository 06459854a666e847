/**
 * The client outside Deno: `tools/build_client.ts` bundles `node.ts` into
 * `dist/lars_client.mjs`; Node and Bun import it and talk to a fake agent that
 * runs here, in Deno.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RetCode } from "../../proto/ids.ts";
import { waitFor } from "../support/net.ts";
import { FakeAgent } from "./fake_agent.ts";

const ROOT = new URL("../../", import.meta.url);
const BUNDLE = new URL("dist/lars_client.mjs", ROOT);
const decoder = new TextDecoder();

async function run(command: string, args: string[], cwd: string | URL = ROOT) {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function hasBinary(name: string): Promise<boolean> {
  try {
    return (await run(name, ["--version"])).code === 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

const runtimes = { node: await hasBinary("node"), bun: await hasBinary("bun") };
for (const [name, present] of Object.entries(runtimes)) {
  if (!present) {
    console.error(`\n!!! ${name} is not installed: SKIPPING the ${name} bundle test !!!\n`);
  }
}

let built: Promise<string> | null = null;

/** Runs the build once per test file, as `deno task build` does; resolves to its report line. */
function build(): Promise<string> {
  built ??= (async () => {
    const { code, stdout, stderr } = await run(Deno.execPath(), [
      "run",
      "--allow-read",
      "--allow-write=dist",
      "--allow-run",
      "tools/build_client.ts",
    ]);
    assert.equal(code, 0, `build failed:\n${stdout}\n${stderr}`);
    return stdout;
  })();
  return built;
}

/** Imports the bundle, asks the fake agent, prints what it got as JSON. */
const SCRIPT = `
import { LarsClient, RetCode, shardPort } from ${JSON.stringify(BUNDLE.href)};
const port = Number(process.argv[process.argv.length - 1]);
const client = new LarsClient({ port, timeoutMs: 5000 });
const host = await client.getHost(1, 2);
if (host.retcode === RetCode.SUCC) client.report(1, 2, host.ip, host.port, 0);
const route = await client.getRoute(7, 8);
const regInit = await client.regInit(7, 8);
await client.close();
console.log(JSON.stringify({ host, route, regInit, shard: shardPort(1, 2, 0), deno: "Deno" in globalThis }));
`;

async function runAgainstFakeAgent(runtime: "node" | "bun"): Promise<void> {
  await build();
  const agent = await FakeAgent.start();
  agent.answerHost = () => ({ retcode: RetCode.SUCC, host: { ip: 0xC0A80114, port: 8080 } });
  agent.route = () => [{ ip: 0x0A000007, port: 9000 }];
  const dir = await Deno.makeTempDir({ prefix: "lars-bundle-" });
  try {
    const script = `${dir}/client.mjs`;
    await Deno.writeTextFile(script, SCRIPT);
    const { code, stdout, stderr } = await run(runtime, [script, String(agent.basePort)], dir);
    assert.equal(code, 0, `${runtime} failed:\n${stdout}\n${stderr}`);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)!), {
      host: { retcode: RetCode.SUCC, ip: "192.168.1.20", port: 8080 },
      route: [{ ip: "10.0.0.7", port: 9000 }],
      regInit: RetCode.SUCC,
      shard: 0,
      deno: false,
    });
    assert.deepEqual(agent.hostRequests.map((r) => [r.modid, r.cmdid, r.shard]), [[1, 2, 0]]);
    await waitFor(() => agent.reports.length > 0, "the report");
    assert.deepEqual(agent.reports.map((r) => [r.host?.ip, r.host?.port, r.retcode, r.shard]), [
      [0xC0A80114, 8080, 0, 0],
    ]);
  } finally {
    await agent.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bundle - the build writes one ESM file that imports only node: built-ins", async () => {
  const report = await build();
  const code = await Deno.readTextFile(BUNDLE);
  assert.doesNotMatch(code, /["'](?:npm|jsr|https?):/, "a registry or remote import is left");
  assert.match(code, /export\s*\{[^}]*\bLarsClient\b/);
  // No Deno API and no Deno transport: only the logger's feature test of globalThis.Deno.
  assert.doesNotMatch(code, /\bDeno\.\w/, "the bundle uses a Deno API");
  assert.doesNotMatch(code, /denoTransport|DenoUdpSocket|listenDatagram/);
  assert.match(code, /node:dgram/);
  assert.match(report, /imports: node:/);
  const declarations = await Deno.readTextFile(new URL("dist/lars_client.d.mts", ROOT));
  assert.match(declarations, /class LarsClient/);
});

Deno.test({
  name: "bundle - node imports dist/lars_client.mjs and talks to an agent",
  ignore: !runtimes.node,
  fn: () => runAgainstFakeAgent("node"),
});

Deno.test({
  name: "bundle - bun imports dist/lars_client.mjs and talks to an agent",
  ignore: !runtimes.bun,
  fn: () => runAgainstFakeAgent("bun"),
});

/**
 * `deno task compile`: the same `dist/lars` binary as `deno task compile:bun`
 * (every service and tool, `cli/lars_bin.ts`), built with `deno compile`,
 * which runs the services on Deno. The binary holds its permissions: reading
 * and writing files, the network, the environment and the interfaces are
 * allowed, as a Bun binary has no permissions at all; for least privilege run
 * the services with `deno run` and the flags `lars permissions` prints.
 *
 * `deno compile` downloads its runtime the first time; where that host cannot
 * be reached, this says so and names `deno task compile:bun`.
 *
 * @module
 */
const ROOT = new URL("../", import.meta.url);

const args = [
  "compile",
  "--unstable-net",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys=networkInterfaces",
  "--allow-run",
  // The Web Workers the agent and the reporter start.
  "--include",
  "agent/shard_worker.ts",
  "--include",
  "reporter/store_worker.ts",
  "--output",
  "dist/lars",
  "cli/lars_bin.ts",
];
const { code, stderr } = await new Deno.Command(Deno.execPath(), {
  args,
  cwd: ROOT,
  stdout: "inherit",
  stderr: "piped",
}).output();
const text = new TextDecoder().decode(stderr);
if (code !== 0) {
  console.error(text.trimEnd());
  const download = /download|fetch|dl\.deno\.land|denort|connect|network|dns error/i.test(text);
  console.error(
    download
      ? "compile: deno compile could not download its runtime from this machine; " +
        "build the same binary with Bun instead: deno task compile:bun"
      : "compile: deno compile failed; deno task compile:bun builds the same binary with Bun",
  );
  Deno.exit(1);
}
console.error(text.trimEnd());
console.log("built dist/lars with deno compile");

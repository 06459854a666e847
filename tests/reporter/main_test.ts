/**
 * The real entrypoint as a subprocess, run with the permissions of its task
 * line (no --allow-env, reads only its config, data and code directories):
 * reports queued behind a long flush window are written on SIGTERM.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openReportStore } from "../../store/url.ts";
import { report, reportFrame } from "./service_suite.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = `${ROOT}reporter/main.ts`;
/** What the store worker loads: the task line grants the same directories. */
const CODE_DIRS = ["reporter", "reactor", "store", "proto"].map((d) => `${ROOT}${d}`);

/** Collects a child's stderr and resolves `ready` with the first match of `marker`. */
function watchStderr(child: Deno.ChildProcess, marker: RegExp) {
  let text = "";
  let markReady!: (m: RegExpMatchArray) => void;
  const ready = new Promise<RegExpMatchArray>((resolve) => (markReady = resolve));
  const done = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const m = text.match(marker);
      if (m) markReady(m);
    }
  })();
  return { ready, done, text: () => text };
}

/**
 * Sends `bytes`, half-closes, and waits until the server closes its end: it
 * has then read (and queued) everything sent.
 */
async function sendAll(port: number, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    await conn.closeWrite();
    const buf = new Uint8Array(64);
    while ((await conn.read(buf)) !== null) { /* nothing is sent back */ }
  } finally {
    conn.close();
  }
}

Deno.test("reporter main - SIGTERM writes the queued reports before exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lars-reporter-main-test-" });
  try {
    const db = `${dir}/data/lars.db`;
    await Deno.writeTextFile(
      `${dir}/lars_reporter.conf`,
      `[reactor]\nip = 127.0.0.1\nport = 0\n[repoter]\ndb_thread_cnt = 2\n` +
        `[reporter]\nhistory = true\nflush_ms = 60000\nbatch_rows = 10000\n` +
        `[store]\nurl = sqlite:${db}\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-net=127.0.0.1,localhost`,
        `--allow-read=${[dir, ...CODE_DIRS].join(",")}`,
        `--allow-write=${dir}`,
        MAIN,
        "--config",
        `${dir}/lars_reporter.conf`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { LARS_LOG: "info" },
    }).spawn();
    // `port = 0`: the reporter binds a free port and logs it.
    const stderr = watchStderr(child, /listening on 127\.0\.0\.1:(\d+)/);
    let status: Deno.CommandStatus | null = null;
    try {
      const listening = await Promise.race([stderr.ready, child.status.then(() => null)]);
      assert.ok(listening, stderr.text());
      const port = Number(listening[1]);
      const frames = Array.from(
        { length: 200 },
        (_, m) => reportFrame(report(m + 1, 1_700_000_000, [{ succ: m }, { err: m }])),
      );
      await sendAll(port, new Uint8Array(frames.flatMap((f) => [...f])));
      const before = await openReportStore(`sqlite:${db}`);
      try {
        assert.equal((await before.listStatus()).length, 0, "written before SIGTERM");
      } finally {
        await before.close();
      }
      child.kill("SIGTERM");
      status = await child.status;
    } finally {
      if (status === null) {
        child.kill("SIGKILL");
        await child.status;
      }
      await stderr.done;
    }
    assert.equal(status.code, 0, stderr.text());
    assert.match(stderr.text(), /"reports":200,/);
    const store = await openReportStore(`sqlite:${db}`, { history: true });
    try {
      const rows = await store.listStatus();
      assert.equal(rows.length, 400);
      assert.equal(rows.reduce((n, r) => n + r.succ + r.err, 0), 2 * (199 * 200) / 2);
      assert.equal((await store.listHistory()).length, 398); // zero deltas add no row
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

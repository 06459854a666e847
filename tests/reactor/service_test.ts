/**
 * The stop rules of the service runner, on a fake clock: the first signal
 * stops, repeats within the grace period are ignored, a later one or the
 * deadline forces the exit and says what was left unwritten.
 */
import assert from "node:assert/strict";
import type { Logger } from "../../reactor/log.ts";
import {
  explainStartError,
  type RunningService,
  type ServiceAccess,
  StopController,
} from "../../reactor/service.ts";

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return {
    lines,
    log: {
      debug: put("DEBUG"),
      info: put("INFO"),
      warn: put("WARN"),
      error: put("ERROR"),
      warnThrottled: (_k, m) => lines.push(`WARN ${m}`),
    },
  };
}

/** A service whose stop finishes when the test says so. */
function slowService(left: () => string | undefined) {
  let finish!: (err?: Error) => void;
  const service: RunningService = {
    stop: () => new Promise<void>((resolve, reject) => (finish = (e) => e ? reject(e) : resolve())),
    unwritten: left,
  };
  return { service, finish: (err?: Error) => finish(err) };
}

Deno.test("stop - a repeated signal within the grace period does not abort the stop", async () => {
  const { log, lines } = recorder();
  let now = 1000;
  const exits: number[] = [];
  const { service, finish } = slowService(() => "12 status rows");
  const stop = new StopController(log, service, {
    graceMs: 2000,
    timeoutMs: 60_000,
    exit: (c) => exits.push(c),
    now: () => now,
  });
  stop.signal("SIGINT");
  now += 5;
  stop.signal("SIGTERM");
  now += 1000;
  stop.signal("SIGINT");
  assert.deepEqual(exits, []);
  finish();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(exits, [0]);
  assert.match(lines.join("\n"), /INFO SIGTERM again 5 ms after the first: still stopping/);
  assert.equal(lines.at(-1), "INFO stopped");
});

Deno.test("stop - a signal after the grace period forces exit 1 and names what is unwritten", () => {
  const { log, lines } = recorder();
  let now = 0;
  const exits: number[] = [];
  const { service } = slowService(() => "12 status rows and 0 history sums");
  const stop = new StopController(log, service, {
    graceMs: 2000,
    timeoutMs: 60_000,
    exit: (c) => exits.push(c),
    now: () => now,
  });
  stop.signal("SIGTERM");
  now = 2500;
  stop.signal("SIGINT");
  stop.signal("SIGINT");
  assert.deepEqual(exits, [1]);
  assert.equal(
    lines.at(-1),
    "ERROR SIGINT during the stop: exiting now; left unwritten: 12 status rows and 0 history sums",
  );
});

Deno.test("stop - the hard deadline forces the exit; a failed stop exits 1", async () => {
  const { log, lines } = recorder();
  const exits: number[] = [];
  const { service } = slowService(() => undefined);
  new StopController(log, service, { timeoutMs: 1, exit: (c) => exits.push(c) }).signal("SIGTERM");
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(exits, [1]);
  assert.match(lines.at(-1)!, /stop did not finish within 1 ms: exiting now; nothing unwritten/);

  const failing = slowService(() => undefined);
  const exits2: number[] = [];
  new StopController(log, failing.service, { exit: (c) => exits2.push(c) }).signal("SIGINT");
  failing.finish(new Error("3 queued rows were not written"));
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(exits2, [1]);
  assert.equal(lines.at(-1), "ERROR stop failed: 3 queued rows were not written");
});

Deno.test("start errors - a busy port names the address and key, a denial what grants it", () => {
  const access: ServiceAccess = {
    listen: [{ hostname: "127.0.0.1", port: 7778, key: "[reactor] ip, port" }],
    connect: [],
    paths: [],
  };
  const busy = Object.assign(new Error("Address already in use (os error 98)"), {
    name: "AddrInUse",
  });
  assert.equal(
    explainStartError(busy, access, "/etc/lars/lars_dns.conf", "grant it"),
    "cannot listen on 127.0.0.1:7778 ([reactor] ip, port): address already in use; stop the " +
      "process that holds it or set another port in /etc/lars/lars_dns.conf",
  );
  const nodeBusy = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
  assert.match(explainStartError(nodeBusy, access, "f", "g"), /^cannot listen on 127\.0\.0\.1/);
  const denied = new Deno.errors.NotCapable('Requires net access to "127.0.0.1:7778"');
  assert.equal(
    explainStartError(denied, access, "f", "start it with X"),
    'Requires net access to "127.0.0.1:7778"; start it with X',
  );
});

import assert from "node:assert/strict";
import { createLogger, LogBudget, setLogFormat, setLogWriter } from "../../reactor/log.ts";

Deno.test("log budget - at most N lines per period, then one line saying how many were left out", () => {
  const lines: string[] = [];
  const log = {
    ...createLogger("t"),
    info: (m: string) => lines.push(m),
  };
  let now = 0;
  const budget = new LogBudget(log, "host state changes", {
    lines: 2,
    periodMs: 1000,
    now: () => now,
  });
  for (let i = 0; i < 50; i++) budget.info(`event ${i}`);
  assert.deepEqual(lines, ["event 0", "event 1"]);
  assert.equal(budget.suppressed, 48);
  now = 1000;
  budget.info("event 50");
  assert.deepEqual(lines.slice(2), [
    "48 more host state changes were not logged (at most 2 lines per 1 s)",
    "event 50",
  ]);
});

Deno.test("log - json lines parse, fields stay below the fixed keys, floods of keys are bounded", () => {
  const lines: string[] = [];
  setLogWriter((line) => lines.push(line));
  setLogFormat("json");
  try {
    const log = createLogger("t");
    log.info("pushed 1/2", { modid: 1, cmdid: 2, msg: "not this", host: "10.0.0.1:80" });
    const line = JSON.parse(lines[0]);
    assert.deepEqual(line, {
      ts: line.ts,
      level: "info",
      logger: "t",
      msg: "pushed 1/2",
      modid: 1,
      cmdid: 2,
      host: "10.0.0.1:80",
    });
    assert.ok(!Number.isNaN(Date.parse(line.ts)));
    lines.length = 0;
    // Keys that some code derived from input: at most 100 throttles, then one shared.
    for (let i = 0; i < 10_000; i++) log.warnThrottled(`key-${i}`, `bad input ${i}`);
    assert.equal(lines.length, 101);
    for (const text of lines) assert.equal(JSON.parse(text).level, "warn");
  } finally {
    setLogFormat("text");
    setLogWriter(null);
  }
});

/**
 * The web admin in a real browser (headless Chromium driven by
 * playwright-core) against a real system: DNS service, agent subprocess and
 * the `deno task web` subprocess on one SQLite store. Logs in, adds hosts and
 * sees the agent serve them (`lars gethost`/`getroute`), edits one (address and
 * weight) and sees the agent pick by weight (`LarsClient`), deletes, opens the
 * status page with a chart drawn, logs out. A screenshot of each
 * page goes to `data/tmp/web_screenshots/` (or `$LARS_WEB_SCREENSHOTS`,
 * e.g. `docs/img` to refresh the docs).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Browser, chromium, type Page } from "npm:playwright-core@1.65.1";
import { LarsClient, RetCode } from "../../mod.ts";
import { ipToInt } from "../../proto/ip.ts";
import { openReportStore } from "../../store/url.ts";
import { AgentSystem } from "../agent/agent_system.ts";
import { runTask, ServiceProcess, writeRepoFile } from "../support/process.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = new URL("../../", import.meta.url).pathname;
const SHOTS = Deno.env.get("LARS_WEB_SCREENSHOTS") ?? "data/tmp/web_screenshots";
const PASSWORD = "browser-test-pw";
const MOD = 31;
const CMD = 1;

function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(`${ROOT}${SHOTS}`, { recursive: true });
  await page.screenshot({ path: `${ROOT}${SHOTS}/${name}.png` });
}

/** Runs `lars <command> MOD CMD` against the agent until its output matches. */
async function agentSays(sys: AgentSystem, command: string, want: RegExp): Promise<string> {
  let last = "";
  for (let i = 0; i < 100; i++) {
    const out = await runTask("lars", [command, `${MOD}`, `${CMD}`, "--config", sys.configPath]);
    last = out.stdout + out.stderr;
    if (want.test(out.stdout)) return out.stdout;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`lars ${command} never matched ${want}; last output:\n${last}`);
}

/** `n` picks of the module through `LarsClient`, counted per `ip:port`. */
async function tally(client: LarsClient, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await client.getHost(MOD, CMD);
    assert.equal(r.retcode, RetCode.SUCC);
    const host = `${r.ip}:${r.port}`;
    counts[host] = (counts[host] ?? 0) + 1;
  }
  return counts;
}

/** Status and per-minute history rows for the module, as the reporter would write them. */
async function seedCalls(storeUrl: string): Promise<void> {
  const reports = await openReportStore(storeUrl, { history: true });
  try {
    const now = Math.floor(Date.now() / 1000);
    const minute = now - (now % 60);
    const caller = ipToInt("10.20.30.40");
    const host = { modid: MOD, cmdid: CMD, ip: ipToInt("10.31.0.2"), port: 3200, caller };
    await reports.upsertStatus([{ ...host, succ: 812, err: 9, ts: now, overload: false }]);
    await reports.addHistory(
      Array.from({ length: 30 }, (_, i) => ({
        ...host,
        minute: minute - (29 - i) * 60,
        succ: 600 + ((i * 37) % 11) * 20,
        err: (i * 7) % 5,
      })),
    );
  } finally {
    await reports.close();
  }
}

/** Two callers' reports of the module's host, both overloaded. */
async function seedOverloads(storeUrl: string): Promise<void> {
  const reports = await openReportStore(storeUrl);
  try {
    const ts = Math.floor(Date.now() / 1000);
    const host = { modid: MOD, cmdid: CMD, ip: ipToInt("10.31.0.2"), port: 3200 };
    await reports.upsertStatus(["10.20.30.41", "10.20.30.42"].map((caller) => ({
      ...host,
      caller: ipToInt(caller),
      succ: 3,
      err: 40,
      ts,
      overload: true,
    })));
  } finally {
    await reports.close();
  }
}

Deno.test({
  name: "web admin in Chromium - log in, add, edit, delete hosts served by the agent, status chart",
  ignore: !hasChromium(),
  async fn() {
    // No slow start: a host added or moved takes its full weighted share at once.
    const sys = await AgentSystem.start({ loadBalance: { slow_start: 0 } });
    const client = new LarsClient({ host: "127.0.0.1", port: sys.agentPort, timeoutMs: 2000 });
    let web: ServiceProcess | undefined;
    let browser: Browser | undefined;
    try {
      const confPath = `${sys.dir.path}/lars_web.conf`;
      await writeRepoFile(
        confPath,
        `[web]\nip = 127.0.0.1\nport = 0\nuser = admin\npassword = \${LARS_TEST_WEB_PW}\n` +
          `[store]\nurl = ${sys.storeUrl}\n`,
      );
      web = new ServiceProcess("web", ["--config", confPath], { LARS_TEST_WEB_PW: PASSWORD });
      const base = (await web.waitForLog(/listening on (http:\/\/[\d.]+:\d+)\//))[1];

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox"],
      });
      const page = await browser.newPage({ viewport: { width: 960, height: 560 } });
      page.on("dialog", (dialog) => dialog.accept());
      // Script errors and CSP violations fail the test (401 answers are expected when logged out).
      const problems: string[] = [];
      page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      page.on("console", (msg) => {
        if (msg.type() === "error" && !/status of 401/.test(msg.text())) problems.push(msg.text());
      });

      // Log in (a wrong password first).
      await page.goto(base);
      await page.fill("[data-testid=user]", "admin");
      await page.fill("[data-testid=password]", "wrong-password");
      await page.click("button[type=submit]");
      await page.waitForSelector("#message:has-text('wrong user or password')");
      await page.fill("[data-testid=password]", PASSWORD);
      await shot(page, "login");
      await page.click("button[type=submit]");
      await page.waitForSelector("[data-testid=modules]");
      assert.equal(await page.textContent("#who"), "admin");

      // Add two hosts to a new module from the modules page; the agent serves them.
      const addForm = "[data-testid=add-host]";
      await page.fill(`${addForm} [data-testid=modid]`, `${MOD}`);
      await page.fill(`${addForm} [data-testid=cmdid]`, `${CMD}`);
      await page.fill(`${addForm} [data-testid=ip]`, "10.31.0.1");
      await page.fill(`${addForm} [data-testid=port]`, "3100");
      await page.click(`${addForm} button`);
      await page.waitForSelector("[data-host='10.31.0.1:3100']");
      await page.fill(`${addForm} [data-testid=ip]`, "10.31.0.9");
      await page.fill(`${addForm} [data-testid=port]`, "3900");
      await page.click(`${addForm} button`);
      await page.waitForSelector("[data-host='10.31.0.9:3900']");
      await agentSays(sys, "gethost", /^RET_SUCC 10\.31\.0\.[19]:3[19]00$/m);
      await agentSays(sys, "getroute", /^10\.31\.0\.1:3100\n10\.31\.0\.9:3900\n/);

      // Edit: move 10.31.0.1:3100 to 10.31.0.2:3200 and give it weight 3 (one transaction).
      await page.click("[data-host='10.31.0.1:3100'] button:has-text('edit')");
      await page.fill("[data-testid=newIp]", "10.31.0.2");
      await page.fill("[data-testid=newPort]", "3200");
      await page.fill("[data-testid=edit-host] [data-testid=weight]", "3");
      await page.click("[data-testid=edit-host] button");
      await page.waitForSelector("[data-host='10.31.0.2:3200']");
      assert.equal(await page.locator("[data-host='10.31.0.1:3100']").count(), 0);
      const moved = "[data-host='10.31.0.2:3200']";
      assert.equal(await page.textContent(`${moved} [data-testid=weight]`), "3");
      assert.match(await page.textContent(moved) ?? "", /75%/);
      assert.equal(
        await page.textContent("[data-host='10.31.0.9:3900'] [data-testid=weight]"),
        "1",
      );
      await page.waitForSelector("#message:has-text('weight 1 -> 3')");
      await shot(page, "module");
      // The agent picks by weight: smooth weighted round robin puts 6 of any 8 picks on it.
      const until = Date.now() + 20_000;
      let picks = await tally(client, 8);
      while (picks["10.31.0.2:3200"] !== 6) {
        assert.ok(Date.now() < until, `weights 3:1 never applied: ${JSON.stringify(picks)}`);
        await new Promise((r) => setTimeout(r, 100));
        picks = await tally(client, 8);
      }
      assert.deepEqual(picks, { "10.31.0.2:3200": 6, "10.31.0.9:3900": 2 });

      // Delete 10.31.0.9:3900; the agent ends up serving the edited host only.
      await page.click("[data-host='10.31.0.9:3900'] button:has-text('delete')");
      await page.waitForSelector("[data-host='10.31.0.9:3900']", { state: "detached" });
      await agentSays(sys, "getroute", /^10\.31\.0\.2:3200\n1 hosts? for 31\/1/);
      assert.match(await agentSays(sys, "gethost", /RET_SUCC/), /^RET_SUCC 10\.31\.0\.2:3200$/m);

      // The modules list finds it by search.
      await page.goto(`${base}/#/?search=${MOD}`);
      await page.waitForSelector(`[data-testid=modules] td:has-text('${MOD}')`);

      // Call status and the per-minute chart.
      await seedCalls(sys.storeUrl);
      await page.goto(`${base}/#/status/${MOD}/${CMD}`);
      await page.waitForSelector("[data-testid=status] td:has-text('10.31.0.2:3200')");
      await page.waitForSelector("[data-testid=chart] canvas");
      assert.equal(await page.getAttribute("[data-testid=chart]", "data-points"), "30");
      // Pixels drawn on the plot canvas (a string: the page's code, not Deno's).
      const drawn = await page.evaluate(`(() => {
        const canvas = document.querySelector("[data-testid=chart] canvas");
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        let colored = 0;
        for (let i = 0; i < pixels.data.length; i += 4) if (pixels.data[i + 3] > 0) colored++;
        return colored;
      })()`) as number;
      assert.ok(drawn > 1000, `the chart has drawn pixels (${drawn})`);
      assert.match(await page.textContent("[data-testid=status]") ?? "", /812/);
      await shot(page, "status");

      // Two more callers see the host overloaded: the module page shows the fleet's verdict.
      await seedOverloads(sys.storeUrl);
      await page.goto(`${base}/#/module/${MOD}/${CMD}`);
      await page.waitForSelector(
        "[data-host='10.31.0.2:3200'] [data-testid=fleet]:has-text('overloaded (2 of 3 callers)')",
      );

      // Names, change log, import/export pages.
      await page.goto(`${base}/#/names`);
      await page.fill("[data-testid=modules-form] [data-testid=modid]", `${MOD}`);
      await page.fill("[data-testid=modules-form] [data-testid=name]", "payments");
      await page.click("[data-testid=modules-form] button");
      await page.waitForSelector("[data-testid=modules] td:has-text('payments')");
      await shot(page, "names");
      // Names are shown as text, never parsed as HTML.
      const evil = `<img src=x onerror="window.pwned=1">`;
      await page.fill("[data-testid=commands-form] [data-testid=cmdid]", "77");
      await page.fill("[data-testid=commands-form] [data-testid=name]", evil);
      await page.click("[data-testid=commands-form] button");
      await page.waitForSelector(`[data-testid=commands] td:has-text('onerror')`);
      assert.equal(await page.locator("[data-testid=commands] img").count(), 0);
      assert.equal(await page.evaluate("window.pwned"), undefined);
      assert.equal(await page.textContent("[data-testid=commands] tbody td:nth-child(2)"), evil);
      await page.goto(`${base}/#/changes`);
      // DNS deletes the RouteChange rows it has pushed; the version heading is always there.
      await page.waitForSelector("h2:has-text('Route version')");
      await shot(page, "changes");
      await page.goto(`${base}/#/audit`);
      await page.waitForSelector("[data-testid=audit] td:has-text('update')");
      assert.match(
        await page.textContent("[data-testid=audit]") ?? "",
        /moved 10\.31\.0\.1:3100 to 10\.31\.0\.2:3200, weight 1 -> 3/,
      );
      assert.match(await page.textContent("[data-testid=audit]") ?? "", /admin.*name/s);
      await shot(page, "audit");
      await page.goto(`${base}/#/transfer`);
      await page.waitForSelector("[data-testid=import]");
      await shot(page, "transfer");
      await page.goto(`${base}/#/`);
      await page.waitForSelector(`[data-testid=modules] td:has-text('payments')`);
      await shot(page, "modules");

      // Log out: the page shows the login form and the API refuses the old session.
      await page.click("#logout");
      await page.waitForSelector("#login");
      const status = await page.evaluate(async () => (await fetch("/api/session")).status);
      assert.equal(status, 401);
      assert.deepEqual(problems, []);
    } finally {
      await browser?.close();
      await client.close();
      if (web) assert.equal((await web.stop()).code, 0, web.log);
      await sys.close();
    }
  },
});

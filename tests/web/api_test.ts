import assert from "node:assert/strict";
import { ipToInt } from "../../proto/ip.ts";
import { createLogger } from "../../reactor/log.ts";
import { denoTransport } from "../../reactor/transport_deno.ts";
import { nodeTransport } from "../../reactor/transport_node.ts";
import type { Transport } from "../../reactor/transport.ts";
import { openReportStore, openRouteStore } from "../../store/url.ts";
import { plainPassword } from "../../web/auth.ts";
import { WebService } from "../../web/web_service.ts";
import { getTestMysql } from "../support/mariadb.ts";
import { freeTcpPort } from "../support/ports.ts";
import { WebClient } from "./web_client.ts";

const PASSWORD = "correct horse";

async function startWeb(transport: Transport = denoTransport, loginLimit = 3, url?: string) {
  const dir = await Deno.makeTempDir({ prefix: "lars_web_" });
  const storeUrl = url ?? `sqlite:${dir}/lars.db`;
  const service = new WebService({
    settings: {
      hostname: "127.0.0.1",
      port: 0,
      storeUrl,
      users: new Map([["alice", await plainPassword(PASSWORD)]]),
      sessionTtl: 3600,
      loginLimit,
    },
    transport,
    log: createLogger("web-test"),
  });
  const addr = await service.start();
  return {
    storeUrl,
    base: `http://127.0.0.1:${addr.port}`,
    async close() {
      await service.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("web api - login, session cookie, 401, CSRF, logout", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    assert.equal((await c.call("GET", "/api/session")).status, 401);
    assert.equal((await c.call("GET", "/api/routes")).status, 401);
    const wrong = await c.call("POST", "/api/login", { user: "alice", password: "nope" });
    assert.equal(wrong.status, 401);
    const res = await c.call("POST", "/api/login", { user: "alice", password: PASSWORD });
    assert.equal(res.status, 200);
    const cookie = res.headers.getSetCookie()[0];
    assert.match(cookie, /^lars_session=[\w-]{40,};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    c.csrf = (res.body as { csrf: string }).csrf;
    assert.deepEqual((await c.call("GET", "/api/session")).body, { user: "alice", csrf: c.csrf });

    const route = { modid: 5, cmdid: 1, ip: "10.1.0.1", port: 80 };
    const noToken = await c.call("POST", "/api/routes", route, { "x-csrf-token": "" });
    assert.equal(noToken.status, 403);
    assert.match((noToken.body as { error: string }).error, /X-CSRF-Token/);
    const badToken = await c.call("POST", "/api/routes", route, { "x-csrf-token": "x" + c.csrf });
    assert.equal(badToken.status, 403);

    assert.equal((await c.call("POST", "/api/logout")).status, 200);
    assert.equal((await c.call("GET", "/api/session")).status, 401);
  } finally {
    await web.close();
  }
});

Deno.test("web api - failed logins are limited per client address", async () => {
  const web = await startWeb(denoTransport, 3);
  try {
    const c = new WebClient(web.base);
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await c.call("POST", "/api/login", { user: "alice", password: "x" })).status,
        401,
      );
    }
    const limited = await c.call("POST", "/api/login", { user: "alice", password: PASSWORD });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
  } finally {
    await web.close();
  }
});

Deno.test("web api - every field is validated; 400 names the field", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const ok = { modid: 1, cmdid: 1, ip: "10.0.0.1", port: 80 };
    const cases: [string, string, unknown, RegExp][] = [
      ["POST", "/api/routes", { ...ok, modid: -1 }, /^modid: /],
      ["POST", "/api/routes", { ...ok, cmdid: 2 ** 31 }, /^cmdid: /],
      ["POST", "/api/routes", { ...ok, ip: "10.0.0" }, /^ip: /],
      ["POST", "/api/routes", { ...ok, ip: 167772161 }, /^ip: /],
      ["POST", "/api/routes", { ...ok, port: 0 }, /^port: /],
      ["POST", "/api/routes", { ...ok, port: "80x" }, /^port: /],
      ["DELETE", "/api/routes", { ...ok, port: undefined }, /^port: missing/],
      ["PUT", "/api/routes", { ...ok, newIp: "1.2.3.4", newPort: 70000 }, /^newPort: /],
      ["PUT", "/api/routes", { ...ok, newIp: "x", newPort: 1 }, /^newIp: /],
      ["PUT", "/api/routes", ok, /^newIp: missing: give newIp and newPort, or weight/],
      [
        "POST",
        "/api/routes",
        { ...ok, weight: 0 },
        /^weight: expected an integer in 1 \.\.= 10000, got 0$/,
      ],
      ["POST", "/api/routes", { ...ok, weight: 10001 }, /^weight: /],
      ["POST", "/api/routes", { ...ok, weight: 1.5 }, /^weight: /],
      ["PUT", "/api/routes", { ...ok, weight: "x" }, /^weight: /],
      ["POST", "/api/import?format=csv", "1,1,10.0.0.1,80,0\n", /^line 1: weight: /],
      [
        "POST",
        "/api/import?format=json",
        '[{"modid":1,"cmdid":1,"ip":"10.0.0.1","port":1,"weight":-2}]',
        /^rows\[0\]\.weight: /,
      ],
      ["POST", "/api/routes", [ok], /^body: expected a JSON object/],
      ["POST", "/api/routes", "{nope", /^content-type: /],
      ["PUT", "/api/modules", { modid: 1, name: "" }, /^name: must not be empty/],
      ["PUT", "/api/modules", { modid: 1, name: "x".repeat(256) }, /^name: 256 characters/],
      ["PUT", "/api/commands", { cmdid: "a", name: "x" }, /^cmdid: /],
      ["GET", "/api/routes?modid=abc", undefined, /^modid: /],
      ["GET", "/api/summary?limit=0", undefined, /^limit: /],
      ["GET", "/api/summary?offset=-1", undefined, /^offset: /],
      ["GET", "/api/summary?search=" + "s".repeat(101), undefined, /^search: /],
      ["GET", "/api/history?since=yesterday", undefined, /^since: /],
      ["GET", "/api/export?format=xml", undefined, /^format: /],
      ["POST", "/api/import?format=csv", "modid,cmdid,ip,port\n1,1,10.0.0.1\n", /^line 2: /],
      ["POST", "/api/import?format=csv", "1,1,10.0.0.1,99999\n", /^line 1: port: /],
      [
        "POST",
        "/api/import?format=json",
        '[{"modid":1,"cmdid":1,"ip":"a","port":1}]',
        /^rows\[0\]\.ip: /,
      ],
      ["POST", "/api/import?format=json&replace=maybe", "[]", /^replace: /],
    ];
    for (const [method, path, body, error] of cases) {
      const res = await c.call(method, path, body);
      assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.status}`);
      assert.match((res.body as { error: string }).error, error, `${method} ${path}`);
    }
    assert.deepEqual((await c.call("GET", "/api/routes")).body, [], "nothing was written");
    const big = await c.call("POST", "/api/routes", { ...ok, pad: "x".repeat(70_000) });
    assert.equal(big.status, 413);
    assert.equal((await c.call("GET", "/api/nope")).status, 404);
  } finally {
    await web.close();
  }
});

Deno.test("web api - an import or add that would overflow a module's frame is refused whole (422)", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const line = (i: number) => `7,1,192.168.${i >> 8}.${i & 255},9000\n`;
    const csv = Array.from({ length: 5000 }, (_, i) => line(i)).join("") + "8,1,10.0.0.1,80\n";
    const refused = await c.call("POST", "/api/import?format=csv", csv);
    assert.equal(refused.status, 422);
    assert.match(
      (refused.body as { error: string }).error,
      /^refusing to import: module 7\/1 would have 5000 hosts, .* over the 65527-byte limit/,
    );
    assert.deepEqual((await c.call("GET", "/api/routes")).body, [], "nothing was written");
    const fits = Array.from({ length: 3000 }, (_, i) => line(i)).join("");
    assert.equal((await c.call("POST", "/api/import?format=csv", fits)).status, 200);
    const more = Array.from({ length: 1000 }, (_, i) => line(3000 + i)).join("");
    assert.equal((await c.call("POST", "/api/import?format=csv", more)).status, 422);
  } finally {
    await web.close();
  }
});

const mysql = await getTestMysql();
const RUNS: [string, Transport, () => Promise<string | undefined>][] = [
  ["deno transport, sqlite", denoTransport, () => Promise.resolve(undefined)],
  ["node transport, sqlite", nodeTransport, () => Promise.resolve(undefined)],
  ["deno transport, mariadb", denoTransport, () => mysql!.createDatabase("lars_web_api")],
];
for (const [label, transport, storeUrl] of RUNS) {
  Deno.test({
    name: `web api - routes add, edit, delete bump the version and log the change (${label})`,
    ignore: label.includes("mariadb") && mysql === null,
  }, async () => {
    const web = await startWeb(transport, 3, await storeUrl());
    try {
      const c = new WebClient(web.base);
      await c.login("alice", PASSWORD);
      const v0 = ((await c.call("GET", "/api/version")).body as { version: number }).version;
      const host = { modid: 7, cmdid: 3, ip: "10.0.0.1", port: 8080 };
      const added = await c.call("POST", "/api/routes", host);
      assert.equal(added.status, 201);
      const v1 = (added.body as { version: number }).version;
      assert.ok(v1 > v0);
      assert.equal((await c.call("POST", "/api/routes", host)).status, 409);
      assert.deepEqual((await c.call("GET", "/api/routes?modid=7&cmdid=3")).body, [
        { ...host, weight: 1 },
      ]);

      const moved = await c.call("PUT", "/api/routes", {
        ...host,
        newIp: "10.0.0.2",
        newPort: 9090,
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.ok((moved.body as { version: number }).version > v1);
      assert.deepEqual((await c.call("GET", "/api/routes?modid=7")).body, [
        { ...host, ip: "10.0.0.2", port: 9090, weight: 1 },
      ]);
      assert.equal(
        (await c.call("PUT", "/api/routes", { ...host, newIp: "1.1.1.1", newPort: 1 })).status,
        409,
      );

      const summary = await c.call("GET", "/api/summary?search=7");
      assert.deepEqual(summary.body, { total: 1, modules: [{ modid: 7, cmdid: 3, hosts: 1 }] });

      const gone = await c.call("DELETE", "/api/routes", { ...host, ip: "10.0.0.2", port: 9090 });
      assert.equal(gone.status, 200);
      assert.equal((await c.call("DELETE", "/api/routes", host)).status, 404);
      assert.deepEqual((await c.call("GET", "/api/routes?modid=7")).body, []);

      const changes = (await c.call("GET", "/api/changes?limit=10")).body as {
        total: number;
        changes: { modid: number; cmdid: number; version: number }[];
      };
      assert.ok(changes.total >= 3);
      assert.ok(changes.changes.every((ch) => ch.modid === 7 && ch.cmdid === 3));
      const versions = changes.changes.map((ch) => ch.version);
      assert.deepEqual(versions, versions.toSorted((a, b) => b - a), "newest first");
      const audit = (await c.call("GET", "/api/audit?limit=10")).body as {
        total: number;
        entries: { user: string; action: string; modid: number; detail: string; ts: number }[];
      };
      assert.equal(audit.total, 3);
      assert.deepEqual(audit.entries.map((e) => [e.user, e.action, e.modid]), [
        ["alice", "remove", 7],
        ["alice", "update", 7],
        ["alice", "add", 7],
      ]);
      assert.match(audit.entries[1].detail, /10\.0\.0\.1:8080.*10\.0\.0\.2:9090/);
      assert.ok(Math.abs(audit.entries[0].ts - Date.now() / 1000) < 600);
      const store = await openRouteStore(web.storeUrl);
      try {
        assert.equal(await store.version(), versions[0]);
      } finally {
        await store.close();
      }
    } finally {
      await web.close();
    }
  });
}

Deno.test("web api - module and command names", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    assert.equal(
      (await c.call("POST", "/api/modules", { modid: 4, name: "payments" })).status,
      200,
    );
    assert.equal((await c.call("PUT", "/api/modules", { modid: 4, name: "billing" })).status, 200);
    assert.equal((await c.call("PUT", "/api/commands", { cmdid: 2, name: "charge" })).status, 200);
    assert.deepEqual((await c.call("GET", "/api/modules")).body, [{ modid: 4, name: "billing" }]);
    assert.deepEqual((await c.call("GET", "/api/commands")).body, [{ cmdid: 2, name: "charge" }]);
    assert.equal((await c.call("DELETE", "/api/commands", { cmdid: 2 })).status, 200);
    assert.equal((await c.call("DELETE", "/api/commands", { cmdid: 2 })).status, 404);
    assert.deepEqual((await c.call("GET", "/api/commands")).body, []);
    await c.call("POST", "/api/routes", { modid: 4, cmdid: 2, ip: "10.0.0.9", port: 1 });
    const found = await c.call("GET", "/api/summary?search=bill");
    assert.deepEqual(found.body, { total: 1, modules: [{ modid: 4, cmdid: 2, hosts: 1 }] });
  } finally {
    await web.close();
  }
});

Deno.test("web api - import and export CSV and JSON", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const csv = "modid,cmdid,ip,port\n1,1,10.0.0.1,81\n1,1,10.0.0.2,82\n2,1,10.0.1.1,91\n";
    const imported = await c.call("POST", "/api/import?format=csv", csv);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.deepEqual({ ...(imported.body as object), version: 0 }, {
      rows: 3,
      added: 3,
      removed: 0,
      version: 0,
    });
    const exported = await c.call("GET", "/api/export?format=csv");
    // Exports state each host's weight (a file without the column reads as weight 1).
    assert.equal(
      exported.body,
      "modid,cmdid,ip,port,weight\n1,1,10.0.0.1,81,1\n1,1,10.0.0.2,82,1\n2,1,10.0.1.1,91,1\n",
    );
    assert.match(exported.headers.get("content-disposition")!, /attachment/);

    // replace: module 1/1 ends up holding exactly the imported rows; 2/1 is untouched.
    const json = JSON.stringify([{ modid: 1, cmdid: 1, ip: "10.0.0.3", port: 83 }]);
    const replaced = await c.call("POST", "/api/import?format=json&replace=true", json);
    assert.equal(replaced.status, 200);
    assert.equal((replaced.body as { added: number }).added, 1);
    assert.equal((replaced.body as { removed: number }).removed, 2);
    assert.deepEqual((await c.call("GET", "/api/export?format=json")).body, [
      { modid: 1, cmdid: 1, ip: "10.0.0.3", port: 83, weight: 1 },
      { modid: 2, cmdid: 1, ip: "10.0.1.1", port: 91, weight: 1 },
    ]);
  } finally {
    await web.close();
  }
});

Deno.test("web api - host weights: set on add and edit, audited, carried by export and import", async () => {
  const web = await startWeb();
  try {
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const a = { modid: 8, cmdid: 1, ip: "10.0.0.1", port: 81 };
    const b = { modid: 8, cmdid: 1, ip: "10.0.0.2", port: 82 };
    assert.equal((await c.call("POST", "/api/routes", { ...a, weight: 3 })).status, 201);
    assert.equal((await c.call("POST", "/api/routes", b)).status, 201);
    const list = () => c.call("GET", "/api/routes?modid=8&cmdid=1").then((r) => r.body);
    assert.deepEqual(await list(), [{ ...a, weight: 3 }, { ...b, weight: 1 }]);

    // Weight only: the host stays, the version moves; the same weight again is a 409 no-op.
    const v = ((await c.call("GET", "/api/version")).body as { version: number }).version;
    const reweighed = await c.call("PUT", "/api/routes", { ...b, weight: 5 });
    assert.equal(reweighed.status, 200, JSON.stringify(reweighed.body));
    assert.ok((reweighed.body as { version: number }).version > v);
    const same = await c.call("PUT", "/api/routes", { ...b, newIp: b.ip, newPort: 82, weight: 5 });
    assert.equal(same.status, 409);
    assert.match((same.body as { error: string }).error, /already has that weight/);
    // Move and weight in one edit; a move alone keeps the weight.
    const both = { ...a, newIp: "10.0.0.3", newPort: 83, weight: 2 };
    assert.equal((await c.call("PUT", "/api/routes", both)).status, 200);
    const moved = { ...a, ip: "10.0.0.3", port: 83 };
    assert.equal((await c.call("PUT", "/api/routes", { ...moved, newPort: 84 })).status, 200);
    assert.deepEqual(await list(), [{ ...b, weight: 5 }, { ...moved, port: 84, weight: 2 }]);

    const audit = (await c.call("GET", "/api/audit?limit=3")).body as {
      entries: { user: string; action: string; detail: string }[];
    };
    assert.deepEqual(audit.entries.map((e) => [e.user, e.action, e.detail]), [
      ["alice", "update", "moved 10.0.0.3:83 to 10.0.0.3:84"],
      ["alice", "update", "moved 10.0.0.1:81 to 10.0.0.3:83, weight 3 -> 2"],
      ["alice", "update", "weight of 10.0.0.2:82: 1 -> 5"],
    ]);

    // Export carries the weights; importing it back (replace) changes nothing.
    const csv = (await c.call("GET", "/api/export?format=csv&modid=8&cmdid=1")).body as string;
    assert.equal(csv, "modid,cmdid,ip,port,weight\n8,1,10.0.0.2,82,5\n8,1,10.0.0.3,84,2\n");
    const again = await c.call("POST", "/api/import?format=csv&replace=true", csv);
    assert.deepEqual({ ...(again.body as object), version: 0 }, {
      rows: 2,
      added: 0,
      removed: 0,
      version: 0,
    });
    // A merge sets the weights the file states and keeps the others; replace means 1 if unstated.
    const merge = JSON.stringify([{ ...b, weight: 7 }, { ...moved, port: 84 }]);
    assert.equal((await c.call("POST", "/api/import?format=json", merge)).status, 200);
    assert.deepEqual((await list() as { weight: number }[]).map((r) => r.weight), [7, 2]);
    const plain = "modid,cmdid,ip,port\n8,1,10.0.0.2,82\n8,1,10.0.0.3,84\n";
    assert.equal((await c.call("POST", "/api/import?format=csv&replace=true", plain)).status, 200);
    assert.deepEqual((await list() as { weight: number }[]).map((r) => r.weight), [1, 1]);
    const last = (await c.call("GET", "/api/audit?limit=1")).body as {
      entries: { action: string; detail: string }[];
    };
    assert.match(last.entries[0].detail, /replace: 2 rows, 1 modules changed.*2 weights changed/);
  } finally {
    await web.close();
  }
});

Deno.test("web api - call status with age, history since a minute", async () => {
  const web = await startWeb();
  try {
    const now = Math.floor(Date.now() / 1000);
    const minute = now - (now % 60);
    const reports = await openReportStore(web.storeUrl, { history: true });
    const key = {
      modid: 3,
      cmdid: 1,
      ip: ipToInt("10.0.0.5"),
      port: 700,
      caller: ipToInt("10.9.9.9"),
    };
    await reports.upsertStatus([{ ...key, succ: 40, err: 2, ts: now - 5, overload: true }]);
    await reports.addHistory([
      { ...key, minute: minute - 7200, succ: 1, err: 1 },
      { ...key, minute: minute - 60, succ: 30, err: 3 },
      { ...key, minute, succ: 10, err: 0 },
    ]);
    await reports.close();
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const status = (await c.call("GET", "/api/status?modid=3&cmdid=1")).body as Record<
      string,
      unknown
    >[];
    assert.equal(status.length, 1);
    assert.equal(status[0].ip, "10.0.0.5");
    assert.equal(status[0].caller, "10.9.9.9");
    assert.equal(status[0].succ, 40);
    assert.equal(status[0].overload, true);
    assert.ok((status[0].age as number) >= 5);
    const history = (await c.call("GET", "/api/history?modid=3&cmdid=1")).body as {
      minute: number;
    }[];
    assert.deepEqual(history.map((h) => h.minute), [minute - 60, minute], "last hour only");
    const all = (await c.call("GET", `/api/history?modid=3&since=0`)).body as unknown[];
    assert.equal(all.length, 3);
  } finally {
    await web.close();
  }
});

Deno.test("web api - the fleet's verdict per host of a module, by the DNS service's rule", async () => {
  const web = await startWeb();
  try {
    const now = Math.floor(Date.now() / 1000);
    const reports = await openReportStore(web.storeUrl);
    const row = (ip: string, caller: string, overload: boolean, ts = now - 2) => ({
      modid: 6,
      cmdid: 1,
      ip: ipToInt(ip),
      port: 80,
      caller: ipToInt(caller),
      succ: 1,
      err: overload ? 9 : 0,
      ts,
      overload,
    });
    await reports.upsertStatus([
      // 2 of 3 callers see .1 overloaded: the fleet's verdict.
      row("10.0.0.1", "10.9.0.1", true),
      row("10.0.0.1", "10.9.0.2", true),
      row("10.0.0.1", "10.9.0.3", false),
      // 1 of 2: below fleet_min_callers.
      row("10.0.0.2", "10.9.0.1", true),
      row("10.0.0.2", "10.9.0.2", false),
      // Reports older than the window do not count.
      row("10.0.0.3", "10.9.0.1", true, now - 600),
      row("10.0.0.3", "10.9.0.2", true, now - 600),
      { ...row("10.0.0.1", "10.9.0.1", true), modid: 7 },
    ]);
    await reports.close();
    const c = new WebClient(web.base);
    await c.login("alice", PASSWORD);
    const fleet = await c.call("GET", "/api/fleet?modid=6&cmdid=1");
    assert.equal(fleet.status, 200, JSON.stringify(fleet.body));
    assert.deepEqual(fleet.body, {
      windowSeconds: 30,
      overloadShare: 0.5,
      minCallers: 2,
      hosts: [
        { ip: "10.0.0.1", port: 80, callers: 3, overloaded: 2, fleetOverload: true },
        { ip: "10.0.0.2", port: 80, callers: 2, overloaded: 1, fleetOverload: false },
      ],
    });
    const bad = await c.call("GET", "/api/fleet?modid=6");
    assert.equal(bad.status, 400);
    assert.match((bad.body as { error: string }).error, /^cmdid: missing/);
  } finally {
    await web.close();
  }
});

Deno.test("web api - a database that is down answers 503 while login and the page still work", async () => {
  const closed = freeTcpPort();
  const web = await startWeb(denoTransport, 3, `mysql://lars:pw@127.0.0.1:${closed}/lars_dns`);
  try {
    const c = new WebClient(web.base);
    assert.equal((await c.call("GET", "/")).status, 200);
    await c.login("alice", PASSWORD);
    for (const path of ["/api/routes", "/api/version", "/api/status"]) {
      const res = await c.call("GET", path);
      assert.equal(res.status, 503, `${path}: ${JSON.stringify(res.body)}`);
      assert.match((res.body as { error: string }).error, /^store unavailable: /);
    }
  } finally {
    await web.close();
  }
});

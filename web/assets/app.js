// Lars web admin page: a small single-page app over the JSON API (/api/).
// Every write sends the session's CSRF token in X-CSRF-Token. Text from the
// store is always set with textContent, never parsed as HTML.

let session = null; // { user, csrf }
let timers = [];
let chart = null;
const PAGE = 50;

/** Creates an element: el("td", { class: "num" }, "text", child...). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== false) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(text, ok = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = ok ? "ok" : "";
  box.hidden = !text;
}

/** Calls the API; resolves to the parsed JSON or text, throws Error(message) on failure. */
async function api(method, path, body, raw = false) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = session?.csrf ?? "";
  if (body !== undefined && !raw) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    credentials: "same-origin",
  });
  const type = res.headers.get("content-type") ?? "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (res.status === 401 && path !== "/api/login") {
    session = null;
    renderLogin();
    throw new Error("logged out");
  }
  if (!res.ok) throw new Error(data?.error ?? `${res.status} ${res.statusText}`);
  return data;
}

/** Runs an action; shows its error, or on success what it returned, else `done`. */
async function act(fn, done) {
  try {
    const said = await fn();
    show(typeof said === "string" ? said : done ?? "", true);
  } catch (err) {
    if (err.message !== "logged out") show(err.message);
  }
}

function stopTimers() {
  for (const t of timers) clearInterval(t);
  timers = [];
  chart?.destroy();
  chart = null;
}

function input(name, label, value = "", type = "text") {
  return el(
    "label",
    {},
    label,
    el("input", { name, type, value, "data-testid": name, autocomplete: "off" }),
  );
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function numbers(values, keys) {
  const out = { ...values };
  for (const k of keys) if (out[k] !== undefined && out[k] !== "") out[k] = Number(out[k]);
  return out;
}

function pager(total, offset, go) {
  const last = Math.max(0, Math.ceil(total / PAGE) - 1);
  const page = Math.floor(offset / PAGE);
  return el(
    "div",
    { class: "pager" },
    el("button", { type: "button", disabled: page === 0, onclick: () => go(offset - PAGE) }, "‹"),
    `page ${page + 1} of ${last + 1} (${total} in all)`,
    el("button", { type: "button", disabled: page >= last, onclick: () => go(offset + PAGE) }, "›"),
  );
}

function table(headers, rows, testid) {
  return el(
    "table",
    { "data-testid": testid },
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows),
  );
}

function setMain(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

// ---- login ----------------------------------------------------------------

function renderLogin() {
  stopTimers();
  document.getElementById("top").hidden = true;
  const form = el(
    "form",
    { class: "login", id: "login" },
    el("h2", {}, "Lars admin"),
    input("user", "User"),
    input("password", "Password", "", "password"),
    el("button", { type: "submit" }, "Log in"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    act(async () => {
      session = await api("POST", "/api/login", formValues(form));
      route();
    });
  });
  setMain(form);
}

// ---- modules --------------------------------------------------------------

async function renderModules(params) {
  const search = params.get("search") ?? "";
  const offset = Number(params.get("offset") ?? 0);
  const [list, names] = await Promise.all([
    api("GET", `/api/summary?search=${encodeURIComponent(search)}&limit=${PAGE}&offset=${offset}`),
    nameMaps(),
  ]);
  const go = (o, s = search) => (location.hash = `#/?search=${encodeURIComponent(s)}&offset=${o}`);
  const find = el("form", { id: "search" }, input("search", "Search (id or name)", search));
  find.append(el("button", { type: "submit" }, "Search"));
  find.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go(0, formValues(find).search);
  });
  const add = hostForm("Add host", {}, async (v) => {
    await api("POST", "/api/routes", v);
    location.hash = `#/module/${v.modid}/${v.cmdid}`;
  });
  const rows = list.modules.map((m) =>
    el(
      "tr",
      {},
      el("td", { class: "num" }, m.modid),
      el("td", {}, names.modules.get(m.modid) ?? ""),
      el("td", { class: "num" }, m.cmdid),
      el("td", {}, names.commands.get(m.cmdid) ?? ""),
      el("td", { class: "num" }, m.hosts),
      el(
        "td",
        {},
        el("a", { href: `#/module/${m.modid}/${m.cmdid}` }, "hosts"),
        " ",
        el("a", { href: `#/status/${m.modid}/${m.cmdid}` }, "status"),
      ),
    )
  );
  setMain(
    el("h2", {}, "Modules"),
    find,
    table(["modid", "module", "cmdid", "command", "hosts", ""], rows, "modules"),
    pager(list.total, offset, (o) => go(o)),
    el("h2", {}, "Add a host (new or existing module)"),
    add,
  );
}

async function nameMaps() {
  const [modules, commands] = await Promise.all([
    api("GET", "/api/modules"),
    api("GET", "/api/commands"),
  ]);
  return {
    modules: new Map(modules.map((m) => [m.modid, m.name])),
    commands: new Map(commands.map((c) => [c.cmdid, c.name])),
  };
}

function hostForm(title, fixed, onSubmit) {
  const form = el(
    "form",
    { "data-testid": "add-host" },
    fixed.modid === undefined ? [input("modid", "modid"), input("cmdid", "cmdid")] : [],
    input("ip", "IP"),
    input("port", "port"),
    el("button", { type: "submit" }, title),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = numbers({ ...formValues(form), ...fixed }, ["modid", "cmdid", "port"]);
    act(() => onSubmit(v), `added ${v.ip}:${v.port} to ${v.modid}/${v.cmdid}`);
  });
  return form;
}

async function renderModule(modid, cmdid) {
  const hosts = await api("GET", `/api/routes?modid=${modid}&cmdid=${cmdid}&limit=10000`);
  const version = await api("GET", "/api/version");
  const key = { modid, cmdid };
  const rows = hosts.map((h) => {
    const row = el(
      "tr",
      { "data-host": `${h.ip}:${h.port}` },
      el("td", {}, h.ip),
      el("td", { class: "num" }, h.port),
    );
    const actions = el("td", {});
    actions.append(
      el("button", { type: "button", onclick: () => editHost(row, h) }, "edit"),
      " ",
      el("button", {
        type: "button",
        onclick: () => {
          if (!confirm(`Remove ${h.ip}:${h.port} from ${modid}/${cmdid}?`)) return;
          act(async () => {
            await api("DELETE", "/api/routes", { ...key, ip: h.ip, port: h.port });
            await renderModule(modid, cmdid);
          }, `removed ${h.ip}:${h.port}`);
        },
      }, "delete"),
    );
    row.append(actions);
    return row;
  });
  const editHost = (row, h) => {
    const form = el(
      "form",
      { "data-testid": "edit-host" },
      input("newIp", "new IP", h.ip),
      input("newPort", "new port", h.port),
      el("button", { type: "submit" }, "Save"),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = numbers(formValues(form), ["newPort"]);
      act(async () => {
        await api("PUT", "/api/routes", { ...key, ip: h.ip, port: h.port, ...v });
        await renderModule(modid, cmdid);
      }, `moved ${h.ip}:${h.port} to ${v.newIp}:${v.newPort}`);
    });
    row.lastChild.replaceChildren(form);
  };
  setMain(
    el("h2", {}, `Module ${modid}/${cmdid}: ${hosts.length} hosts`),
    el(
      "p",
      {},
      `route version ${version.version} · `,
      el("a", {
        href: `#/status/${modid}/${cmdid}`,
      }, "call status"),
      " · export ",
      el("a", {
        href: `/api/export?format=csv&modid=${modid}&cmdid=${cmdid}`,
      }, "CSV"),
      " ",
      el("a", {
        href: `/api/export?format=json&modid=${modid}&cmdid=${cmdid}`,
      }, "JSON"),
    ),
    table(["ip", "port", ""], rows, "hosts"),
    hostForm("Add host", key, async (v) => {
      await api("POST", "/api/routes", v);
      await renderModule(modid, cmdid);
    }),
  );
}

// ---- call status ------------------------------------------------------------

async function renderStatus(modid, cmdid) {
  const statusBody = el("tbody", {});
  const updated = el("span", {});
  const chartBox = el("div", { id: "chart", "data-testid": "chart" });
  setMain(
    el("h2", {}, `Call status of ${modid}/${cmdid}`),
    el("p", {}, el("a", { href: `#/module/${modid}/${cmdid}` }, "hosts"), " · live, ", updated),
    el(
      "table",
      { "data-testid": "status" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["host", "caller", "successes", "errors", "overload", "age (s)"].map((h) =>
            el("th", {}, h)
          ),
        ),
      ),
      statusBody,
    ),
    el("h2", {}, "Calls per minute (last hour)"),
    chartBox,
  );
  const refreshStatus = async () => {
    const rows = await api("GET", `/api/status?modid=${modid}&cmdid=${cmdid}`);
    statusBody.replaceChildren(...rows.map((r) =>
      el(
        "tr",
        {},
        el("td", {}, `${r.ip}:${r.port}`),
        el("td", {}, r.caller),
        el("td", { class: "num" }, r.succ),
        el("td", { class: "num" }, r.err),
        el("td", { class: r.overload ? "overload" : "" }, r.overload ? "yes" : "no"),
        el("td", { class: "num" }, r.age),
      )
    ));
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
  };
  const refreshChart = async () => {
    const rows = await api("GET", `/api/history?modid=${modid}&cmdid=${cmdid}`);
    drawChart(chartBox, rows);
  };
  await Promise.all([refreshStatus(), refreshChart()]);
  timers.push(setInterval(() => refreshStatus().catch((e) => show(e.message)), 2000));
  timers.push(setInterval(() => refreshChart().catch((e) => show(e.message)), 15000));
}

function drawChart(box, rows) {
  const byMinute = new Map();
  for (const r of rows) {
    const sum = byMinute.get(r.minute) ?? { succ: 0, err: 0 };
    sum.succ += r.succ;
    sum.err += r.err;
    byMinute.set(r.minute, sum);
  }
  const minutes = [...byMinute.keys()].sort((a, b) => a - b);
  const data = [
    minutes,
    minutes.map((m) => byMinute.get(m).succ),
    minutes.map((m) => byMinute.get(m).err),
  ];
  box.dataset.points = String(minutes.length);
  if (chart) {
    chart.setData(data);
    return;
  }
  if (minutes.length === 0) {
    box.textContent = "no history yet (the reporter keeps it with [reporter] history = true)";
    return;
  }
  box.textContent = "";
  chart = new globalThis.uPlot(
    {
      width: 720,
      height: 260,
      series: [
        {},
        { label: "successes", stroke: "#2a7", width: 2 },
        { label: "errors", stroke: "#c33", width: 2 },
      ],
    },
    data,
    box,
  );
}

// ---- names, changes, audit, import/export ------------------------------------

async function renderNames() {
  const [modules, commands] = await Promise.all([
    api("GET", "/api/modules"),
    api("GET", "/api/commands"),
  ]);
  const section = (kind, idKey, items) => {
    const path = `/api/${kind}`;
    const rows = items.map((item) =>
      el(
        "tr",
        {},
        el("td", { class: "num" }, item[idKey]),
        el("td", {}, item.name),
        el(
          "td",
          {},
          el("button", {
            type: "button",
            onclick: () =>
              act(async () => {
                await api("DELETE", path, { [idKey]: item[idKey] });
                await renderNames();
              }, `removed the name of ${idKey} ${item[idKey]}`),
          }, "delete"),
        ),
      )
    );
    const form = el(
      "form",
      { "data-testid": `${kind}-form` },
      input(idKey, idKey),
      input("name", "name"),
      el("button", { type: "submit" }, "Set name"),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      act(async () => {
        await api("PUT", path, numbers(formValues(form), [idKey]));
        await renderNames();
      }, "name saved");
    });
    return [
      el("h2", {}, kind === "modules" ? "Module names" : "Command names"),
      table([idKey, "name", ""], rows, kind),
      form,
    ];
  };
  setMain(...section("modules", "modid", modules), ...section("commands", "cmdid", commands));
}

async function renderLog(kind, params) {
  const offset = Number(params.get("offset") ?? 0);
  const data = await api("GET", `/api/${kind}?limit=${PAGE}&offset=${offset}`);
  const go = (o) => (location.hash = `#/${kind}?offset=${o}`);
  const time = (s) => new Date(s * 1000).toLocaleString();
  if (kind === "changes") {
    const version = await api("GET", "/api/version");
    setMain(
      el("h2", {}, `Route version ${version.version} (${time(version.version)})`),
      table(
        ["id", "modid", "cmdid", "version", "time"],
        data.changes.map((c) =>
          el(
            "tr",
            {},
            [c.id, c.modid, c.cmdid, c.version].map((v) => el("td", { class: "num" }, v)),
            el("td", {}, time(c.version)),
          )
        ),
        "changes",
      ),
      pager(data.total, offset, go),
      el(
        "p",
        {},
        "RouteChange rows live until the DNS service has pushed and trimmed them; the ",
        el("a", { href: "#/audit" }, "audit log"),
        " keeps every edit with who made it.",
      ),
    );
    return;
  }
  setMain(
    el("h2", {}, "Audit log: who changed what"),
    table(
      ["time", "user", "action", "modid", "cmdid", "detail"],
      data.entries.map((a) =>
        el(
          "tr",
          {},
          el("td", {}, time(a.ts)),
          el("td", {}, a.user),
          el("td", {}, a.action),
          el("td", { class: "num" }, a.modid),
          el("td", { class: "num" }, a.cmdid),
          el("td", {}, a.detail),
        )
      ),
      "audit",
    ),
    pager(data.total, offset, go),
  );
}

function renderTransfer() {
  const text = el("textarea", { name: "text", "data-testid": "import-text" });
  const file = el("input", { type: "file", accept: ".csv,.json,text/csv,application/json" });
  file.addEventListener("change", async () => {
    text.value = await file.files[0].text();
  });
  const form = el(
    "form",
    { "data-testid": "import" },
    el(
      "label",
      {},
      "format",
      el("select", { name: "format" }, el("option", {}, "csv"), el("option", {}, "json")),
    ),
    el(
      "label",
      {},
      "replace the modules named",
      el("input", { type: "checkbox", name: "replace" }),
    ),
    el("label", {}, "file", file),
    el("button", { type: "submit" }, "Import"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = formValues(form);
    act(async () => {
      const r = await api(
        "POST",
        `/api/import?format=${v.format}&replace=${v.replace === "on"}`,
        text.value,
        true,
      );
      return `imported ${r.rows} rows: ${r.added} added, ${r.removed} removed`;
    });
  });
  setMain(
    el("h2", {}, "Export"),
    el(
      "p",
      {},
      "All routes as ",
      el("a", { href: "/api/export?format=csv" }, "CSV"),
      " or ",
      el("a", {
        href: "/api/export?format=json",
      }, "JSON"),
      ".",
    ),
    el("h2", {}, "Import (CSV: modid,cmdid,ip,port per line; JSON: [{modid, cmdid, ip, port}])"),
    text,
    form,
  );
}

// ---- routing ------------------------------------------------------------------

async function route() {
  stopTimers();
  if (!session) {
    try {
      session = await api("GET", "/api/session");
    } catch {
      return;
    }
  }
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = session.user;
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query ?? "");
  const parts = path.split("/").filter(Boolean);
  try {
    if (parts[0] === "module") await renderModule(Number(parts[1]), Number(parts[2]));
    else if (parts[0] === "status") await renderStatus(Number(parts[1]), Number(parts[2]));
    else if (parts[0] === "names") await renderNames();
    else if (parts[0] === "changes" || parts[0] === "audit") await renderLog(parts[0], params);
    else if (parts[0] === "transfer") renderTransfer();
    else await renderModules(params);
  } catch (err) {
    if (err.message !== "logged out") show(err.message);
  }
}

document.getElementById("logout").addEventListener("click", () =>
  act(async () => {
    await api("POST", "/api/logout");
    session = null;
    location.hash = "#/";
    renderLogin();
  }, "logged out"));
addEventListener("hashchange", () => {
  show("");
  route();
});
route();

// Pages of routes: the module list (search, paging, add) and one module's hosts.
import { act, api, el, formValues, input, numbers, PAGE, pager, setMain, table } from "./dom.js";

/** The module list: search, paging, and a form to add a host to any module. */
export async function renderModules(params) {
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
    input("weight", "weight (default 1)"),
    el("button", { type: "submit" }, title),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = numbers({ ...formValues(form), ...fixed }, ["modid", "cmdid", "port", "weight"]);
    if (v.weight === "") delete v.weight;
    const weighted = v.weight === undefined ? "" : ` with weight ${v.weight}`;
    act(() => onSubmit(v), `added ${v.ip}:${v.port}${weighted} to ${v.modid}/${v.cmdid}`);
  });
  return form;
}

/** The fleet's verdict on a host: "overloaded (2 of 3 callers)", "ok (3 callers)", or "-". */
function fleetCell(verdict) {
  if (!verdict) return el("td", { "data-testid": "fleet" }, "-");
  const seen = `${verdict.overloaded} of ${verdict.callers} callers`;
  return verdict.fleetOverload
    ? el("td", { class: "overload", "data-testid": "fleet" }, `overloaded (${seen})`)
    : el("td", { "data-testid": "fleet" }, `ok (${seen})`);
}

/** One module's hosts with edit and delete, its route version and exports. */
export async function renderModule(modid, cmdid) {
  const [hosts, version, fleet] = await Promise.all([
    api("GET", `/api/routes?modid=${modid}&cmdid=${cmdid}&limit=10000`),
    api("GET", "/api/version"),
    api("GET", `/api/fleet?modid=${modid}&cmdid=${cmdid}`),
  ]);
  const verdicts = new Map(fleet.hosts.map((f) => [`${f.ip}:${f.port}`, f]));
  const key = { modid, cmdid };
  // Each host's share of picks by weight (the agents also ramp new hosts and skip overloaded ones).
  const total = hosts.reduce((n, h) => n + h.weight, 0);
  const share = (weight) => `${Math.round((weight / total) * 1000) / 10}%`;
  const rows = hosts.map((h) => {
    const row = el(
      "tr",
      { "data-host": `${h.ip}:${h.port}` },
      el("td", {}, h.ip),
      el("td", { class: "num" }, h.port),
      el("td", { class: "num", "data-testid": "weight" }, h.weight),
      el("td", { class: "num" }, share(h.weight)),
      fleetCell(verdicts.get(`${h.ip}:${h.port}`)),
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
      input("weight", "weight", h.weight),
      el("button", { type: "submit" }, "Save"),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = numbers(formValues(form), ["newPort", "weight"]);
      const moved = v.newIp !== h.ip || v.newPort !== h.port;
      const said = [
        moved ? `moved ${h.ip}:${h.port} to ${v.newIp}:${v.newPort}` : `${h.ip}:${h.port}`,
        v.weight !== h.weight ? `weight ${h.weight} -> ${v.weight}` : "",
      ].filter(Boolean).join(", ");
      act(async () => {
        await api("PUT", "/api/routes", { ...key, ip: h.ip, port: h.port, ...v });
        await renderModule(modid, cmdid);
      }, said);
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
    table(["ip", "port", "weight", "share", "fleet", ""], rows, "hosts"),
    el(
      "p",
      { class: "note" },
      `fleet: callers whose last report in the last ${fleet.windowSeconds} s had the host ` +
        `overloaded; "overloaded" when at least ${fleet.minCallers} and ` +
        `${fleet.overloadShare * 100}% of them did, as DNS tells the agents (an agent that has ` +
        "not called such a host starts it in probing).",
    ),
    hostForm("Add host", key, async (v) => {
      await api("POST", "/api/routes", v);
      await renderModule(modid, cmdid);
    }),
  );
}

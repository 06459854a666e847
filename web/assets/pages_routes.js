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
    el("button", { type: "submit" }, title),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = numbers({ ...formValues(form), ...fixed }, ["modid", "cmdid", "port"]);
    act(() => onSubmit(v), `added ${v.ip}:${v.port} to ${v.modid}/${v.cmdid}`);
  });
  return form;
}

/** One module's hosts with edit and delete, its route version and exports. */
export async function renderModule(modid, cmdid) {
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

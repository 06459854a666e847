// Pages of names (ModIDConfig, CmdIDConfig), change and audit logs, import and export.
import { act, api, el, formValues, input, numbers, PAGE, pager, setMain, table } from "./dom.js";

/** Module and command names: list, set, delete. */
export async function renderNames() {
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

/** The change log (`kind` "changes", with the route version) or the audit log ("audit"). */
export async function renderLog(kind, params) {
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

/** Export links and the import form (CSV or JSON, optionally replacing modules). */
export function renderTransfer() {
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
    el("h2", {}, "Import (CSV: modid,cmdid,ip,port[,weight]; JSON: [{modid, cmdid, ip, port}])"),
    text,
    form,
  );
}

// Lars web admin page: a small single-page app over the JSON API (/api/).
// Every write sends the session's CSRF token in X-CSRF-Token (see dom.js).
import { act, api, el, formValues, input, setMain, show, state, stopTimers } from "./dom.js";
import { renderLog, renderNames, renderTransfer } from "./pages_admin.js";
import { renderModule, renderModules } from "./pages_routes.js";
import { renderStatus } from "./pages_status.js";

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
      state.session = await api("POST", "/api/login", formValues(form));
      route();
    });
  });
  setMain(form);
}

async function route() {
  stopTimers();
  if (!state.session) {
    try {
      state.session = await api("GET", "/api/session");
    } catch {
      return;
    }
  }
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = state.session.user;
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
    state.session = null;
    location.hash = "#/";
    renderLogin();
  }, "logged out"));
state.onLoggedOut = renderLogin;
addEventListener("hashchange", () => {
  show("");
  route();
});
route();

// Shared by the pages: page state, DOM building, API calls, messages.
// Text from the store is always set with textContent, never parsed as HTML.

/** Page state: the session ({ user, csrf }), live timers, cleanups, what a 401 does. */
export const state = {
  session: null,
  timers: [],
  cleanups: [],
  onLoggedOut: () => {},
};

/** Rows per page of the paged lists. */
export const PAGE = 50;

/** Creates an element: el("td", { class: "num" }, "text", child...). */
export function el(tag, attrs = {}, ...children) {
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

/** Shows a message under the header (an error, or `ok` in green); "" hides it. */
export function show(text, ok = false) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = ok ? "ok" : "";
  box.hidden = !text;
}

/** Calls the API; resolves to the parsed JSON or text, throws Error(message) on failure. */
export async function api(method, path, body, raw = false) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.session?.csrf ?? "";
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
    state.session = null;
    state.onLoggedOut();
    throw new Error("logged out");
  }
  if (!res.ok) throw new Error(data?.error ?? `${res.status} ${res.statusText}`);
  return data;
}

/** Runs an action; shows its error, or on success what it returned, else `done`. */
export async function act(fn, done) {
  try {
    const said = await fn();
    show(typeof said === "string" ? said : done ?? "", true);
  } catch (err) {
    if (err.message !== "logged out") show(err.message);
  }
}

/** Stops the open page's refresh timers and releases what it holds (the chart). */
export function stopTimers() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  for (const stop of state.cleanups) stop();
  state.cleanups = [];
}

/** A labelled text input named `name` (also its data-testid). */
export function input(name, label, value = "", type = "text") {
  return el(
    "label",
    {},
    label,
    el("input", { name, type, value, "data-testid": name, autocomplete: "off" }),
  );
}

/** The values of a form as an object. */
export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** A copy of `values` with the fields named in `keys` turned into numbers. */
export function numbers(values, keys) {
  const out = { ...values };
  for (const k of keys) if (out[k] !== undefined && out[k] !== "") out[k] = Number(out[k]);
  return out;
}

/** Previous/next buttons and "page N of M" for a list of `total` rows. */
export function pager(total, offset, go) {
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

/** A table with a header row. */
export function table(headers, rows, testid) {
  return el(
    "table",
    { "data-testid": testid },
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows),
  );
}

/** Replaces the page content. */
export function setMain(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes);
}

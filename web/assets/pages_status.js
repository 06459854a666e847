// The call-status page: live ServerCallStatus rows and a uPlot chart of ServerCallHistory.
import { api, el, setMain, show, state } from "./dom.js";

let chart = null; // the uPlot instance of the open status page

/** Call status of one module, refreshed every 2 s, and its calls-per-minute chart. */
export async function renderStatus(modid, cmdid) {
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
  state.timers.push(setInterval(() => refreshStatus().catch((e) => show(e.message)), 2000));
  state.timers.push(setInterval(() => refreshChart().catch((e) => show(e.message)), 15000));
  state.cleanups.push(() => {
    chart?.destroy();
    chart = null;
  });
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
      // Always the last hour (one point alone would otherwise span years).
      scales: {
        x: {
          time: true,
          range: () => {
            const now = Math.floor(Date.now() / 1000);
            return [now - 3600, now];
          },
        },
      },
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

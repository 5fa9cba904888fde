// The flexiconnect test page: the Go original's buttons, one button per
// action × transport, and the comparison view. No dependencies, no CDN.
"use strict";

const broker = document.body.dataset.brokerUrl;
const output = document.getElementById("output");
const sent = document.getElementById("payload");
const received = document.getElementById("received");

const TRANSPORTS = ["http", "amqp", "rpc", "grpc"];
const COLORS = { p50: "#2f6fde", p90: "#f0a202", p99: "#d64545", rps: "#3f9142" };
// The parts of one call's time, in the order they are stacked.
const PARTS = [
  { key: "transport", label: "transport", color: "#2f6fde" },
  { key: "queue", label: "queue", color: "#f0a202" },
  { key: "worker", label: "worker", color: "#7b61c4" },
  { key: "dependency", label: "dependency", color: "#3f9142" },
];

// The bodies the original page sent, plus ping.
const SAMPLES = {
  auth: { action: "auth", auth: { email: "admin@example.com", password: "verysecret" } },
  log: { action: "log", log: { name: "event", data: "Some kind of data" } },
  mail: {
    action: "mail",
    mail: { from: "me@example.com", to: "you@there.com", subject: "Test email", message: "Hello world!" },
  },
  ping: { action: "ping" },
};

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = String(text);
  return span.innerHTML;
}

function say(html) {
  document.getElementById("outputPlaceholder")?.remove();
  output.innerHTML += `<br>${html}`;
}

// The token of the last login (any auth answer carries one). Sent with every
// call; where the broker asks for one it is not yet held (401 with a Bearer
// challenge: a deployment's TOKEN_REQUIRED_FOR), the page logs in with the
// sample credentials and tries once more.
let token = null;

async function brokerFetch(path, body) {
  const send = () => fetch(broker + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body,
  });
  let response = await send();
  if (response.status === 401 && (response.headers.get("WWW-Authenticate") ?? "").startsWith("Bearer")) {
    const login = await fetch(`${broker}/handle`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(SAMPLES.auth),
    });
    const answer = await login.json();
    if (answer.token) {
      token = answer.token;
      say(`<span class="muted">Logged in as ${escapeHtml(SAMPLES.auth.auth.email)} for a token</span>`);
      response = await send();
    }
  }
  return response;
}

async function post(path, body) {
  sent.textContent = body === undefined ? "empty post request" : JSON.stringify(body, null, 4);
  try {
    const response = await brokerFetch(path, body === undefined ? "" : JSON.stringify(body));
    const data = await response.json();
    if (data.token) token = data.token;
    received.textContent = JSON.stringify(data, null, 4);
    if (data.error) {
      say(`<strong>Error (${response.status})</strong>: ${escapeHtml(data.message)}`);
    } else {
      const via = data.transport ? ` <span class="muted">(${data.transport}, ${data.elapsed_ms} ms)</span>` : "";
      say(`<strong>Response from broker service</strong>: ${escapeHtml(data.message)}${via}`);
    }
    renderBreakdown(body?.action, data);
    return data;
  } catch (error) {
    say(`<strong>Error</strong>: ${escapeHtml(error)}`);
    return null;
  }
}

// One call's time, split: transport, queue, the worker's own work and its
// dependency (part of the worker's time), as one stacked bar.
function partsOf(timing) {
  const worker = Math.max(0, timing.worker_ms - timing.dependency_ms);
  return { transport: timing.transport_ms, queue: timing.queue_ms ?? 0, worker, dependency: timing.dependency_ms };
}

function renderBreakdown(action, data) {
  const box = document.getElementById("breakdown");
  if (!data?.timing) return;
  const t = data.timing;
  const parts = partsOf(t);
  const total = Math.max(1e-9, t.total_ms);
  const bar = PARTS.filter((p) => parts[p.key] > 0)
    .map((p) => `<span class="part" data-part="${p.key}" style="width:${(100 * parts[p.key]) / total}%;` +
      `background:${p.color}" title="${p.label} ${parts[p.key].toFixed(3)} ms"></span>`)
    .join("");
  const queue = t.queue_ms !== undefined ? ` + queue ${t.queue_ms.toFixed(3)}` : "";
  box.innerHTML = `<div><strong>Where the time went</strong> (${escapeHtml(action ?? "")} · ${escapeHtml(data.transport ?? "")}):
    ${t.total_ms.toFixed(3)} ms = transport ${t.transport_ms.toFixed(3)}${queue} + worker ${t.worker_ms.toFixed(3)}
    (of which dependency ${t.dependency_ms.toFixed(3)})</div><div class="stack">${bar}</div>` +
    (data.trace_id ? `<div>trace <code class="trace-id">${escapeHtml(data.trace_id)}</code></div>` : "");
  box.hidden = false;
}

function sample(action, transport) {
  const body = structuredClone(SAMPLES[action]);
  if (transport) body.transport = transport;
  return body;
}

// The original's buttons (each action's default transport).
document.getElementById("brokerBtn").addEventListener("click", () => post("/"));
document.getElementById("authBrokerBtn").addEventListener("click", () => post("/handle", sample("auth")));
document.getElementById("logBtn").addEventListener("click", () => post("/handle", sample("log")));
document.getElementById("mailBtn").addEventListener("click", () => post("/handle", sample("mail")));
document.getElementById("logGBtn").addEventListener("click", () => post("/log-gRPC", sample("log")));

// One click per action × transport.
for (const button of document.querySelectorAll("button.path")) {
  button.addEventListener("click", () => post("/handle", sample(button.dataset.action, button.dataset.transport)));
}

// ---- comparison ---------------------------------------------------------------

const form = document.getElementById("compareForm");
const progress = document.getElementById("compareProgress");
const statusLine = document.getElementById("compareStatus");
const tableBody = document.querySelector("#compareTable tbody");
const chart = document.getElementById("chart");

// A comparison of logins or mails is at most 20 calls per transport (each is a
// bcrypt check or a mail sent: the broker answers 400 past it).
const COSTLY = { auth: 20, mail: 20 };
document.getElementById("cmpAction").addEventListener("change", (event) => {
  const input = document.getElementById("cmpRequests");
  const most = COSTLY[event.target.value] ?? 10000;
  input.max = String(most);
  if (Number(input.value) > most) input.value = String(most);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("compareBtn");
  const action = document.getElementById("cmpAction").value;
  const requests = Number(document.getElementById("cmpRequests").value);
  const concurrency = Number(document.getElementById("cmpConcurrency").value);
  const results = [];
  button.disabled = true;
  progress.max = TRANSPORTS.length;
  progress.value = 0;
  tableBody.innerHTML = "";
  chart.innerHTML = "";
  try {
    // One transport per request, so progress is real and transports never overlap.
    for (const [i, transport] of TRANSPORTS.entries()) {
      statusLine.textContent = `Running ${transport} (${i + 1} of ${TRANSPORTS.length})…`;
      const body = { ...sample(action), requests, concurrency, transports: [transport] };
      sent.textContent = JSON.stringify(body, null, 4);
      const response = await brokerFetch("/compare", JSON.stringify(body));
      const data = await response.json();
      received.textContent = JSON.stringify(data, null, 4);
      if (data.error) {
        statusLine.textContent = `Error (${response.status}): ${data.message}`;
        return;
      }
      results.push(data.data.results[0]);
      progress.value = i + 1;
      renderTable(results);
      renderChart(results);
      renderParts(results);
    }
    statusLine.textContent = `Done: ${action}, ${requests} requests per transport, concurrency ${concurrency}.`;
  } catch (error) {
    statusLine.textContent = `Error: ${error}`;
  } finally {
    button.disabled = false;
  }
});

function renderTable(results) {
  tableBody.innerHTML = results
    .map((r) => {
      const cells = [r.ok, r.errors, r.p50_ms.toFixed(3), r.p90_ms.toFixed(3), r.p99_ms.toFixed(3),
        r.max_ms.toFixed(3), r.rps.toFixed(1)];
      const title = r.first_error ? ` title="${escapeHtml(r.first_error)}"` : "";
      return `<tr${title}><td>${r.transport}</td>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
    })
    .join("");
}

const SVG = "http://www.w3.org/2000/svg";

function axisLabel(value) {
  if (value >= 100) return Math.round(value).toLocaleString("en");
  return value.toPrecision(3);
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Two panels: latency percentiles (grouped bars) and throughput, one group per transport.
function renderChart(results) {
  const width = 640, height = 300, top = 28, bottom = 40, left = 52, gap = 40;
  const panel = (width - left - gap) / 2;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const plotHeight = height - top - bottom;

  const drawPanel = (x0, title, series, unit) => {
    const max = Math.max(1e-9, ...results.flatMap((r) => series.map((s) => r[s.key])));
    svg.appendChild(el("text", { x: x0, y: 16, "font-size": 13, "font-weight": 600 }, title));
    for (let i = 0; i <= 4; i++) {
      const y = top + plotHeight - (plotHeight * i) / 4;
      svg.appendChild(el("line", { x1: x0, x2: x0 + panel, y1: y, y2: y, stroke: "#e4e7eb" }));
      svg.appendChild(el("text", { x: x0 - 6, y: y + 4, "font-size": 10, "text-anchor": "end", fill: "#7b8794" },
        axisLabel((max * i) / 4)));
    }
    const groupWidth = panel / TRANSPORTS.length;
    const barWidth = (groupWidth * 0.8) / series.length;
    results.forEach((r) => {
      const g = TRANSPORTS.indexOf(r.transport);
      const gx = x0 + g * groupWidth + groupWidth * 0.1;
      series.forEach((s, j) => {
        const h = (plotHeight * r[s.key]) / max;
        const bar = el("rect", { x: gx + j * barWidth, y: top + plotHeight - h, width: barWidth - 1, height: h,
          fill: s.color, "data-transport": r.transport, "data-series": s.key });
        bar.appendChild(el("title", {}, `${r.transport} ${s.label}: ${r[s.key].toFixed(3)} ${unit}`));
        svg.appendChild(bar);
      });
      svg.appendChild(el("text", { x: gx + groupWidth * 0.4, y: height - bottom + 16, "font-size": 11,
        "text-anchor": "middle" }, r.transport));
    });
    series.forEach((s, j) => {
      const lx = x0 + j * 58;
      svg.appendChild(el("rect", { x: lx, y: height - 14, width: 10, height: 10, fill: s.color }));
      svg.appendChild(el("text", { x: lx + 14, y: height - 5, "font-size": 10 }, s.label));
    });
  };

  drawPanel(left, "Latency (ms)", [
    { key: "p50_ms", label: "p50", color: COLORS.p50 },
    { key: "p90_ms", label: "p90", color: COLORS.p90 },
    { key: "p99_ms", label: "p99", color: COLORS.p99 },
  ], "ms");
  drawPanel(left + panel + gap, "Throughput (req/s)", [
    { key: "rps", label: "req/s", color: COLORS.rps },
  ], "req/s");
  chart.replaceChildren(svg);
}

// The median of each part per transport, stacked: where each transport's time goes.
function renderParts(results) {
  const box = document.getElementById("partsChart");
  const rows = results.filter((r) => r.breakdown);
  if (rows.length === 0) return;
  const width = 640, rowHeight = 26, left = 52, top = 24;
  const height = top + rows.length * rowHeight + 30;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  svg.appendChild(el("text", { x: left, y: 16, "font-size": 13, "font-weight": 600 }, "Where the time goes (p50, ms)"));
  const medians = (b) => ({
    transport: b.transport.p50_ms,
    queue: b.queue?.p50_ms ?? 0,
    worker: Math.max(0, b.worker.p50_ms - b.dependency.p50_ms),
    dependency: b.dependency.p50_ms,
  });
  const max = Math.max(1e-9, ...rows.map((r) => Object.values(medians(r.breakdown)).reduce((a, b) => a + b, 0)));
  const plotWidth = width - left - 20;
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    svg.appendChild(el("text", { x: left - 6, y: y + 15, "font-size": 11, "text-anchor": "end" }, r.transport));
    let x = left;
    const parts = medians(r.breakdown);
    for (const p of PARTS) {
      const w = (plotWidth * parts[p.key]) / max;
      if (w <= 0) continue;
      const rect = el("rect", { x, y: y + 4, width: w, height: rowHeight - 8, fill: p.color,
        "data-transport": r.transport, "data-part": p.key });
      rect.appendChild(el("title", {}, `${r.transport} ${p.label}: ${parts[p.key].toFixed(3)} ms`));
      svg.appendChild(rect);
      x += w;
    }
  });
  PARTS.forEach((p, j) => {
    const lx = left + j * 90;
    svg.appendChild(el("rect", { x: lx, y: height - 14, width: 10, height: 10, fill: p.color }));
    svg.appendChild(el("text", { x: lx + 14, y: height - 5, "font-size": 10 }, p.label));
  });
  box.replaceChildren(svg);
}

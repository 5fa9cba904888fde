// The comparison view of the flexiconnect test page: the form, its progress,
// the table and the charts. No dependencies, no CDN. Loaded after app.js, whose
// names it uses (TRANSPORTS, PARTS, COLORS, sample, brokerFetch, escapeHtml,
// partsOf, and the Sent and Received panes).
"use strict";

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
  // The medians split as one call's timing is (app.js's partsOf).
  const medians = (b) => partsOf({ transport_ms: b.transport.p50_ms, queue_ms: b.queue?.p50_ms,
    worker_ms: b.worker.p50_ms, dependency_ms: b.dependency.p50_ms });
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

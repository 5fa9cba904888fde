// The comparison's results table: a row per (size,) transport or bus, and
// the columns that apply to the rows shown (the size, a rate run's planned
// rate, late calls and service p99, a sweep's knee, an event comparison's
// end-to-end figures). Loaded after app.js (escapeHtml) and compare-plot.js
// (runLabel).
"use strict";

const resultsTable = document.getElementById("compareTable");

// A number with `digits` decimals, or nothing.
const fixedTo = (digits) => (v) => (typeof v === "number" ? v.toFixed(digits) : "");

// The columns of `rows`: [header, cell of a result].
function tableColumns(rows) {
  const has = (f) => rows.some((r) => r[f] !== undefined && r[f] !== null);
  const three = fixedTo(3);
  const e2e = (f, format = String) => (r) => (r.end_to_end ? format(r.end_to_end[f]) : "");
  return [
    [has("bus") ? "bus" : "transport", runLabel], ["ok", (r) => r.ok], ["errors", (r) => r.errors],
    ["p50 ms", (r) => three(r.p50_ms)], ["p90 ms", (r) => three(r.p90_ms)],
    ["p99 ms", (r) => three(r.p99_ms)], ["max ms", (r) => three(r.max_ms)], ["req/s", (r) => fixedTo(1)(r.rps)],
    ...(has("payload_bytes") ? [["bytes", (r) => r.payload_bytes ?? ""]] : []),
    ...(has("rate") ? [["planned/s", (r) => r.rate ?? ""]] : []),
    ...(has("late") ? [["late", (r) => r.late ?? ""]] : []),
    ...(has("service_p99_ms") ? [["service p99 ms", (r) => three(r.service_p99_ms)]] : []),
    ...(rows.some((r) => "knee" in r) ? [["knee /s", (r) => r.knee ?? "none"]] : []),
    // An event comparison's: the events found stored, those not found, and
    // the time from each publish to its insert by the logger.
    ...(has("end_to_end") ? [["stored", e2e("stored")], ["missing", e2e("missing")],
      ["e2e p50 ms", e2e("p50_ms", three)], ["e2e p99 ms", e2e("p99_ms", three)]] : []),
  ];
}

function renderTable(rows) {
  const columns = tableColumns(rows);
  resultsTable.tHead.innerHTML = `<tr>${columns.map(([name]) => `<th>${name}</th>`).join("")}</tr>`;
  resultsTable.tBodies[0].innerHTML = rows.map((r) => {
    const title = r.first_error ? ` title="${escapeHtml(r.first_error)}"` : "";
    return `<tr${title}>${columns.map(([, cell]) => `<td>${escapeHtml(cell(r))}</td>`).join("")}</tr>`;
  }).join("");
}

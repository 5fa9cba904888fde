// A comparison's report as a file: JSON (the report's `data`, as the broker
// answered it) or CSV (as `broker compare --format csv` writes it), and a
// saved JSON loaded back to be drawn over the current run.
"use strict";

// broker/src/cli/render.rs CSV_HEADER, in its order: the page's CSV is the
// broker CLI's `--format csv`, cell for cell.
const CSV_COLUMNS = ["action", "mode", "requests", "concurrency", "payload_bytes", "rate", "transport", "ok",
  "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms", "rps", "elapsed_ms", "service_p50_ms", "service_p99_ms", "late",
  "knee", "transport_p50_ms", "queue_p50_ms", "worker_p50_ms", "dependency_p50_ms", "first_error", "bus",
  "e2e_stored", "e2e_missing", "e2e_p50_ms", "e2e_p99_ms"];

// As the csv crate writes a field: quoted only when it must be (a comma, a
// quote or a line break), quotes doubled.
function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// One row per result (size and transport); a cell is empty where its value
// does not apply (no size asked; closed: rate, service times, late; no knee;
// no parts without a successful call; queue outside AMQP; the bus and the
// end-to-end figures outside an event comparison).
function csvOf(report) {
  const three = (v) => (typeof v === "number" ? v.toFixed(3) : "");
  const whole = (v) => (typeof v === "number" ? String(v) : "");
  const lines = [CSV_COLUMNS];
  for (const r of report.results) {
    const b = r.breakdown;
    const e2e = r.end_to_end;
    lines.push([
      report.action, report.mode ?? "closed", report.requests, report.concurrency, whole(r.payload_bytes),
      whole(r.rate), r.transport, r.ok, r.errors,
      three(r.p50_ms), three(r.p90_ms), three(r.p99_ms), three(r.max_ms),
      typeof r.rps === "number" ? r.rps.toFixed(1) : "", three(r.elapsed_ms),
      three(r.service_p50_ms), three(r.service_p99_ms), whole(r.late), whole(r.knee),
      three(b?.transport?.p50_ms), three(b?.queue?.p50_ms), three(b?.worker?.p50_ms), three(b?.dependency?.p50_ms),
      r.first_error ?? "", r.bus ?? "", whole(e2e?.stored), whole(e2e?.missing), three(e2e?.p50_ms), three(e2e?.p99_ms),
    ]);
  }
  return lines.map((fields) => fields.map(csvField).join(",")).join("\n") + "\n";
}

function fileName(report, extension) {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return `compare-${report.action}-${report.mode ?? "closed"}-${stamp}.${extension}`;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// A saved file holds the report (`data`) or the broker's whole answer.
function reportOf(text) {
  const parsed = JSON.parse(text);
  const report = Array.isArray(parsed?.results) ? parsed : parsed?.data;
  if (!Array.isArray(report?.results)) throw new Error("no comparison report in this file");
  return report;
}

// Wires the buttons: `current()` gives the report to save (or null);
// `onLoad(report, name)` gets a loaded one, `onError(message)` a bad file.
function wireFiles(current, onLoad, onError) {
  const jsonButton = document.getElementById("downloadJson");
  const csvButton = document.getElementById("downloadCsv");
  const input = document.getElementById("loadSaved");
  const clear = document.getElementById("clearSaved");
  jsonButton.addEventListener("click", () => {
    const report = current();
    if (report) download(fileName(report, "json"), "application/json", JSON.stringify(report, null, 2));
  });
  csvButton.addEventListener("click", () => {
    const report = current();
    if (report) download(fileName(report, "csv"), "text/csv", csvOf(report));
  });
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return;
    try {
      onLoad(reportOf(await file.text()), file.name);
      clear.hidden = false;
    } catch (error) {
      onError(`${file.name}: ${error.message}`);
    }
    input.value = "";
  });
  clear.addEventListener("click", () => {
    onLoad(null, null);
    clear.hidden = true;
  });
  return (enabled) => {
    jsonButton.disabled = !enabled;
    csvButton.disabled = !enabled;
  };
}

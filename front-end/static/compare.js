// The comparison view of the flexiconnect test page: the form (calls over
// transports or the log event over buses, a mode and its fields), one
// streamed /compare run over the chosen transports or buses, and the files.
// Loaded last: it uses app.js (TRANSPORTS, sample, the Sent and Received
// panes), compare-stream.js (streamCompare), compare-plot.js,
// compare-live.js, compare-charts.js, compare-files.js and compare-table.js.
"use strict";

const form = document.getElementById("compareForm");
const progress = document.getElementById("compareProgress");
const statusLine = document.getElementById("compareStatus");
const field = (id) => document.getElementById(id);
const actionSelect = field("cmpAction");
const modeSelect = field("cmpMode");
const runButton = field("compareBtn");
const cancelButton = field("cancelBtn");
// The buses the log event can be compared on: each one's name and the
// transport its progress events name (the checkbox's data-transport).
const BUSES = [...form.querySelectorAll('input[id^="cmpB-"]')].map((input) => ({
  input, bus: input.id.slice("cmpB-".length), transport: input.dataset.transport }));
const overBuses = () => field("cmpWhat-buses").checked;
const transportOf = (target) => BUSES.find((b) => b.bus === target)?.transport ?? target;

// Some actions are costly (a bcrypt check, a mail sent, a sorted read): at
// most a few calls per transport (the option's data-costly, from the
// protocol), no warm-up, no payload size and no sweep (the broker answers 400
// past these).
const costlyMost = () => Number(actionSelect.selectedOptions[0]?.dataset.costly) || undefined;

function showFields() {
  const costly = costlyMost() !== undefined;
  const buses = overBuses();
  // The event comparison is a log's, closed or at a rate (the broker answers
  // 400 to a sweep of the buses).
  actionSelect.disabled = buses;
  const what = buses ? "buses" : "transports";
  for (const part of form.querySelectorAll("[data-what]")) part.hidden = part.dataset.what !== what;
  const sweep = modeSelect.querySelector('option[value="sweep"]');
  sweep.disabled = costly || buses;
  sweep.title = buses ? "the buses are compared closed or at a rate, not swept" : "";
  if (sweep.disabled && modeSelect.value === "sweep") modeSelect.value = "closed";
  for (const label of form.querySelectorAll("[data-modes]")) {
    const shown = label.dataset.modes.split(" ").includes(modeSelect.value);
    label.hidden = !shown;
    // A hidden field is not sent, and the browser must not validate it.
    for (const input of label.querySelectorAll("input")) input.disabled = !shown;
  }
  for (const id of ["cmpWarmup", "cmpSizes"]) field(id).disabled = costly;
}

function capCostly() {
  const most = costlyMost();
  const requests = field("cmpRequests");
  requests.max = String(most ?? 10000);
  if (!most) return;
  if (Number(requests.value) > most) requests.value = String(most);
  // rate × duration ≤ 20
  const rate = field("cmpRate");
  const cap = Math.max(1, Math.floor(most / Math.max(1, Number(field("cmpDuration").value))));
  if (Number(rate.value) > cap) rate.value = String(cap);
}

actionSelect.addEventListener("change", () => {
  const warmup = field("cmpWarmup");
  if (costlyMost() !== undefined) {
    if (warmup.value !== "0") warmup.dataset.was = warmup.value;
    warmup.value = "0";
  } else if (warmup.dataset.was !== undefined) {
    warmup.value = warmup.dataset.was;
    delete warmup.dataset.was;
  }
  capCostly();
  showFields();
});
modeSelect.addEventListener("change", showFields);
for (const what of form.querySelectorAll('input[name="cmpWhat"]')) {
  what.addEventListener("change", () => {
    if (!overBuses() || actionSelect.value === "log") return showFields();
    actionSelect.value = "log";
    actionSelect.dispatchEvent(new Event("change"));
  });
}
field("cmpDuration").addEventListener("change", capCostly);
showFields();

function sizesOf(text) {
  return text.split(/[\s,]+/).filter(Boolean).map(Number);
}

// The request of the form: the action's sample body and the mode's fields.
function requestBody() {
  const action = actionSelect.value;
  const mode = modeSelect.value;
  const number = (id) => Number(field(id).value);
  const transports = TRANSPORTS.filter((t) => field(`cmpT-${t}`).checked);
  const buses = BUSES.filter((b) => b.input.checked).map((b) => b.bus);
  const body = overBuses() ? { ...sample("log"), buses, mode } : { ...sample(action), transports, mode };
  if (mode === "closed") Object.assign(body, { requests: number("cmpRequests"), concurrency: number("cmpConcurrency") });
  if (mode === "rate") Object.assign(body, { rate: number("cmpRate"), duration: number("cmpDuration") });
  if (mode === "sweep") {
    Object.assign(body, { start_rate: number("cmpStartRate"), max_rate: number("cmpMaxRate"),
      slo_ms: number("cmpSlo"), duration: number("cmpStepDuration") });
  }
  if (mode !== "closed") body.concurrency = number("cmpInflight");
  if (costlyMost() === undefined) {
    body.warmup = number("cmpWarmup");
    const sizes = sizesOf(field("cmpSizes").value);
    if (sizes.length === 1) body.payload_bytes = sizes[0];
    if (sizes.length > 1) body.sizes = sizes;
  }
  return body;
}

// One line about a run, from its request or its report.
function describe(r) {
  const duration = r.duration_s ?? r.duration;
  const each = r.buses || r.results?.some((x) => x.bus) ? "bus" : "transport";
  const sizes = r.sizes ? `, sizes ${r.sizes.map(sizeLabel).join(" / ")}`
    : r.payload_bytes !== undefined && r.payload_bytes !== null ? `, ${sizeLabel(r.payload_bytes)}` : "";
  if (r.mode === "rate") return `${r.action} at ${r.rate} calls/s per ${each} for ${duration} s${sizes}`;
  if (r.mode === "sweep") {
    return `${r.action}, a sweep from ${r.start_rate} to ${r.max_rate} calls/s, ${duration} s a step, ` +
      `SLO p99 ${r.slo_ms} ms${sizes}`;
  }
  return `${r.action}, ${r.requests} requests per ${each}, concurrency ${r.concurrency}${sizes}`;
}

function tell(text) {
  statusLine.textContent = text;
}

// The run on the page: its results so far, the steps of sweeps still running,
// its report once done; and a saved run drawn over it.
let results = [];
let pending = new Map();
let report = null;
let saved = null;
let running = null;
let slo = null;

const savedResults = () => saved?.results ?? [];
const redraw = () => drawResults(results, savedResults(), pending, slo);
const enableFiles = wireFiles(() => report, (loaded, name) => {
  saved = loaded;
  field("savedNote").textContent = loaded ? `Drawn dashed: ${name} (${describe(loaded)}).` : "";
  redraw();
}, (message) => tell(`Cannot load ${message}`));
enableFiles(false);

function finish(answer) {
  received.textContent = JSON.stringify(answer, null, 4);
  report = answer.data;
  results = report.results;
  pending = new Map();
  progress.max = Math.max(1, results.length);
  progress.value = results.length;
  renderTable(results);
  redraw();
  enableFiles(true);
  tell(`Done: ${describe(report)}.`);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (running) return;
  const body = requestBody();
  // The transports, or the buses (each run and its progress named by its transport).
  const targets = body.buses ?? body.transports;
  if (targets.length === 0) return tell(`Pick at least one ${body.buses ? "bus" : "transport"}.`);
  const labels = new Map(targets.map((t) => [transportOf(t), t]));
  const sizes = body.sizes ?? [body.payload_bytes ?? null];
  const sorted = [...sizes].sort((a, b) => a - b);
  const withSize = sizes.length > 1;
  liveReset(sizes.flatMap((size) => targets.map((t) => ({ key: runKey(transportOf(t), size),
    name: runName(t, size, { withSize }), color: colorOf(transportOf(t), sorted.indexOf(size)) }))));
  results = [];
  pending = new Map();
  report = null;
  slo = body.mode === "sweep" ? body.slo_ms : null;
  enableFiles(false);
  progress.max = sizes.length * targets.length;
  progress.value = 0;
  renderTable([]);
  redraw();
  sent.textContent = JSON.stringify(body, null, 4);
  received.textContent = "Streaming…";
  running = new AbortController();
  runButton.disabled = true;
  cancelButton.disabled = false;
  tell(`Starting: ${describe(body)}…`);
  try {
    const outcome = await streamCompare(body, {
      progress: (e) => {
        liveProgress(e, withSize);
        const name = runName(labels.get(e.transport) ?? e.transport, e.payload_bytes, { withSize });
        tell(`Running ${name} (${e.phase}${e.rate ? `, ${e.rate} calls/s` : ""}): ${Number(e.elapsed_s).toFixed(1)} s, ` +
          `${e.calls} calls, ${e.errors} errors…`);
      },
      step: (e) => {
        const key = runKey(e.transport, e.payload_bytes);
        if (!pending.has(key)) pending.set(key, { transport: e.transport, payload_bytes: e.payload_bytes, steps: [] });
        pending.get(key).steps.push(e.step);
        redraw();
      },
      result: (r) => {
        results.push(r);
        pending.delete(runKey(r.transport, r.payload_bytes));
        progress.value = results.length;
        renderTable(results);
        redraw();
      },
    }, running.signal);
    if (outcome.report && !outcome.report.error) finish(outcome.report);
    else if (outcome.report) tell(`Error: ${outcome.report.message}`);
    else if (outcome.answer?.error) {
      received.textContent = JSON.stringify(outcome.answer, null, 4);
      tell(`Error (${outcome.status}): ${outcome.answer.message}`);
    } else if (outcome.answer?.data) finish(outcome.answer);
    else tell("The stream ended before its report: the run did not finish.");
  } catch (error) {
    if (error.name === "AbortError") {
      received.textContent = "Cancelled before the report.";
      tell("Cancelled: the stream is closed, and with it the run.");
    } else {
      tell(`Error: ${error}`);
    }
  } finally {
    running = null;
    runButton.disabled = false;
    cancelButton.disabled = true;
  }
});

cancelButton.addEventListener("click", () => running?.abort());

// The Stored logs panel: what the logger stored (the `logs` action, over the
// broker's default transport), newest first, filtered by name (exact, or as a
// prefix) and by trace id, a page at a time, and followed live: the newest
// page is asked for every LOGS_POLL_MS, and what was not shown yet goes on
// top. A trace id (under an answer's breakdown, or in the panel) filters the
// panel to that call. Loaded after app.js: it calls the broker with
// brokerFetch, which logs in where the broker asks for a token.
"use strict";

// How often the live view asks for the newest page.
const LOGS_POLL_MS = 2000;
// Past this many rows the live view starts over from the newest page.
const LOGS_MAX_ROWS = 1000;
// Data longer than this is shortened; the whole is a click (and a hover) away.
const LOGS_SHORT = 80;

const logsUi = {
  form: document.getElementById("logsForm"),
  name: document.getElementById("logsName"),
  prefix: document.getElementById("logsPrefix"),
  trace: document.getElementById("logsTrace"),
  limit: document.getElementById("logsLimit"),
  live: document.getElementById("logsLive"),
  next: document.getElementById("logsNext"),
  status: document.getElementById("logsStatus"),
  error: document.getElementById("logsError"),
  rows: document.getElementById("logsRows"),
};

// What the panel shows: the filters it was last asked for (the live view and
// the next page keep to them while the form is edited), the key of each entry
// shown (an entry has no id: its time, name, data and trace tell it apart),
// the cursor of the page after the oldest shown, a generation that starting
// over bumps, so that an answer to a request made before is dropped, and the
// loads under way (the live view waits for them: its answer would be read
// against the rows of the filters before).
const logsState = { filters: {}, seen: new Set(), next: null, generation: 0, live: true, polling: false, loads: 0 };

// The form's filters, as the `logs` query names them.
function logsFilters() {
  const filters = { limit: Number(logsUi.limit.value) };
  const name = logsUi.name.value;
  if (name !== "") filters[logsUi.prefix.checked ? "name_prefix" : "name"] = name;
  const trace = logsUi.trace.value.trim();
  if (trace !== "") filters.trace_id = trace;
  return filters;
}

// The query of the shown filters, from `cursor` on (the newest page without).
function logsQuery(cursor) {
  return cursor ? { ...logsState.filters, cursor } : logsState.filters;
}

// One `logs` call: `{ page }`, or `{ failure }` saying why there is none (the
// broker's 400 naming the field, a 401 the login did not cure, a 503…).
async function logsFetch(query) {
  try {
    const response = await brokerFetch("/handle", JSON.stringify({ action: "logs", logs: query }));
    const answer = await response.json();
    if (response.ok && !answer.error) return { page: answer.data };
    return { failure: `Error (${response.status}): ${answer.message ?? "no message"}` };
  } catch (error) {
    return { failure: `Error: ${error.message ?? error}` };
  }
}

// The page of an answer to a request of the current generation, or null
// once the panel shows why there is none.
function logsAnswered({ page, failure }) {
  logsUi.error.textContent = failure ?? "";
  logsUi.error.hidden = !failure;
  return page ?? null;
}

function logsKey(entry) {
  return JSON.stringify([entry.created_at, entry.name, entry.data, entry.trace_id]);
}

// `created_at` as the local time, with the date when it is not today's.
function logsClock(createdAt) {
  const time = new Date(createdAt);
  if (Number.isNaN(time.getTime())) return createdAt;
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  const clock = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.` +
    pad(time.getMilliseconds(), 3);
  const today = time.toDateString() === new Date().toDateString();
  return today ? clock : `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ${clock}`;
}

// An element with its properties and children (text or elements). The rows
// are built this way, not as HTML: an entry's data is anyone's text.
function logsElement(tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children.filter((c) => c !== null));
  return element;
}

function logsTraceButton(traceId) {
  return logsElement("button", { type: "button", className: "trace-id", textContent: traceId,
    title: "Show the entries of this call" });
}

// The data, whole when short; else its start, and the whole when opened.
function logsData(entry) {
  const cut = entry.truncated ? logsElement("span", { className: "muted", textContent: " (cut to fit the page)" }) : null;
  const short = entry.data.length <= LOGS_SHORT && !entry.data.includes("\n");
  if (short) return logsElement("td", { className: "data", title: entry.data }, entry.data, cut);
  const summary = logsElement("summary", { textContent: `${entry.data.slice(0, LOGS_SHORT).replace(/\s+/g, " ")}…` });
  const whole = logsElement("pre", { textContent: entry.data });
  return logsElement("td", { className: "data", title: entry.data }, logsElement("details", {}, summary, whole), cut);
}

function logsRow(entry) {
  const row = logsElement("tr", {},
    logsElement("td", { className: "time", title: entry.created_at, textContent: logsClock(entry.created_at) }),
    logsElement("td", { className: "name", textContent: entry.name }),
    logsData(entry),
    logsElement("td", {}, entry.trace_id ? logsTraceButton(entry.trace_id) : "—"));
  Object.assign(row.dataset, { name: entry.name, createdAt: entry.created_at, trace: entry.trace_id ?? "" });
  return row;
}

// Shows the entries not shown yet: "top" (new ones, in time order, marked a
// moment), "bottom" (an older page), or "replace" (instead of what is shown).
function logsShow(entries, where) {
  if (where === "replace") {
    logsUi.rows.replaceChildren();
    logsState.seen.clear();
  }
  const rows = [];
  for (const entry of entries) {
    const key = logsKey(entry);
    if (logsState.seen.has(key)) continue;
    logsState.seen.add(key);
    rows.push(logsRow(entry));
  }
  if (where === "top") {
    // Each before the first older one: an entry may be stored a moment after
    // a newer one (the original's event, the login's entry).
    const shown = [...logsUi.rows.children];
    for (const row of rows) {
      row.classList.add("fresh");
      logsUi.rows.insertBefore(row, shown.find((old) => old.dataset.createdAt < row.dataset.createdAt) ?? null);
    }
    setTimeout(() => rows.forEach((row) => row.classList.remove("fresh")), 3000);
  } else {
    logsUi.rows.append(...rows);
  }
}

// The newest page instead of what is shown, with its cursor.
function logsStartOver(page) {
  logsState.generation += 1;
  logsShow(page.entries, "replace");
  logsState.next = page.next;
  logsSay();
}

function logsSay() {
  const shown = logsState.seen.size;
  const entries = shown === 0 ? "No stored entries match." : `${shown} ${shown === 1 ? "entry" : "entries"}` +
    (logsState.next ? ", older ones on the next page." : ", all there are.");
  const live = logsState.live ? `Live: the newest every ${LOGS_POLL_MS / 1000} s.` : "Paused.";
  logsUi.status.textContent = `${entries} ${live}`;
  logsUi.next.disabled = !logsState.next;
}

// The newest page of the form's filters, instead of what is shown.
async function logsLoad() {
  const generation = ++logsState.generation;
  logsState.filters = logsFilters();
  logsUi.next.disabled = true;
  logsUi.status.textContent = "Loading…";
  logsState.loads += 1;
  const answer = await logsFetch(logsQuery());
  logsState.loads -= 1;
  if (generation !== logsState.generation) return;
  const page = logsAnswered(answer);
  if (page) {
    logsStartOver(page);
  } else {
    // The filters are refused or the broker cannot answer: nothing shown
    // is what they ask for.
    logsShow([], "replace");
    logsState.next = null;
    logsSay();
  }
}

// The live view's step: the newest page; what is new goes on top. When none
// of it is shown yet (more than a page arrived since, or nothing was shown),
// the panel starts over from it, so that the next page goes on from the
// oldest shown.
async function logsPoll() {
  if (!logsState.live || logsState.polling || logsState.loads > 0 || document.hidden) return;
  logsState.polling = true;
  const generation = logsState.generation;
  try {
    const answer = await logsFetch(logsQuery());
    if (generation !== logsState.generation) return;
    const page = logsAnswered(answer);
    if (!page) return;
    const overlaps = page.entries.some((entry) => logsState.seen.has(logsKey(entry)));
    if (!overlaps || logsState.seen.size + page.entries.length > LOGS_MAX_ROWS) {
      logsStartOver(page);
    } else {
      logsShow(page.entries, "top");
      logsSay();
    }
  } finally {
    logsState.polling = false;
  }
}

// The page after the oldest shown, at the bottom.
async function logsMore() {
  if (!logsState.next) return;
  const generation = logsState.generation;
  logsUi.next.disabled = true;
  const answer = await logsFetch(logsQuery(logsState.next));
  if (generation !== logsState.generation) return;
  const page = logsAnswered(answer);
  if (page) {
    logsShow(page.entries, "bottom");
    logsState.next = page.next;
  }
  logsSay();
}

// The entries of the call `traceId`, whatever their name.
function logsShowTrace(traceId) {
  logsUi.trace.value = traceId;
  logsUi.name.value = "";
  logsUi.prefix.checked = false;
  logsLoad();
  logsUi.form.scrollIntoView({ behavior: "smooth", block: "nearest" });
}

function logsSetLive(live) {
  logsState.live = live;
  logsUi.live.textContent = live ? "Pause" : "Resume";
  logsUi.live.setAttribute("aria-pressed", String(live));
  logsSay();
  if (live) logsPoll();
}

logsUi.form.addEventListener("submit", (event) => {
  event.preventDefault();
  logsLoad();
});
document.getElementById("logsClear").addEventListener("click", () => {
  logsUi.form.reset();
  logsLoad();
});
logsUi.live.addEventListener("click", () => logsSetLive(!logsState.live));
logsUi.next.addEventListener("click", logsMore);
for (const box of [document.getElementById("breakdown"), logsUi.rows]) {
  box.addEventListener("click", (event) => {
    const button = event.target.closest("button.trace-id");
    if (button) logsShowTrace(button.textContent);
  });
}

logsLoad();
setInterval(logsPoll, LOGS_POLL_MS);

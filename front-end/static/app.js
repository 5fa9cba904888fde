// The flexiconnect test page: the Go original's buttons, one button per
// action × transport, and their answers (the comparison view is compare.js).
"use strict";

const broker = document.body.dataset.brokerUrl;
const output = document.getElementById("output");
const sent = document.getElementById("payload");
const received = document.getElementById("received");

// Every transport, as the page was rendered with them (the protocol's list).
const TRANSPORTS = document.body.dataset.transports.split(",");
// One colour per transport, the same in every chart of the comparison.
const COLORS = { http: "#2f6fde", amqp: "#e8710a", rpc: "#7b61c4", grpc: "#1e9e6a", nats: "#c2185b" };
// The parts of one call's time, in the order they are stacked.
const PARTS = [
  { key: "transport", label: "transport", color: "#2f6fde" },
  { key: "queue", label: "queue", color: "#f0a202" },
  { key: "worker", label: "worker", color: "#7b61c4" },
  { key: "dependency", label: "dependency", color: "#3f9142" },
];

// The bodies the original page sent, plus ping and logs (the newest page).
const SAMPLES = {
  auth: { action: "auth", auth: { email: "admin@example.com", password: "verysecret" } },
  log: { action: "log", log: { name: "event", data: "Some kind of data" } },
  mail: {
    action: "mail",
    mail: { from: "me@example.com", to: "you@there.com", subject: "Test email", message: "Hello world!" },
  },
  ping: { action: "ping" },
  logs: { action: "logs", logs: {} },
};

// Text made safe inside HTML, attribute values in double quotes included.
function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = String(text);
  return span.innerHTML.replaceAll('"', "&quot;");
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

// `options` may add headers and an AbortSignal (the comparison's stream).
async function brokerFetch(path, body, options = {}) {
  const send = () => fetch(broker + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...options.headers,
      ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body,
    signal: options.signal,
  });
  let response = await send();
  if (response.status === 401 && (response.headers.get("WWW-Authenticate") ?? "").startsWith("Bearer")) {
    const login = await fetch(`${broker}/handle`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(SAMPLES.auth),
      signal: options.signal,
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
    // The trace id: a click shows what the call stored (the Stored logs panel, logs.js).
    (data.trace_id ? `<div>trace <button type="button" class="trace-id" title="Show the entries this call stored">` +
      `${escapeHtml(data.trace_id)}</button></div>` : "");
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

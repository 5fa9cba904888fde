// The live charts of a running comparison: throughput (req/s) and p99 (ms)
// of each (size, transport) run over time, one point per `progress` event.
// Loaded after compare-plot.js.
"use strict";

const liveBoxes = {
  rps: document.getElementById("liveRps"),
  p99: document.getElementById("liveP99"),
};

// The runs drawn (key → name, colour), the event times (s since the run
// started) and each run's values at those times (null where another run's
// event came).
let live = { started: 0, runs: new Map(), xs: [], rps: new Map(), p99: new Map(), phase: new Map() };

// Starts the live charts over for the runs the request asks for.
function liveReset(runs) {
  live = { started: performance.now(), runs: new Map(), xs: [], rps: new Map(), p99: new Map(), phase: new Map() };
  for (const run of runs) liveRun(run.key, run.name, run.color);
  liveDraw();
}

function liveRun(key, name, color) {
  if (live.runs.has(key)) return;
  live.runs.set(key, { name, color });
  live.rps.set(key, live.xs.map(() => null));
  live.p99.set(key, live.xs.map(() => null));
}

// One `progress` event: {transport, payload_bytes, rate, phase, elapsed_s,
// calls, errors, p50_ms, p99_ms, rps}.
function liveProgress(event, withSize) {
  const key = runKey(event.transport, event.payload_bytes);
  liveRun(key, runName(event.transport, event.payload_bytes, { withSize }), colorOf(event.transport));
  live.xs.push((performance.now() - live.started) / 1000);
  for (const [run, values] of live.rps) values.push(run === key ? event.rps ?? null : null);
  for (const [run, values] of live.p99) values.push(run === key ? event.p99_ms ?? null : null);
  live.phase.set(live.xs.length - 1, event.phase);
  liveDraw();
}

function liveDraw() {
  const series = [...live.runs.values()];
  const draw = (key, box, values, title, unit, format) => plot(key, box, {
    title,
    scales: { x: { time: false }, y: { range: (u, min, max) => [0, Math.max(max ?? 0, 1e-3) * 1.1] } },
    axes: [
      { label: "seconds since the run started", values: ticks((s) => `${Number(s.toFixed(1))} s`) },
      { label: unit, size: 60, values: ticks(format) },
    ],
    series: [
      { label: "time", value: (u, v, si, i) => (v === null ? "–" : `${v.toFixed(1)} s ${live.phase.get(i) ?? ""}`) },
      ...series.map((s) => ({ ...lineSeries(s.name, s.color, { points: 4 }), value: (u, v) => format(v) })),
    ],
  }, [live.xs, ...[...values.values()]], true);
  draw("liveRps", liveBoxes.rps, live.rps, "Throughput while running", "req/s", rpsLabel);
  draw("liveP99", liveBoxes.p99, live.p99, "p99 while running (ms, so far in each run)", "ms", ms);
}

// How many points the live charts got (the browser test asks).
function livePoints() {
  return live.xs.length;
}

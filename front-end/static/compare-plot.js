// What every chart of the comparison shares: uPlot (static/vendor/uplot,
// v1.6.32, MIT, loaded before this file), the registry of drawn charts, series
// names and colours. Loaded after app.js (COLORS).
"use strict";

// Every chart drawn, by name (liveRps, liveP99, spectrum, throughput, sizes,
// parts): the browser test reads their series and data.
const charts = {};
window.compareCharts = charts;

// A saved run's series are dashed, the current run's solid.
const SAVED_DASH = [6, 4];
const CHART_HEIGHT = 260;

function sizeLabel(bytes) {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const [unit, div] = bytes < 1048576 ? ["KiB", 1024] : ["MiB", 1048576];
  const value = bytes / div;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

// Whether the results were run for more than one payload size.
function sized(results) {
  return new Set(results.map((r) => r.payload_bytes ?? null)).size > 1;
}

// The key and name of one (size, transport) run: "grpc", "grpc · 1 KiB",
// "saved · grpc" (a bus's run is keyed by its transport, named by its bus).
function runKey(transport, payloadBytes) {
  return payloadBytes === null || payloadBytes === undefined ? transport : `${transport}@${payloadBytes}`;
}
// What a result's row and series are labelled by: its bus in an event
// comparison (its transport is the bus's), else its transport.
function runLabel(result) {
  return result.bus ?? result.transport;
}
function runName(transport, payloadBytes, { saved = false, withSize = false } = {}) {
  const parts = [saved ? "saved" : null, transport, withSize ? sizeLabel(payloadBytes) : null];
  return parts.filter((p) => p !== null && p !== "").join(" · ");
}

// A transport's colour, lighter for each further payload size.
function colorOf(transport, shade = 0) {
  const base = COLORS[transport] ?? "#52606d";
  if (shade <= 0) return base;
  const alpha = Math.max(0.35, 1 - 0.2 * shade);
  return base + Math.round(alpha * 255).toString(16).padStart(2, "0");
}

function lineSeries(label, stroke, { saved = false, width = 2, points = 5 } = {}) {
  return {
    label, stroke, width, spanGaps: true,
    dash: saved ? SAVED_DASH : undefined,
    points: { show: points > 0, size: points, stroke, fill: "#fff" },
  };
}

function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

function rpsLabel(value) {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10000 ? 0 : 1)}k` : value.toFixed(value >= 10 ? 0 : 1);
}

// A log-scaled axis (uPlot's distr 3) over positive values only.
const LOG = { distr: 3, log: 10 };

// A log axis's labels, each at least 56 px from the last (uPlot labels only
// whole decades on a short log axis, and crowds a long one).
function spaced(u, splits, axisIdx) {
  const scale = u.axes[axisIdx].scale;
  let last = -Infinity;
  return splits.map((v) => {
    const at = u.valToPos(v, scale);
    if (Math.abs(at - last) < 56) return null;
    last = at;
    return v;
  });
}

// A log axis's ticks at 1, 2 and 5 of each decade within [min, max] (every
// digit when that gives fewer than three), not at uPlot's multiples of min.
function logSplits(u, axisIdx, min, max) {
  const within = (digits) => {
    const splits = [];
    for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max; decade *= 10) {
      for (const d of digits) {
        const v = Number((d * decade).toPrecision(6));
        if (v >= min && v <= max) splits.push(v);
      }
    }
    return splits;
  };
  const coarse = within([1, 2, 5]);
  return coarse.length >= 3 ? coarse : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

// An axis's tick labels; uPlot hands a null for a tick it leaves unlabelled.
const ticks = (format) => (u, splits) => splits.map((v) => (v === null || v === undefined ? "" : format(v)));

// Draws chart `key` into `box`; with `reuse`, gives the one drawn there new
// data instead when its series are the same (the live charts update in place).
function plot(key, box, opts, data, reuse = false) {
  box.hidden = false;
  const signature = JSON.stringify(opts.series.map((s) => [s.label, s.stroke, s.dash]));
  const old = charts[key];
  if (reuse && old && old.signature === signature && box.contains(old.root)) {
    old.setData(data);
    return old;
  }
  old?.destroy();
  box.replaceChildren();
  const width = Math.max(280, box.clientWidth || 480);
  const chart = new uPlot({ width, height: CHART_HEIGHT, ...opts }, data, box);
  chart.signature = signature;
  charts[key] = chart;
  return chart;
}

function unplot(key, box) {
  charts[key]?.destroy();
  delete charts[key];
  box.replaceChildren();
  box.hidden = true;
}

// Tables of [x values, y values] joined on x (uPlot's own join; a gap where a
// table has no point).
function joined(tables) {
  if (tables.length === 0) return [[]];
  return uPlot.join(tables.map(([xs, ys]) => {
    const order = xs.map((x, i) => [x, ys[i]]).sort((a, b) => a[0] - b[0]);
    return [order.map((p) => p[0]), order.map((p) => p[1])];
  }));
}

window.addEventListener("resize", () => {
  for (const chart of Object.values(charts)) {
    const box = chart.root.parentNode;
    if (box?.clientWidth) chart.setSize({ width: box.clientWidth, height: chart.height });
  }
});

// The charts of a comparison's results, with uPlot: the percentile spectrum,
// latency against throughput (each sweep's knee marked), latency against
// payload size, and where each transport's time goes. A saved run loaded from
// its JSON is drawn over the current one, dashed. Loaded after compare-plot.js
// and app.js (PARTS, partsOf).
"use strict";

const chartBoxes = {
  spectrum: document.getElementById("spectrumChart"),
  throughput: document.getElementById("throughputChart"),
  knees: document.getElementById("knees"),
  sizes: document.getElementById("sizesChart"),
  parts: document.getElementById("partsChart"),
};

// The percentile axis as HdrHistogram's plotter draws it: a percentile p at
// 1/(1-p), log-scaled, so 90%, 99%, 99.9% … are a decade apart. The maximum
// (100%) is drawn a decade beyond 99.99%.
const MAX_X = 1e5;
const PERCENTILE_TICKS = [2, 10, 100, 1000, 10000, MAX_X];

function percentileX(percentile) {
  return percentile >= 100 ? MAX_X : 1 / (1 - percentile / 100);
}

function percentileLabel(x) {
  if (x === null || x === undefined) return "–";
  if (x >= MAX_X) return "max";
  return `${Number((100 * (1 - 1 / x)).toFixed(4))}%`;
}

function spectrumOf(r) {
  if (r.spectrum?.length) return r.spectrum;
  return [[50, r.p50_ms], [90, r.p90_ms], [99, r.p99_ms], [100, r.max_ms]].map(([percentile, value]) => ({
    percentile, ms: value,
  }));
}

// Every (size, transport) run to draw, the current run's and a saved one's.
function runsOf(current, saved) {
  const all = [...current, ...saved];
  const withSize = sized(all);
  const sizes = [...new Set(all.map((r) => r.payload_bytes ?? null))].sort((a, b) => a - b);
  const run = (r, isSaved) => ({
    r, saved: isSaved,
    key: (isSaved ? "saved:" : "") + runKey(r.transport, r.payload_bytes),
    name: runName(runLabel(r), r.payload_bytes, { saved: isSaved, withSize }),
    color: colorOf(r.transport, sizes.indexOf(r.payload_bytes ?? null)),
  });
  return [...current.map((r) => run(r, false)), ...saved.map((r) => run(r, true))];
}

const positive = ([x, y]) => x > 0 && y > 0;
const msAxis = (label = "ms") => ({ label, size: 64, values: ticks(ms) });

// Draws every results chart. `current`: the results so far; `saved`: a
// loaded run's results (or []); `pending`: the steps of sweeps still running
// (key → {transport, payload_bytes, steps}); `slo`: the sweep's SLO in ms.
function drawResults(current, saved, pending = new Map(), slo = null) {
  const runs = runsOf(current, saved);
  drawSpectrum(runs);
  drawThroughput(runs, pending, slo);
  drawSizes(runs);
  drawParts(current);
}

function drawSpectrum(runs) {
  if (runs.length === 0) return unplot("spectrum", chartBoxes.spectrum);
  const tables = runs.map((run) => {
    const points = spectrumOf(run.r);
    return [points.map((p) => percentileX(p.percentile)), points.map((p) => p.ms)];
  });
  plot("spectrum", chartBoxes.spectrum, {
    title: "Latency by percentile (ms)",
    scales: { x: { time: false, ...LOG, range: [1.6, MAX_X * 1.4] }, y: { range: (u, min, max) => [0, max * 1.05] } },
    axes: [
      // Every tick labelled (uPlot labels only some on a log axis).
      { label: "percentile (log of 1 / (1 − p))", splits: () => PERCENTILE_TICKS,
        filter: (u, splits) => splits, values: ticks(percentileLabel) },
      msAxis(),
    ],
    series: [
      { label: "percentile", value: (u, v) => percentileLabel(v) },
      ...runs.map((run) => ({ ...lineSeries(run.name, run.color, { saved: run.saved }), value: (u, v) => ms(v) })),
    ],
  }, joined(tables));
}

// p99 against achieved throughput. A sweep's curve is one point per step, in
// step order (past the knee, a transport may do fewer calls/s than it was
// asked: the curve bends back), so each series has x values of its own
// (uPlot's mode 2); any other run is one point. Each sweep's knee is a series
// of its own: a large dot.
function drawThroughput(runs, pending, slo) {
  const curves = runs.map((run) => ({ ...run, steps: run.r.steps ?? null, knee: run.r.knee }));
  const names = new Set(curves.map((c) => c.key));
  const withSize = sized(runs.map((run) => run.r));
  for (const [key, p] of pending) {
    if (names.has(key)) continue;
    curves.push({ key, saved: false, steps: p.steps, knee: undefined, r: p,
      name: runName(p.transport, p.payload_bytes, { withSize }), color: colorOf(p.transport) });
  }
  if (curves.length === 0) return unplot("throughput", chartBoxes.throughput);
  const data = [null];
  const series = [{}];
  const planned = [null];
  const add = (points, options) => {
    const shown = points.filter((p) => positive([p.rps, p.p99_ms]));
    data.push([shown.map((p) => p.rps), shown.map((p) => p.p99_ms)]);
    planned.push(shown.map((p) => p.rate));
    series.push({ ...options, points: { ...options.points, paths: facetPoints }, value: (u, v, si, i) => (i === null || i === undefined || data[si][0][i] === undefined ? "–"
      : `${ms(data[si][1][i])} ms at ${rpsLabel(data[si][0][i])}/s` + (planned[si][i] ? ` (asked ${planned[si][i]}/s)` : "")) });
  };
  for (const c of curves) {
    add(c.steps?.length ? c.steps : [c.r], lineSeries(c.name, c.color, { saved: c.saved }));
    const kneeStep = typeof c.knee === "number" ? c.steps?.find((s) => s.rate === c.knee) : null;
    if (kneeStep) {
      add([kneeStep], { label: `${c.name} knee`, stroke: c.color, paths: () => null,
        points: { show: true, size: 13, width: 2, stroke: c.color, fill: c.saved ? "#fff" : c.color } });
    }
  }
  plot("throughput", chartBoxes.throughput, {
    mode: 2,
    title: "p99 against throughput (ms)",
    scales: { x: { time: false, ...LOG, range: snug }, y: { ...LOG, range: snug } },
    axes: [{ label: "achieved calls/s", splits: logSplits, filter: spaced, values: ticks(rpsLabel) },
      { ...msAxis("p99 ms"), splits: logSplits, filter: spaced }],
    cursor: { dataIdx: nearest, points: { size: 9 } },
    series,
  }, data);
  drawKnees(curves.filter((c) => c.knee !== undefined), slo);
}

// A log scale just around its data (uPlot's own widens it to whole decades).
function snug(u, min, max) {
  if (!(min > 0 && max > 0)) return [1, 10];
  return [min / 1.3, max * 1.3];
}

// uPlot's points, over the whole of a mode 2 series (its builder is handed
// mode 1's visible range, which mode 2 does not have).
const everyPoint = uPlot.paths.points();
const facetPoints = (u, si, i0, i1, idxs) => everyPoint(u, si, 0, u.data[si][0].length - 1, idxs);

// In mode 2 the cursor's point of a series is its point nearest the pointer
// (within 24 px), or none.
function nearest(u, si) {
  const [xs, ys] = u.data[si] ?? [[], []];
  const { left, top } = u.cursor;
  if (left === undefined || left < 0) return null;
  let best = null;
  let least = 24 * 24;
  xs.forEach((x, i) => {
    const dx = u.valToPos(x, "x") - left;
    const dy = u.valToPos(ys[i], "y") - top;
    if (dx * dx + dy * dy < least) {
      least = dx * dx + dy * dy;
      best = i;
    }
  });
  return best;
}

function drawKnees(sweeps, slo) {
  const box = chartBoxes.knees;
  if (sweeps.length === 0) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const within = slo === null ? "met the SLO" : `kept p99 ≤ ${slo} ms`;
  box.innerHTML = `<strong>Knee</strong> <span class="muted">(the highest rate whose step ${within}
    with at most 1 % errors)</span>: ` + sweeps.map((c) => {
    const knee = c.knee === null ? "none" : `${c.knee} calls/s`;
    return `<span class="knee" data-transport="${escapeHtml(c.r.transport)}" data-saved="${c.saved}"
      data-knee="${c.knee ?? ""}" style="color:${c.color}">${escapeHtml(c.name)} ${knee}</span>`;
  }).join(" · ");
  box.hidden = false;
}

// Latency against payload size, when more than one size was run: p50 thin,
// p99 thick, one pair per transport (and per saved transport).
function drawSizes(runs) {
  if (!sized(runs.map((run) => run.r))) return unplot("sizes", chartBoxes.sizes);
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.saved}:${run.r.transport}`;
    if (!groups.has(key)) groups.set(key, { ...run, name: runName(runLabel(run.r), null, { saved: run.saved }),
      color: colorOf(run.r.transport), points: [] });
    groups.get(key).points.push(run.r);
  }
  const tables = [];
  const series = [];
  for (const g of groups.values()) {
    const points = g.points.filter((r) => r.payload_bytes !== undefined && r.payload_bytes !== null);
    for (const [field, label, width] of [["p50_ms", "p50", 1], ["p99_ms", "p99", 2.5]]) {
      tables.push([points.map((r) => r.payload_bytes), points.map((r) => r[field])]);
      series.push({ ...lineSeries(`${g.name} ${label}`, g.color, { saved: g.saved, width, points: width * 2 + 2 }),
        value: (u, v) => ms(v) });
    }
  }
  const sizes = [...new Set(runs.map((run) => run.r.payload_bytes).filter((b) => b !== undefined && b !== null))];
  plot("sizes", chartBoxes.sizes, {
    title: "Latency against payload size (ms)",
    // asinh: log-like, and 0 bytes has a place on it.
    scales: { x: { time: false, distr: 4, asinh: 1 }, y: { range: (u, min, max) => [0, max * 1.05] } },
    axes: [{ label: "payload bytes", splits: () => sizes.sort((a, b) => a - b), filter: (u, splits) => splits,
      values: ticks(sizeLabel) }, msAxis()],
    series: [{ label: "payload", value: (u, v) => (v === null ? "–" : sizeLabel(v)) }, ...series],
  }, joined(tables));
}

// The medians of each part of a call's time per run, stacked bars (split as
// one call's timing is: app.js's partsOf).
function drawParts(results) {
  const rows = results.filter((r) => r.breakdown);
  if (rows.length === 0) return unplot("parts", chartBoxes.parts);
  const withSize = sized(results);
  const names = rows.map((r) => runName(runLabel(r), r.payload_bytes, { withSize }));
  const values = Object.fromEntries(PARTS.map((p) => [p.key, []]));
  for (const r of rows) {
    const b = r.breakdown;
    const parts = partsOf({ transport_ms: b.transport.p50_ms, queue_ms: b.queue?.p50_ms,
      worker_ms: b.worker.p50_ms, dependency_ms: b.dependency.p50_ms });
    for (const p of PARTS) values[p.key].push(parts[p.key]);
  }
  const xs = rows.map((_, i) => i);
  // Each bar's top is the sum of the parts below it; the tallest is drawn first.
  const order = [...PARTS].reverse();
  const tops = order.map((_, j) => xs.map((i) =>
    PARTS.slice(0, PARTS.length - j).reduce((sum, q) => sum + values[q.key][i], 0)));
  const bars = uPlot.paths.bars({ size: [0.6, 72] });
  const chart = plot("parts", chartBoxes.parts, {
    title: "Where the time goes (p50 of each part, ms)",
    scales: { x: { time: false, range: [-0.5, rows.length - 0.5] }, y: { range: (u, min, max) => [0, max * 1.1] } },
    axes: [{ splits: () => xs, values: ticks((i) => names[i] ?? ""), grid: { show: false } },
      msAxis()],
    cursor: { points: { show: false } },
    series: [
      { label: "run", value: (u, v) => names[v] ?? "–" },
      ...order.map((p) => ({ label: p.label, stroke: p.color, fill: p.color, paths: bars, points: { show: false },
        value: (u, v, si, i) => (i === null || i === undefined ? "–" : ms(values[p.key][i])) })),
    ],
  }, [xs, ...tops]);
  // What the bars are made of, for the browser test.
  chart.parts = { names, values };
}

// What the comparison's tests (page.test.mjs, events.test.mjs) share: filling
// the form and running it, reading the table and the charts (uPlot instances
// the page keeps in compareCharts), a download and its CSV, and watching
// where the page's assets come from.
import { readFile } from "node:fs/promises";

// broker/src/cli/render.rs CSV_HEADER: the page's CSV has the broker CLI's columns.
export const CSV_HEADER = ["action", "mode", "requests", "concurrency", "payload_bytes", "rate", "transport", "ok",
  "errors", "p50_ms", "p90_ms", "p99_ms", "max_ms", "rps", "elapsed_ms", "service_p50_ms", "service_p99_ms", "late",
  "knee", "transport_p50_ms", "queue_p50_ms", "worker_p50_ms", "dependency_p50_ms", "first_error", "bus",
  "e2e_stored", "e2e_missing", "e2e_p50_ms", "e2e_p99_ms"];

const FINISHED = /^(Done|Error|Cancelled|Cannot|The stream|Pick)/;

// Fills the comparison form in the order given (the action first: it changes
// what the other fields allow; `true` or `false` checks a box or a choice),
// submits it and waits until the status line says how the run ended. Returns
// that line.
export async function compareWith(page, fields, { timeout = 120_000 } = {}) {
  for (const [selector, value] of fields) {
    if (selector === "#cmpAction" || selector === "#cmpMode") await page.selectOption(selector, value);
    else if (typeof value === "boolean") await page.setChecked(selector, value);
    else await page.fill(selector, String(value));
  }
  await page.click("#compareBtn");
  await page.waitForFunction((finished) => new RegExp(finished).test(
    document.querySelector("#compareStatus").textContent), FINISHED.source, { timeout });
  return page.textContent("#compareStatus");
}

// The series of one chart: label, how many points it has, whether it is dashed.
export function chartSeries(page, key) {
  return page.evaluate((key) => {
    const chart = compareCharts[key];
    if (!chart) return null;
    const values = (si) => (chart.mode === 2 ? chart.data[si]?.[1] ?? [] : chart.data[si] ?? []);
    return chart.series.slice(1).map((s, i) => ({
      label: s.label,
      points: values(i + 1).filter((v) => v !== null && v !== undefined).length,
      dashed: Array.isArray(s.dash) && s.dash.length > 0,
    }));
  }, key);
}

// The comparison table's rows, by column name.
export async function tableRows(page) {
  return page.$eval("#compareTable", (table) => {
    const names = [...table.tHead.rows[0].cells].map((c) => c.textContent);
    return [...table.tBodies[0].rows].map((tr) => Object.fromEntries([...tr.cells].map((td, i) => [names[i], td.textContent])));
  });
}

// Clicks a download button; the file's suggested name, path and text.
export async function downloaded(page, selector) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), path, text: await readFile(path, "utf8") };
}

// RFC 4180 as the page writes it: fields quoted when they hold a comma, a
// quote or a line break.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field.replace(/\r$/, ""));
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
}

// Collects what went wrong loading the page's own assets (a failed request or
// an error status from the front-end), and any asset fetched from anywhere
// else (the page works offline: no CDN). The broker's calls are fetches.
export function servedFromPage(page, url) {
  const origin = new URL(url).origin;
  const wrong = [];
  page.on("request", (request) => {
    const foreign = new URL(request.url()).origin !== origin;
    if (foreign && !["fetch", "xhr"].includes(request.resourceType())) wrong.push(`foreign ${request.url()}`);
  });
  page.on("requestfailed", (request) => {
    if (new URL(request.url()).origin === origin) wrong.push(`failed ${request.url()}`);
  });
  page.on("response", (response) => {
    const at = new URL(response.url());
    if (at.origin === origin && at.pathname !== "/favicon.ico" && response.status() >= 400) {
      wrong.push(`${response.status()} ${response.url()}`);
    }
  });
  return wrong;
}

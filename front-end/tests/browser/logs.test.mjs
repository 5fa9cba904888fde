// The Stored logs panel (static/logs.js) in headless Chromium against a
// running stack:
//   PAGE_URL=http://127.0.0.1:8081 node --test logs.test.mjs
// A log over each transport and the original's event, each found in the panel
// by its answer's trace id (the link under the breakdown); a small page, then
// the next ones; the live view (a new entry on top without a reload, none
// while paused, then it comes); long data shortened; the broker's errors shown
// in the panel; and where the broker asks a token for logs, the page logs in
// for the panel as it does for mail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { TRANSPORTS, clickAndRead, tokensRequired, url, withBrowser } from "./page-helpers.mjs";

const screenshot = process.env.SCREENSHOT_LOGS;
// What the original's Test Log and the grid's log buttons write.
const LOGGED = { name: "event", data: "Some kind of data" };
// Two of the panel's polls (every 2 s) and a margin.
const TWO_POLLS_MS = 4500;

// A test of the panel (with the stack's defaults: no token needed), on a
// page of its own once the panel has shown its first page.
function panelTest(name, body) {
  test(name, { skip: tokensRequired }, () => withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url, { waitUntil: "load" });
    await settled(page);
    await body(page);
  }));
}

// Waits until the panel has an answer to its last load.
function settled(page) {
  return page.waitForFunction(() => !document.querySelector("#logsStatus").textContent.startsWith("Loading"));
}

// The panel's rows, top first.
function panelRows(page) {
  return page.$$eval("#logsRows tr", (rows) => rows.map((tr) => ({
    name: tr.dataset.name,
    createdAt: tr.dataset.createdAt,
    trace: tr.dataset.trace,
    data: tr.querySelector("td.data").title,
    shown: (tr.querySelector("td.data summary") ?? tr.querySelector("td.data")).textContent,
  })));
}

// The panel's rows once `check` holds for them (the live view brings them
// within a poll; an event is stored a moment after its 202).
async function rowsWhen(page, check, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const rows = await panelRows(page);
    if (check(rows)) return rows;
    if (Date.now() > deadline) {
      const status = `${await page.textContent("#logsStatus")} ${await page.textContent("#logsError")}`;
      assert.fail(`${what}: ${status} ${JSON.stringify(rows)}`);
    }
    await sleep(100);
  }
}

// Sets the panel's filters and shows their newest page.
async function filter(page, { name = "", prefix = false, trace = "", limit = 20 }) {
  await page.fill("#logsName", name);
  await page.setChecked("#logsPrefix", prefix);
  await page.fill("#logsTrace", trace);
  await page.fill("#logsLimit", String(limit));
  await page.click("#logsShow");
  await settled(page);
}

// Logs `data` under `name` from the page (over gRPC), one after the other.
function logFromPage(page, name, data) {
  return page.evaluate(async ({ name, data }) => {
    for (const d of data) {
      const body = JSON.stringify({ action: "log", transport: "grpc", log: { name, data: d } });
      const response = await brokerFetch("/handle", body);
      if (response.status !== 202) throw new Error(`${response.status} ${await response.text()}`);
    }
  }, { name, data });
}

const count = (rows, trace) => rows.filter((r) => r.trace === trace).length;

panelTest("each log's entry is found in the panel by its call's trace id", async (page) => {
  for (const button of [...TRANSPORTS.map((t) => `#btn-log-${t}`), "#logBtn"]) {
    const answer = await clickAndRead(page, button);
    assert.equal(answer.error, false, `${button}: ${JSON.stringify(answer)}`);
    assert.match(answer.trace_id, /^[0-9a-f]{32}$/, button);
    await page.click("#breakdown button.trace-id");
    assert.equal(await page.inputValue("#logsTrace"), answer.trace_id);
    const rows = await rowsWhen(page, (rows) => rows.length === 1 && rows[0].trace === answer.trace_id, button);
    assert.deepEqual({ name: rows[0].name, data: rows[0].data }, LOGGED, button);
  }
  // The live view goes on asking: the entry is still there once.
  const [last] = await panelRows(page);
  await sleep(TWO_POLLS_MS);
  assert.deepEqual(await panelRows(page), [last]);
  // A trace id in the panel is a filter too; the filters cleared, it is among the newest.
  await filter(page, {});
  await page.click(`#logsRows tr[data-trace="${last.trace}"] button.trace-id`);
  await rowsWhen(page, (rows) => rows.length === 1 && rows[0].trace === last.trace, "the panel's trace link");
});

panelTest("a small page, then the next ones: older entries below, none twice", async (page) => {
  const name = `paged-${process.pid}-${Date.now()}`;
  await logFromPage(page, name, ["0", "1", "2", "3", "4"]);
  await filter(page, { name, limit: 2 });
  assert.deepEqual((await panelRows(page)).map((r) => r.data), ["4", "3"]);
  await page.click("#logsNext");
  await rowsWhen(page, (rows) => rows.length === 4, "the second page");
  await page.click("#logsNext");
  const rows = await rowsWhen(page, (rows) => rows.length === 5, "the third page");
  assert.deepEqual(rows.map((r) => r.data), ["4", "3", "2", "1", "0"]);
  const times = rows.map((r) => Date.parse(r.createdAt));
  assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
  assert.equal(await page.isDisabled("#logsNext"), true, "the last page has no next");
  assert.match(await page.textContent("#logsStatus"), /^5 entries, all there are/);
  // The name as a prefix: the same entries; as an exact name, none.
  await filter(page, { name: name.slice(0, -3), prefix: true });
  assert.equal((await panelRows(page)).length, 5);
  await filter(page, { name: name.slice(0, -3) });
  assert.deepEqual(await panelRows(page), []);
  assert.match(await page.textContent("#logsStatus"), /^No stored entries match/);
});

panelTest("the live view brings new entries on top without a reload, and none while paused", async (page) => {
  await page.evaluate(() => { window.sameDocument = true; });
  const first = await clickAndRead(page, "#btn-log-rpc");
  let rows = await rowsWhen(page, (rows) => rows[0]?.trace === first.trace_id, "a new entry on top");
  assert.deepEqual([rows[0].name, rows[0].data], [LOGGED.name, LOGGED.data]);

  await page.click("#logsLive");
  assert.equal(await page.textContent("#logsLive"), "Resume");
  assert.match(await page.textContent("#logsStatus"), /Paused\.$/);
  const second = await clickAndRead(page, "#btn-log-http");
  await sleep(TWO_POLLS_MS);
  assert.equal(count(await panelRows(page), second.trace_id), 0, "nothing new while paused");
  await page.click("#logsLive");
  assert.equal(await page.textContent("#logsLive"), "Pause");
  rows = await rowsWhen(page, (rows) => rows[0]?.trace === second.trace_id, "after Resume");
  assert.deepEqual([count(rows, first.trace_id), count(rows, second.trace_id)], [1, 1], "each once");

  // Long data is shortened; the whole is in the title and a click away.
  const long = `${"A long line of data. ".repeat(8)}\nand a second line`;
  const name = `long-${process.pid}`;
  await logFromPage(page, name, [long]);
  rows = await rowsWhen(page, (rows) => rows[0]?.name === name, "the long entry");
  assert.equal(rows[0].data, long);
  assert.ok(rows[0].shown.length <= 81 && rows[0].shown.endsWith("…"), rows[0].shown);
  await page.click("#logsRows tr:first-child details summary");
  assert.equal(await page.textContent("#logsRows tr:first-child details pre"), long);
  assert.equal(await page.evaluate(() => window.sameDocument), true, "the page was not reloaded");
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
});

panelTest("the broker's errors show in the panel", async (page) => {
  await filter(page, { trace: "XYZ" });
  assert.equal(await page.isVisible("#logsError"), true);
  assert.match(await page.textContent("#logsError"), /^Error \(400\): .*logs\.trace_id must be 32 lower-case hex digits/);
  assert.deepEqual(await panelRows(page), []);
  // (A page size out of 1 to 100 the form itself refuses.)

  // The logger unreachable: the broker's 503, as it answers it.
  const origin = new URL(url).origin;
  await page.route("**/handle", (route) => (route.request().postDataJSON()?.action === "logs"
    ? route.fulfill({ status: 503, contentType: "application/json", headers: { "Access-Control-Allow-Origin": origin },
      body: JSON.stringify({ error: true, message: "the logger is unreachable" }) })
    : route.fallback()));
  await filter(page, {});
  assert.equal(await page.textContent("#logsError"), "Error (503): the logger is unreachable");
  await page.unroute("**/handle");
  await filter(page, {});
  assert.equal(await page.isVisible("#logsError"), false, "a good answer clears the error");
});

test("where logs needs a token, the panel logs in as the page does for mail", { skip: !tokensRequired }, () =>
  withBrowser(async (browser) => {
    const page = await browser.newPage();
    const statuses = [];
    page.on("response", (response) => {
      const request = response.request();
      if (request.method() === "POST" && request.postDataJSON()?.action === "logs") statuses.push(response.status());
    });
    await page.goto(url, { waitUntil: "load" });
    await settled(page);
    assert.deepEqual(statuses.slice(0, 2), [401, 202], "refused without a token, answered with one");
    assert.equal(await page.isVisible("#logsError"), false);
    assert.match(await page.$eval("#output", (o) => o.textContent), /Logged in as admin@example\.com/);
    const answer = await clickAndRead(page, "#btn-log-http");
    await rowsWhen(page, (rows) => rows[0]?.trace === answer.trace_id, "an entry logged after the login");
    assert.ok(!statuses.slice(1).includes(401), JSON.stringify(statuses));
  }));

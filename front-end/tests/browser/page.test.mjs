// Drives the test page in a real headless Chromium (Debian's package, no
// browser download) against a running stack:
//   PAGE_URL=http://127.0.0.1:8081 node --test page.test.mjs
// Clicks every button, checks that the Received pane holds the broker's answer,
// runs a small comparison and checks its table and charts; then runs the
// comparison's modes (rate, sweep, payload sizes) as one streamed /compare
// each and checks the live chart, the result charts, the knee, the JSON and
// CSV downloads, a saved run drawn over the current one, an error and Cancel.
// (The Stored logs panel is logs.test.mjs's; `node --test` runs both.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { CSV_HEADER, chartSeries, compareWith, downloaded, parseCsv, servedFromPage, tableRows } from "./compare-helpers.mjs";
import { TRANSPORTS, clickAndRead, launch, tokensRequired, url } from "./page-helpers.mjs";

const screenshot = process.env.SCREENSHOT;

const EXPECTED = {
  auth: "Authenticated",
  log: "logged",
  mail: "Message sent to you@there.com",
  ping: "pong",
  logs: "stored logs",
};

// Runs a closed comparison of `ping` from the page and waits until it says Done.
async function comparePing(page, requests, concurrency) {
  const status = await compareWith(page, [["#cmpAction", "ping"], ["#cmpMode", "closed"],
    ["#cmpRequests", requests], ["#cmpConcurrency", concurrency]]);
  assert.match(status, /^Done/);
}

test("every button gets the broker's answer and the comparison draws its chart", { skip: tokensRequired }, async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const failedAssets = servedFromPage(page, url);
    await page.goto(url, { waitUntil: "load" });
    assert.equal(await page.title(), "flexiconnect: test microservices");

    // The original's five buttons, with each action's default transport.
    const originals = [
      ["#brokerBtn", "Hit the broker", undefined],
      ["#authBrokerBtn", "Authenticated", "http"],
      ["#logBtn", "logged via RabbitMQ", "amqp"],
      ["#mailBtn", "Message sent to you@there.com", "http"],
      ["#logGBtn", "logged", "grpc"],
    ];
    for (const [selector, message, transport] of originals) {
      const answer = await clickAndRead(page, selector);
      assert.equal(answer.error, false, `${selector}: ${JSON.stringify(answer)}`);
      assert.equal(answer.message, message, selector);
      assert.equal(answer.transport, transport, selector);
    }
    assert.equal(JSON.parse(await page.$eval("#payload", (p) => p.textContent)).action, "log");

    // Every action over every transport: one click each.
    for (const action of Object.keys(EXPECTED)) {
      for (const transport of TRANSPORTS) {
        const answer = await clickAndRead(page, `#btn-${action}-${transport}`);
        assert.equal(answer.error, false, `${action}/${transport}: ${JSON.stringify(answer)}`);
        assert.equal(answer.message, EXPECTED[action], `${action}/${transport}`);
        assert.equal(answer.transport, transport);
        assert.ok(answer.elapsed_ms > 0);
        // Where the time went: the parts are there, and the page draws them.
        const t = answer.timing;
        // (A ping's worker does nothing: its time may round to 0 µs.)
        const worked = action === "ping" ? t.worker_ms >= 0 : t.worker_ms > 0;
        assert.ok(t && t.total_ms > 0 && worked, `${action}/${transport}: ${JSON.stringify(t)}`);
        assert.equal(t.queue_ms !== undefined, transport === "amqp", `${action}/${transport} queue`);
        const shown = await page.$eval("#breakdown", (b) => ({ hidden: b.hidden, text: b.textContent,
          parts: [...b.querySelectorAll(".part")].map((p) => p.dataset.part),
          trace: b.querySelector(".trace-id")?.textContent }));
        assert.equal(shown.hidden, false);
        // The call's trace id, as the broker answered it.
        assert.match(answer.trace_id, /^[0-9a-f]{32}$/, `${action}/${transport}`);
        assert.equal(shown.trace, answer.trace_id);
        assert.match(shown.text, new RegExp(`${action} · ${transport}`));
        assert.ok(shown.parts.includes("transport"), JSON.stringify(shown));
        if (action !== "ping") assert.ok(shown.parts.includes("worker"), JSON.stringify(shown));
      }
    }
    assert.match(await page.$eval("#output", (o) => o.textContent), /Response from broker service/);

    // A small comparison: progress, then the chart and the table.
    // Logins and mails are costly: the form offers at most 20 per transport.
    await page.fill("#cmpRequests", "200");
    await page.selectOption("#cmpAction", "mail");
    assert.equal(await page.inputValue("#cmpRequests"), "20");
    await comparePing(page, 20, 4);
    assert.equal(await page.$eval("#compareProgress", (p) => p.value), TRANSPORTS.length);
    const rows = await page.$$eval("#compareTable tbody tr", (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows.map((r) => r[0]), TRANSPORTS);
    for (const row of rows) assert.deepEqual(row.slice(1, 3), ["20", "0"], row.join(" "));
    // The percentile spectrum (uPlot): a line per transport, from p50 to the maximum.
    const spectrum = await chartSeries(page, "spectrum");
    assert.deepEqual(spectrum.map((s) => s.label), TRANSPORTS, JSON.stringify(spectrum));
    for (const s of spectrum) assert.ok(s.points >= 4, `${s.label}: ${s.points} percentiles`);
    // Where the time goes: a stacked bar per transport, split by app.js's partsOf.
    const parts = await page.evaluate(() => compareCharts.parts?.parts);
    assert.deepEqual(parts?.names, TRANSPORTS, JSON.stringify(parts));
    parts.names.forEach((transport, i) => assert.ok(parts.values.transport[i] > 0, `${transport}: ${JSON.stringify(parts)}`));
    assert.ok(parts.values.queue[parts.names.indexOf("amqp")] > 0, `amqp waits in RabbitMQ: ${JSON.stringify(parts)}`);
    assert.deepEqual(parts.names.filter((_, i) => parts.values.queue[i] > 0), ["amqp"]);

    assert.deepEqual(failedAssets, [], "every asset loads from the front-end itself");
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
});

test("the comparison's modes stream live, chart each transport, mark the knee and save the run", { skip: tokensRequired },
  async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const failedAssets = servedFromPage(page, url);
      const compares = [];
      page.on("response", async (response) => {
        const request = response.request();
        if (request.method() !== "POST" || !request.url().endsWith("/compare")) return;
        compares.push({ accept: request.headers().accept, type: response.headers()["content-type"] });
      });
      await page.goto(url, { waitUntil: "load" });

      // A rate run: ONE streamed /compare over every transport; the live
      // chart gets its points from the progress events, before the report.
      let status = await compareWith(page, [["#cmpAction", "ping"], ["#cmpMode", "rate"], ["#cmpRate", 50],
        ["#cmpDuration", 1], ["#cmpInflight", 16], ["#cmpWarmup", 0], ["#cmpSizes", ""]]);
      assert.match(status, /^Done: ping at 50 calls\/s/, status);
      assert.deepEqual(compares, [{ accept: "text/event-stream", type: compares[0]?.type }]);
      assert.match(compares[0].type, /^text\/event-stream/);
      const sent = JSON.parse(await page.textContent("#payload"));
      assert.deepEqual([sent.mode, sent.rate, sent.duration, sent.warmup, sent.transports],
        ["rate", 50, 1, 0, TRANSPORTS]);
      let answer = JSON.parse(await page.textContent("#received"));
      assert.equal(answer.error, false);
      assert.equal(answer.data.mode, "rate");
      assert.ok(await page.evaluate(() => livePoints()) > 0, "the live chart got points while running");
      const live = await chartSeries(page, "liveRps");
      assert.deepEqual(live.map((s) => s.label), TRANSPORTS);
      assert.ok(live.some((s) => s.points > 0), JSON.stringify(live));
      let rows = await tableRows(page);
      assert.deepEqual(rows.map((r) => r.transport), TRANSPORTS);
      for (const row of rows) {
        assert.ok(Number(row.ok) > 0 && row.errors === "0" && row["planned/s"] === "50", JSON.stringify(row));
      }
      let spectrum = await chartSeries(page, "spectrum");
      assert.deepEqual(spectrum.map((s) => s.label), TRANSPORTS);
      for (const s of spectrum) assert.ok(s.points >= 4, JSON.stringify(s));
      const rated = await chartSeries(page, "throughput");
      assert.deepEqual(rated.map((s) => [s.label, s.points]), TRANSPORTS.map((t) => [t, 1]));
      assert.equal(await page.isHidden("#knees"), true, "a rate run has no knee");

      // A sweep: rates 50 and 100, each step a second, SLO 1 s: every
      // transport meets it, and its knee is marked on the curve.
      status = await compareWith(page, [["#cmpMode", "sweep"], ["#cmpStartRate", 50], ["#cmpMaxRate", 100],
        ["#cmpSlo", 1000], ["#cmpStepDuration", 1], ["#cmpInflight", 16], ["#cmpWarmup", 0]]);
      assert.match(status, /^Done: ping, a sweep from 50 to 100 calls\/s/, status);
      assert.equal(compares.length, 2, "one request for the sweep");
      answer = JSON.parse(await page.textContent("#received"));
      const knees = Object.fromEntries(answer.data.results.map((r) => [r.transport, r.knee]));
      for (const t of TRANSPORTS) assert.ok([50, 100].includes(knees[t]), JSON.stringify(knees));
      const curves = await chartSeries(page, "throughput");
      assert.deepEqual(curves.map((s) => s.label), TRANSPORTS.flatMap((t) => [t, `${t} knee`]));
      for (const c of curves) assert.equal(c.points, c.label.endsWith("knee") ? 1 : 2, JSON.stringify(c));
      const shown = await page.$$eval("#knees .knee", (spans) => spans.map((s) => [s.dataset.transport, s.dataset.knee]));
      assert.deepEqual(shown, TRANSPORTS.map((t) => [t, String(knees[t])]));
      rows = await tableRows(page);
      assert.deepEqual(rows.map((r) => r["knee /s"]), TRANSPORTS.map((t) => String(knees[t])));

      // The run as files: the report's data as JSON, and CSV with a row per transport.
      const json = await downloaded(page, "#downloadJson");
      const report = JSON.parse(json.text);
      assert.match(json.name, /\.json$/);
      assert.deepEqual(report, answer.data, "the JSON is the report's data");
      const csv = await downloaded(page, "#downloadCsv");
      const [header, ...lines] = parseCsv(csv.text);
      assert.deepEqual(header, CSV_HEADER, "the columns of broker compare --format csv");
      const cell = (line, name) => line[CSV_HEADER.indexOf(name)];
      assert.deepEqual(lines.map((l) => cell(l, "transport")), TRANSPORTS);
      for (const l of lines) {
        assert.equal(l.length, CSV_HEADER.length);
        assert.deepEqual([cell(l, "mode"), cell(l, "knee"), cell(l, "payload_bytes")],
          ["sweep", String(knees[cell(l, "transport")]), ""], l.join(","));
        assert.ok(Number(cell(l, "ok")) > 0 && cell(l, "rate") !== "", l.join(","));
      }

      // The saved run, loaded back, is drawn dashed over the current one.
      await page.setInputFiles("#loadSaved", json.path);
      // The page reads the file asynchronously; it shows "Clear" once drawn.
      await page.waitForSelector("#clearSaved", { state: "visible" });
      spectrum = await chartSeries(page, "spectrum");
      assert.deepEqual(spectrum.map((s) => s.label), [...TRANSPORTS, ...TRANSPORTS.map((t) => `saved · ${t}`)]);
      assert.deepEqual(spectrum.map((s) => s.dashed), [...TRANSPORTS.map(() => false), ...TRANSPORTS.map(() => true)]);
      assert.ok((await chartSeries(page, "throughput")).some((s) => s.label === "saved · grpc knee"));
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
      await page.click("#clearSaved");

      // Two payload sizes: latency against size, a p50 and a p99 line per transport.
      status = await compareWith(page, [["#cmpMode", "closed"], ["#cmpRequests", 20], ["#cmpConcurrency", 4],
        ["#cmpSizes", "0, 4096"]]);
      assert.match(status, /^Done/, status);
      rows = await tableRows(page);
      assert.equal(rows.length, 2 * TRANSPORTS.length);
      assert.deepEqual([...new Set(rows.map((r) => r.bytes))], ["0", "4096"]);
      const sizes = await chartSeries(page, "sizes");
      assert.deepEqual(sizes.map((s) => s.label), TRANSPORTS.flatMap((t) => [`${t} p50`, `${t} p99`]));
      for (const s of sizes) assert.equal(s.points, 2, JSON.stringify(s));

      // An error answered as JSON before the run shows in the status line.
      status = await compareWith(page, [["#cmpSizes", "1, 2, 3, 4, 5, 6, 7, 8, 9"]]);
      assert.match(status, /^Error \(400\): \S/, status);

      // Cancel closes the stream mid-run.
      await page.fill("#cmpSizes", "");
      await page.selectOption("#cmpMode", "rate");
      await page.fill("#cmpDuration", "30");
      await page.click("#compareBtn");
      await page.waitForFunction(() => livePoints() > 0, null, { timeout: 30_000 });
      await page.click("#cancelBtn");
      await page.waitForFunction(() => document.querySelector("#compareStatus").textContent.startsWith("Cancelled"));
      assert.equal(await page.isEnabled("#compareBtn"), true);
      assert.deepEqual(failedAssets, [], "every asset loads from the front-end itself");
    } finally {
      await browser.close();
    }
  });

test("where the broker asks for a token, the page logs in and sends it", { skip: !tokensRequired }, async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    // No login yet: the mail's 401 (or the Stored logs panel's, when logs
    // needs a token too) makes the page log in, then send again.
    const mail = await clickAndRead(page, "#btn-mail-grpc");
    assert.equal(mail.error, false, JSON.stringify(mail));
    assert.equal(mail.message, EXPECTED.mail);
    assert.match(await page.$eval("#output", (o) => o.textContent), /Logged in as admin@example\.com/);
    // The comparison needs one too: the page sends the token it holds.
    await comparePing(page, 5, 1);
  } finally {
    await browser.close();
  }
});

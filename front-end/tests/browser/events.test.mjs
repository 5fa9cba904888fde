// The comparison of the Go original's log event over the buses (RabbitMQ's
// logs_topic and JetStream) from the page, in headless Chromium against a
// running stack:
//   PAGE_URL=http://127.0.0.1:8081 node --test events.test.mjs
// Choosing the buses makes the action log and takes the sweep away; a closed
// run of 20 events per bus shows a row per bus with its end-to-end figures
// (every event stored), the charts name the buses, and the CSV has the broker
// CLI's bus and e2e columns.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CSV_HEADER, chartSeries, compareWith, downloaded, parseCsv, servedFromPage, tableRows }
  from "./compare-helpers.mjs";
import { tokensRequired, url, withBrowser } from "./page-helpers.mjs";

const BUSES = ["rabbitmq", "nats"];
const EVENTS = 20;

test("the page compares the log event over both buses, each with its end-to-end figures", { skip: tokensRequired },
  () => withBrowser(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const failedAssets = servedFromPage(page, url);
    await page.goto(url, { waitUntil: "load" });

    // The buses compare a log, closed or at a rate: no other action, no sweep.
    await page.selectOption("#cmpAction", "ping");
    await page.selectOption("#cmpMode", "sweep");
    assert.equal(await page.isVisible("#cmpB-nats"), false, "the transports are offered first");
    await page.check("#cmpWhat-buses");
    assert.equal(await page.inputValue("#cmpAction"), "log");
    assert.equal(await page.isDisabled("#cmpAction"), true);
    assert.equal(await page.inputValue("#cmpMode"), "closed");
    assert.equal(await page.$eval('#cmpMode option[value="sweep"]', (o) => o.disabled), true);
    assert.equal(await page.isVisible("#cmpT-http"), false);
    for (const bus of BUSES) assert.equal(await page.isChecked(`#cmpB-${bus}`), true, bus);

    const status = await compareWith(page, [["#cmpRequests", EVENTS], ["#cmpConcurrency", 4], ["#cmpWarmup", 0],
      ["#cmpSizes", ""]]);
    assert.match(status, new RegExp(`^Done: log, ${EVENTS} requests per bus`), status);
    const sent = JSON.parse(await page.textContent("#payload"));
    assert.deepEqual([sent.action, sent.mode, sent.buses, sent.transports], ["log", "closed", BUSES, undefined]);

    // A row per bus: every event published and found stored.
    const rows = await tableRows(page);
    assert.deepEqual(rows.map((r) => r.bus), BUSES, JSON.stringify(rows));
    for (const row of rows) {
      const e2e = [Number(row["e2e p50 ms"]), Number(row["e2e p99 ms"])];
      assert.deepEqual([row.ok, row.errors, row.stored, row.missing], [String(EVENTS), "0", String(EVENTS), "0"],
        JSON.stringify(row));
      assert.ok(e2e[0] > 0 && e2e[0] <= e2e[1], JSON.stringify(row));
    }
    // The charts draw the publish latencies, a series per bus.
    for (const chart of ["liveRps", "spectrum"]) {
      assert.deepEqual((await chartSeries(page, chart)).map((s) => s.label), BUSES, chart);
    }

    // The CSV: the broker CLI's columns, the bus and its end-to-end figures.
    const csv = await downloaded(page, "#downloadCsv");
    const [header, ...lines] = parseCsv(csv.text);
    assert.deepEqual(header, CSV_HEADER);
    const cell = (line, name) => line[CSV_HEADER.indexOf(name)];
    assert.deepEqual(lines.map((l) => [cell(l, "bus"), cell(l, "e2e_stored"), cell(l, "e2e_missing")]),
      BUSES.map((bus) => [bus, String(EVENTS), "0"]));
    for (const l of lines) assert.match(cell(l, "e2e_p99_ms"), /^\d+\.\d{3}$/, l.join(","));

    // Back to the transports: every action and the sweep again.
    await page.check("#cmpWhat-transports");
    assert.equal(await page.isEnabled("#cmpAction"), true);
    assert.equal(await page.$eval('#cmpMode option[value="sweep"]', (o) => o.disabled), false);
    assert.equal(await page.isVisible("#cmpT-http"), true);
    assert.deepEqual(failedAssets, [], "every asset loads from the front-end itself");
  }));

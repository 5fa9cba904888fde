// Drives the test page in a real headless Chromium (Debian's package, no
// browser download) against a running stack:
//   PAGE_URL=http://127.0.0.1:8081 node --test page.test.mjs
// Clicks every button, checks that the Received pane holds the broker's answer,
// runs a small comparison and checks that the chart and the table appear.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const url = process.env.PAGE_URL ?? "http://127.0.0.1:8081";
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const screenshot = process.env.SCREENSHOT;
// Set when the broker needs a token for mail and comparisons (a deployment's
// TOKEN_REQUIRED_FOR): then only the login test runs.
const tokensRequired = process.env.TOKENS_REQUIRED === "1";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const EXPECTED = {
  auth: "Authenticated",
  log: "logged",
  mail: "Message sent to you@there.com",
  ping: "pong",
};

// Runs a comparison of `ping` from the page and waits until it says Done.
async function comparePing(page, requests, concurrency) {
  await page.selectOption("#cmpAction", "ping");
  await page.fill("#cmpRequests", String(requests));
  await page.fill("#cmpConcurrency", String(concurrency));
  await page.click("#compareBtn");
  await page.waitForFunction(() => document.querySelector("#compareStatus").textContent.startsWith("Done"), null, {
    timeout: 60_000,
  });
}

async function clickAndRead(page, selector) {
  await page.$eval("#received", (pane) => { pane.textContent = ""; });
  await page.click(selector);
  await page.waitForFunction(() => document.querySelector("#received").textContent.trim().startsWith("{"), null, {
    timeout: 15_000,
  });
  return JSON.parse(await page.$eval("#received", (pane) => pane.textContent));
}

test("every button gets the broker's answer and the comparison draws its chart", { skip: tokensRequired }, async () => {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const failedAssets = [];
    page.on("requestfailed", (request) => failedAssets.push(request.url()));
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
      for (const transport of ["http", "amqp", "rpc", "grpc"]) {
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
    assert.equal(await page.$eval("#compareProgress", (p) => p.value), 4);
    const rows = await page.$$eval("#compareTable tbody tr", (trs) => trs.map((tr) =>
      [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(rows.map((r) => r[0]), ["http", "amqp", "rpc", "grpc"]);
    for (const row of rows) assert.deepEqual(row.slice(1, 3), ["20", "0"], row.join(" "));
    const bars = await page.$$eval("#chart svg rect[data-transport]", (rects) => rects.length);
    assert.equal(bars, 4 * 3 + 4, "three latency bars and one throughput bar per transport");
    const parts = await page.$$eval("#partsChart svg rect[data-part]", (rects) =>
      rects.map((r) => `${r.dataset.transport}/${r.dataset.part}`));
    for (const transport of ["http", "amqp", "rpc", "grpc"]) {
      assert.ok(parts.includes(`${transport}/transport`), `${transport}: ${parts}`);
    }
    assert.ok(parts.includes("amqp/queue"), `amqp waits in RabbitMQ: ${parts}`);

    assert.deepEqual(failedAssets, [], "every asset loads from the front-end itself");
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
});

test("where the broker asks for a token, the page logs in and sends it", { skip: !tokensRequired }, async () => {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    // No login yet: the mail's 401 makes the page log in, then send again.
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

// What the browser tests share: where the page is, how Debian's headless
// Chromium is started (no browser download), and pressing a button until the
// Received pane holds the broker's answer.
import { chromium } from "playwright-core";

export const url = process.env.PAGE_URL ?? "http://127.0.0.1:8081";
// Set when the broker needs a token for some calls (a deployment's
// TOKEN_REQUIRED_FOR: mail, compare and logs in the test): then only the login
// tests run.
export const tokensRequired = process.env.TOKENS_REQUIRED === "1";
export const TRANSPORTS = ["http", "amqp", "rpc", "grpc", "nats"];

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launch() {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

// Runs `use` with a browser of its own, closed after.
export async function withBrowser(use) {
  const browser = await launch();
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

// Clicks `selector` and returns the answer the Received pane then shows.
export async function clickAndRead(page, selector) {
  await page.$eval("#received", (pane) => { pane.textContent = ""; });
  await page.click(selector);
  await page.waitForFunction(() => document.querySelector("#received").textContent.trim().startsWith("{"), null, {
    timeout: 15_000,
  });
  return JSON.parse(await page.$eval("#received", (pane) => pane.textContent));
}

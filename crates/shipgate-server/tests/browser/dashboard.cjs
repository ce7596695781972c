// Drives the dashboard in headless Chromium as a person on a phone would:
// the scorecard, a failing gate opened from it, the gate's evidence.
// Usage: node dashboard.cjs BASE_URL SCREENSHOT.png
// Finds playwright-core through NODE_PATH and Chromium through
// SHIPGATE_CHROMIUM.
const { chromium } = require("playwright-core");

async function main() {
  const [base, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.SHIPGATE_CHROMIUM,
    // The sandbox needs user namespaces that a container may not give.
    args: ["--no-sandbox"],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("requestfailed", (r) => problems.push(`failed: ${r.url()}`));
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) problems.push(`left the server: ${r.url()}`);
    });

    await page.goto(base + "/");
    await page.getByRole("heading", { name: "Readiness" }).waitFor();
    const row = page.locator("table.scorecard tbody tr", { hasText: "shop" });
    await row.waitFor();
    const verdict = await row.locator(".badge").first().textContent();
    if (verdict.trim() !== "fail") throw new Error(`the shop's verdict is ${verdict}`);

    // The gate that holds the service back, opened from the scorecard.
    const blocker = row.locator("td:nth-child(4) a");
    const address = (await blocker.textContent()).trim();
    await blocker.click();
    await page.waitForURL(/\/runs\/\d+#gate-/);
    const gate = page.locator(`details.gate:has(summary code:text-is("${address}"))`);
    if (!(await gate.evaluate((d) => d.open))) throw new Error(`${address} is not open`);
    const evidence = gate.locator("td.evidence").first();
    const text = await evidence.textContent();
    for (const word of ["tool", "definition", "at "]) {
      if (!text.includes(word)) throw new Error(`no ${word} in the evidence: ${text}`);
    }
    await gate.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot, fullPage: false });

    // The history chart is drawn on the server.
    await page.goto(base + "/projects/shop");
    if ((await page.locator("svg.chart a").count()) < 1) throw new Error("no run in the chart");

    // The page is as wide as the phone: nothing scrolls sideways but tables.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    if (overflow > 1) throw new Error(`the page is ${overflow}px wider than the phone`);
    console.log(JSON.stringify({ gate: address, screenshot }));
  } finally {
    await browser.close();
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});

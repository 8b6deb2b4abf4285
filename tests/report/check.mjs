// Loads a `rubric report` page in Debian's headless Chromium (playwright-core, no browser
// download) and checks what a reader would: the charts drew (an ECharts SVG in every chart box),
// the labels are on the page, no script failed, and nothing was requested but the file itself.
// Usage: node check.mjs PAGE.html [SCREENSHOT.png] [TEXT …]; prints `N passed, N failed`.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [page_path, shot, ...texts] = process.argv.slice(2);
const url = pathToFileURL(path.resolve(page_path)).href;
let passed = 0, failed = 0;
function check(ok, what) {
  if (ok) { passed++; console.log(`ok    ${what}`); }
  else { failed++; console.log(`FAIL  ${what}`); }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, offline: true });
const page = await context.newPage();
const requests = [];
const errors = [];
page.on("request", (r) => requests.push(r.url()));
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
await page.goto(url, { waitUntil: "load" });
await page.waitForSelector("body[data-charts]", { timeout: 15000 }).catch(() => {});

const others = requests.filter((u) => u !== url);
check(others.length === 0, `nothing fetched but the file itself${others.length ? ": " + others.join(", ") : ""}`);
check(errors.length === 0, `no script errors${errors.length ? ": " + errors.join("; ") : ""}`);
const boxes = await page.$$eval("div.chart", (d) => d.length);
const drawn = await page.$$eval("div.chart", (d) => d.filter((b) => b.querySelector("svg path, canvas")).length);
const declared = await page.evaluate(() => Number(document.body.getAttribute("data-charts") || 0));
check(boxes > 0 && drawn === boxes && declared === boxes, `every chart drew (${drawn} of ${boxes} chart boxes have an ECharts SVG)`);
const body = await page.evaluate(() => document.body.innerText);
const svg_text = await page.$$eval("div.chart svg text", (t) => t.map((x) => x.textContent).join("\n"));
for (const t of texts) {
  check(body.includes(t) || svg_text.includes(t), `the page shows "${t}"`);
}
if (shot) {
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot: ${shot}`);
}
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

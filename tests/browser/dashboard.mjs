// Drives the dashboard in headless Chromium for the end-to-end suite (tests/e2e/
// test_dashboard_browser.py), which starts the server and the jobs. One check per run; it prints
// one JSON object (what it saw) on stdout and exits 0, or prints why on stderr and exits 1.
//   node dashboard.mjs CHECK JSON_ARGS
// JSON_ARGS: {"url": the link the server printed (with its token), "base": the server's address,
//             "job": a job name, ...the check's own}.
// Chromium: $CHROMIUM (default /usr/bin/chromium); Playwright: playwright-core beside this file.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");

const [check, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs || "{}");
const TIMEOUT = (args.timeout || 60) * 1000;

async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  return { browser, context };
}

// The page, after the token link: the cookie is set and the address has no token left.
async function signedIn(context) {
  const page = await context.newPage();
  await page.goto(args.url);
  return page;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const checks = {
  // The jobs page shows a running job, then the same page (no reload) shows it Completed.
  async "jobs-live"({ context }) {
    const page = await signedIn(context);
    const landed = page.url();
    const cookies = await context.cookies();
    await page.evaluate(() => { window.__notReloaded = true; });
    const row = page.locator(`tr[data-job="${args.job}"]`);
    await row.locator(".status-InProgress").waitFor();
    const seenRunning = Date.now();
    await row.locator(".status-Completed").waitFor();
    const notReloaded = await page.evaluate(() => window.__notReloaded === true);
    const cells = await row.locator("td").allTextContents();
    return { landed, cookies, notReloaded, completedAfterMs: Date.now() - seenRunning, cells };
  },

  // A job's page: its log grows while it runs, then the chart, its points and the timeline.
  async "job-page"({ context }) {
    const page = await signedIn(context);
    await page.goto(new URL(`/jobs/${args.job}`, args.base).href);
    const status = page.locator("#job-status");
    const samples = [];
    const until = Date.now() + TIMEOUT;
    while (Date.now() < until) {
      const state = await status.getAttribute("data-status");
      const text = await page.locator("#logs pre").first().textContent().catch(() => "");
      const lines = (text || "").split("\n").filter((line) => line.startsWith("step ")).length;
      samples.push({ state, lines });
      if (state && state !== "InProgress") break;
      await sleep(250);
    }
    await page.locator('#job-status[data-status="Completed"]').waitFor();
    const chart = page.locator(`figure.chart[data-metric="${args.metric}"]`);
    await page.waitForFunction(
      ([metric, count]) => document.querySelectorAll(`figure.chart[data-metric="${metric}"] table.points tbody tr`).length >= count,
      [args.metric, args.points]);
    await page.waitForFunction(
      (count) => [...document.querySelectorAll("#logs pre")].some((pre) => pre.textContent.split("\n").filter((l) => l.startsWith("step ")).length >= count),
      args.points);
    const marks = await chart.locator("circle.point").count();
    const rows = await chart.locator("table.points tbody tr").allTextContents();
    const timeline = await page.locator("#timeline li").evaluateAll((items) => items.map((item) => item.dataset.status));
    const logText = await page.locator("#logs pre").first().textContent();
    if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
    return { samples, marks, rows, timeline, logLines: logText.split("\n").filter((l) => l.startsWith("step ")).length };
  },

  // The Stop button stops a running job.
  async stop({ context }) {
    const page = await signedIn(context);
    await page.goto(new URL(`/jobs/${args.job}`, args.base).href);
    await page.locator('#job-status[data-status="InProgress"]').waitFor();
    const stop = page.locator("#stop");
    await stop.waitFor({ state: "visible" });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/jobs/${args.job}/stop`)),
      stop.click(),
    ]);
    await page.locator('#job-status[data-status="Stopped"]').waitFor();
    return { stopAnswer: response.status(), stopHidden: await stop.isHidden() };
  },

  // Pages of a store of many jobs: Next and Previous, and the filters.
  async paging({ context }) {
    const page = await signedIn(context);
    const names = async () => page.locator("#jobs tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.job));
    const settled = async (previousFirst) => {
      await page.waitForFunction((first) => {
        const row = document.querySelector("#jobs tbody tr");
        return row && row.dataset.job !== first;
      }, previousFirst);
      return names();
    };
    await page.locator("#jobs tbody tr").first().waitFor();
    const pages = [await names()];
    while (await page.locator("#next").isEnabled()) {
      await page.locator("#next").click();
      pages.push(await settled(pages[pages.length - 1][0]));
    }
    const labelAtEnd = await page.locator("#page").textContent();
    await page.locator("#previous").click();
    const back = await settled(pages[pages.length - 1][0]);
    await page.locator("#status").selectOption("Failed");
    await page.waitForFunction(() => [...document.querySelectorAll("#jobs tbody tr .job-status")].every((c) => c.textContent === "Failed"));
    const failed = await page.locator("#jobs tbody tr .job-status").allTextContents();
    await page.locator("#status").selectOption("");
    await page.locator("#name").fill("rare");
    await page.waitForFunction(() => [...document.querySelectorAll("#jobs tbody tr")].every((r) => r.dataset.job.includes("Rare")));
    const rare = await names();
    return { pages, labelAtEnd, back, failed, rare, address: page.url() };
  },

  // Without the token: refused, pages and data alike; a wrong token too.
  async "no-token"({ context }) {
    const page = await context.newPage();
    const statuses = {};
    for (const path of ["/", `/jobs/${args.job}`, "/api/jobs", "/assets/dashboard.js", "/?token=not-the-token"]) {
      const response = await page.goto(new URL(path, args.base).href);
      statuses[path] = response.status();
    }
    const text = await page.locator("body").textContent();
    return { statuses, text, cookies: await context.cookies() };
  },

  // A page of another origin, in a browser that holds the dashboard's cookie, posts to Stop.
  async "cross-origin"({ context }) {
    await signedIn(context);
    const page = await context.newPage();
    const answers = [];
    page.on("response", (r) => { if (r.url().includes("/stop")) answers.push(r.status()); });
    await page.goto(args.evil);
    await page.waitForFunction(() => window.__done === true);
    await sleep(500);
    return { answers };
  },

  // A picture of a page once `wait` (a selector) shows, for the README.
  async screenshot({ context }) {
    const page = await signedIn(context);
    if (args.height) await page.setViewportSize({ width: 1280, height: args.height });
    await page.goto(new URL(args.path, args.base).href);
    await page.locator(args.wait).first().waitFor();
    await sleep(args.settle || 1500);
    await page.screenshot({ path: args.file, fullPage: !!args.fullPage });
    return { file: args.file };
  },

  // The jobs page of a large store: time to the first paint, and to the first rows.
  async paint({ context }) {
    await signedIn(context); // the cookie, once
    const results = [];
    for (let i = 0; i < (args.runs || 5); ++i) {
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(new URL("/", args.base).href);
      await page.locator("#jobs tbody tr").first().waitFor();
      const rowsAt = Date.now() - started;
      const timing = await page.evaluate(() => {
        const paint = performance.getEntriesByName("first-contentful-paint")[0];
        const nav = performance.getEntriesByType("navigation")[0];
        return { firstContentfulPaint: paint ? paint.startTime : null, domContentLoaded: nav.domContentLoadedEventEnd };
      });
      const rows = await page.locator("#jobs tbody tr").count();
      if (args.screenshot && i === 0) await page.screenshot({ path: args.screenshot });
      results.push({ ...timing, rowsShownMs: rowsAt, rows });
      await page.close();
    }
    return { runs: results };
  },
};

const run = checks[check];
if (!run) {
  console.error(`unknown check ${check}; checks: ${Object.keys(checks).join(", ")}`);
  process.exit(2);
}
const { browser, context } = await launch();
try {
  const result = await run({ context });
  console.log(JSON.stringify(result));
  await browser.close();
} catch (error) {
  console.error(`${check}: ${error.stack || error}`);
  await browser.close();
  process.exit(1);
}

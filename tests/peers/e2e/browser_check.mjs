// Open pages of STAC Browser in headless Chromium (driven by playwright-core) and report what
// they show, as one JSON document on stdout.
//
//   node browser_check.mjs PLAN.json
//
// PLAN.json:
//   { "playwright": "<folder holding node_modules/playwright-core>",
//     "chromium": "/usr/bin/chromium",
//     "pages": [ { "name": "catalog", "url": "http://127.0.0.1:PORT/#/",
//                  "expect": ["Title A", ...], "screenshot": "/path/a.png",
//                  "timeoutMs": 30000, "settleMs": 1500,
//                  "box": ".css-selector whose bounding box to report" } ] }
//
// Every request that does not go to the loopback interface is aborted (and reported), so the
// check never leaves the machine. Exit code 0 when every page showed every expected text.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const CHROMIUM_FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(plan.playwright, 'package.json'));
const { chromium } = require('playwright-core');

function isLoopback(url) {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return true;
  return LOOPBACK.has(parsed.hostname) || LOOPBACK.has(`[${parsed.hostname}]`);
}

async function visibleTexts(page, wanted, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let missing = wanted;
  for (;;) {
    const text = await page.evaluate(() => document.body ? document.body.innerText : '');
    missing = wanted.filter((t) => !text.includes(t));
    if (!missing.length || Date.now() >= deadline) return missing;
    await page.waitForTimeout(250);
  }
}

async function checkPage(context, spec) {
  const page = await context.newPage();
  const started = Date.now();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  let missing = spec.expect;
  let box = null;
  try {
    await page.goto(spec.url, { waitUntil: 'domcontentloaded', timeout: spec.timeoutMs ?? 30000 });
    missing = await visibleTexts(page, spec.expect, spec.timeoutMs ?? 30000);
    await page.waitForTimeout(spec.settleMs ?? 1000); // let thumbnails and map tiles paint
    if (spec.box) {
      const element = await page.$(spec.box);
      box = element ? await element.boundingBox() : null;
    }
    if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: !!spec.fullPage });
  } catch (error) {
    errors.push(`check: ${error.message}`);
  } finally {
    await page.close();
  }
  return {
    name: spec.name, url: spec.url, ok: missing.length === 0, missing, box,
    ms: Date.now() - started, requests: requests.length, errors,
  };
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stacsync-chromium-'));
const aborted = [];
let context;
const report = { pages: [], aborted };
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: plan.chromium,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    aborted.push(url);
    return route.abort('blockedbyclient');
  });
  for (const spec of plan.pages) report.pages.push(await checkPage(context, spec));
} finally {
  if (context) await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
report.ok = report.pages.every((p) => p.ok);
console.log(JSON.stringify(report));
process.exit(report.ok ? 0 : 1);

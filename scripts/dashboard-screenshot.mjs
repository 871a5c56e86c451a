#!/usr/bin/env node
// The README's picture of the dashboard: opens a running hearth's dashboard in Debian's
// Chromium (or HEARTH_CHROMIUM), follows one function's log tail for a few seconds and
// saves a full-page screenshot.
//
//   node scripts/dashboard-screenshot.mjs http://127.0.0.1:8910 docs/dashboard.png [function]
import { chromium } from 'playwright-core';

const [url = 'http://127.0.0.1:8910', out = 'docs/dashboard.png', fn = 'my-function'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.HEARTH_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${url}/_hearth/`);
  await page.locator('.conn[data-live=true]').waitFor();
  await page.locator('[data-testid=chart] canvas').waitFor();
  await page.locator('[data-testid=log-function]').selectOption(`us-east-1/default/${fn}`);
  await page.locator('[data-testid=log-tail][data-connected=true]').waitFor();
  await page.waitForTimeout(5000);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}

/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * a provisioned config is put while the page is open, and the page shows it IN_PROGRESS and
 * then READY without a reload (server-sent events); invocations and the live log tail
 * appear; a screenshot, with the parts that change from run to run masked, is compared
 * with test/e2e/dashboard.baseline.png (UPDATE_SCREENSHOTS=1 writes it anew).
 *
 * The provisioned environments' init waits on a socket this test holds (the "gate"), so
 * IN_PROGRESS lasts exactly until the test has seen it: no timing, no sleep.
 *
 * Without Chromium the suite fails in CI (.ci/run installs it) and is skipped elsewhere.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import pixelmatch from 'pixelmatch';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const CHROMIUM = [process.env.HEARTH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (c): c is string => c !== undefined && c !== '' && existsSync(c),
);
if (CHROMIUM === undefined && process.env.CI !== undefined) {
  throw new Error('Chromium is required in CI (apt-get install chromium; .ci/run installs it)');
}

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
const BASELINE = path.resolve('test/e2e/dashboard.baseline.png');
/** Share of pixels that may differ from the baseline (anti-aliasing, a clock's digits). */
const MAX_DIFF_RATIO = 0.01;
// Init waits until the gate writes a byte; each invocation logs a line.
const SOURCE = `import net from 'node:net';
const port = Number(process.env.GATE_PORT);
if (process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency') {
  await new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('data', () => { s.destroy(); resolve(); });
    s.once('error', reject);
  });
}
export const handler = async (event) => { console.log('hello from', event.who); return { ok: true }; };`;

let p: TestPlatform;
let browser: Browser;
let page: Page;
let gate: Server;
const held: Socket[] = [];
const waiting: (() => void)[] = [];
const pageErrors: string[] = [];
let dataDir: string;

/** Resolves once `n` environments wait at the gate. */
function gateHolds(n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (held.length >= n) {
        resolve();
      } else {
        waiting.push(check);
      }
    };
    check();
  });
}

const row = (qualifier: string) =>
  page.locator(`[data-testid=pc-row][data-function=web][data-qualifier=${qualifier}]`);

describe.skipIf(CHROMIUM === undefined)('the dashboard in Chromium', () => {
  // Chromium and a hearth on a loaded 2-core machine: generous limits, every wait is an event.
  vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
  beforeAll(async () => {
    gate = createServer((s) => {
      held.push(s);
      for (const w of waiting.splice(0)) {
        w();
      }
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    const address = gate.address();
    const gatePort = typeof address === 'object' && address !== null ? address.port : 0;
    dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-dashboard-'));
    p = await startPlatform({}, dataDir);
    await p.client.send(
      new CreateFunctionCommand({
        FunctionName: 'web',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await makeZip({ 'index.mjs': SOURCE }) },
        Environment: { Variables: { GATE_PORT: String(gatePort) } },
      }),
    );
    await p.client.send(new PublishVersionCommand({ FunctionName: 'web' }));
    await p.client.send(new CreateAliasCommand({ FunctionName: 'web', Name: 'live', FunctionVersion: '1' }));
    browser = await chromium.launch({
      ...(CHROMIUM === undefined ? {} : { executablePath: CHROMIUM }),
      headless: true,
      // Root in a container: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') {
        pageErrors.push(m.text());
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of held) {
      s.destroy();
    }
    await new Promise<void>((r) => (gate === undefined ? r() : gate.close(() => r())));
    await p?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a provisioned config go from IN_PROGRESS to READY live', async () => {
    await page.goto(`${p.url}/`);
    expect(new URL(page.url()).pathname).toBe('/_hearth/');
    await page.locator('.conn[data-live=true]').waitFor();
    await page.locator('[data-testid=function-row][data-function=web]').waitFor();
    await expect(
      page.locator('[data-testid=function-row][data-function=web]').textContent(),
    ).resolves.toContain('live → 1');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'web',
        Qualifier: 'live',
        ProvisionedConcurrentExecutions: 2,
      }),
    );
    await row('live').locator('[data-field=status][data-status=IN_PROGRESS]').waitFor();
    await expect(row('live').locator('[data-field=requested]').textContent()).resolves.toBe('2');
    await gateHolds(2);
    await expect(row('live').locator('[data-field=allocated]').textContent()).resolves.toBe('0');

    for (const s of held) {
      s.write('go');
    }
    await row('live').locator('[data-field=status][data-status=READY]').waitFor();
    await expect(row('live').locator('[data-field=allocated]').textContent()).resolves.toBe('2');
    await expect(row('live').locator('[data-field=available]').textContent()).resolves.toBe('2');
    expect(navigations).toBe(0);
  });

  it('shows invocations and a live log tail', async () => {
    await page.locator('[data-testid=log-function]').selectOption('us-east-1/default/web');
    // The server's first event on the tail's stream says it follows the function from now on.
    await page.locator('[data-testid=log-tail][data-connected=true]').waitFor();
    for (const who of ['dashboard-1', 'dashboard-2']) {
      await p.client.send(
        new InvokeCommand({
          FunctionName: 'web',
          Qualifier: 'live',
          Payload: Buffer.from(JSON.stringify({ who })),
        }),
      );
    }
    await page.locator('[data-testid=invocation-row]').nth(1).waitFor();
    await expect(page.locator('[data-testid=invocation-row]').first().textContent()).resolves.toContain(
      'provisioned',
    );
    await page.locator('[data-testid=log-tail]', { hasText: 'hello from dashboard-2' }).waitFor();
    const tail = (await page.locator('[data-testid=log-tail]').textContent()) ?? '';
    expect(tail).toMatch(/START RequestId: \S+ Version: 1/);
    expect(tail).toMatch(/REPORT RequestId: \S+\tDuration: /);
  });

  it('answers an unknown dashboard URL with 404', async () => {
    const res = await fetch(`${p.url}/_hearth/no-such-page`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not found: /_hearth/no-such-page' });
  });

  it('looks as it did (screenshot against the baseline)', async () => {
    await page.locator('[data-testid=chart] canvas').waitFor();
    const shot = await page.screenshot({
      fullPage: false,
      animations: 'disabled',
      // What changes from run to run: times, durations, request ids, the chart's time axis.
      mask: [
        page.locator('[data-testid=chart]'),
        page.locator('[data-testid=invocations]'),
        page.locator('[data-testid=log-tail]'),
      ],
    });
    if (process.env.DASHBOARD_SCREENSHOT !== undefined) {
      // The README's picture, unmasked.
      writeFileSync(process.env.DASHBOARD_SCREENSHOT, await page.screenshot({ fullPage: true }));
    }
    if (process.env.UPDATE_SCREENSHOTS !== undefined || !existsSync(BASELINE)) {
      writeFileSync(BASELINE, shot);
      if (process.env.UPDATE_SCREENSHOTS === undefined) {
        throw new Error(`no baseline: wrote ${BASELINE}; check it and commit it`);
      }
    }
    const actual = PNG.sync.read(shot);
    const expected = PNG.sync.read(readFileSync(BASELINE));
    expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
    const diff = pixelmatch(expected.data, actual.data, undefined, actual.width, actual.height, {
      threshold: 0.1,
    });
    expect(diff / (actual.width * actual.height)).toBeLessThan(MAX_DIFF_RATIO);
    expect(pageErrors).toEqual([]);
  });
});

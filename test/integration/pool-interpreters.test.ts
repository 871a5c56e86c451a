/**
 * Runtimes tell the truth (issue 16, item 2): a runtime runs on the interpreter configured
 * for it, and one that runs on the host's Node.js of another major version says so, once
 * in hearth's log per function and in every init log of its environments.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionLogEntry } from '../../src/pool/index.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hearth-interp-'));
// A configured interpreter: this test's node behind a wrapper that leaves a mark the
// function can see (the environment is otherwise clean, §5.5), reporting itself as v22.
const wrapper = path.join(dir, 'node22-wrapper');
writeFileSync(
  wrapper,
  `#!/bin/sh\nif [ "$1" = "--version" ]; then echo v22.99.0; exit 0; fi\nHEARTH_TEST_WRAPPED=yes exec ${process.execPath} "$@"\n`,
);
chmodSync(wrapper, 0o755);

const logs: FunctionLogEntry[] = [];
const warnings: string[] = [];
const logger = pino(
  { level: 'warn' },
  { write: (line: string) => warnings.push(String((JSON.parse(line) as { msg?: unknown }).msg)) },
);
const pool = testPool({
  logger,
  runtimeInterpreters: { 'nodejs22.x': wrapper },
  onFunctionLog: (e) => logs.push(e),
  // The wrapper is a shell script: chrt would exec it the same way; keep the launch simple.
  batchScheduling: false,
});
afterAll(async () => {
  await pool.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const initLogOf = (fn: string) =>
  logs
    .filter((e) => e.functionName === fn)
    .map((e) => e.text)
    .join('');

describe('interpreters', () => {
  it('runs a runtime on its configured interpreter, and INIT_START names it', async () => {
    const spec = makeSpec('context-reporter', { runtime: 'nodejs22.x', functionName: 'on22' });
    const o = await pool.invoke(makeRequest(spec));
    const seen = json(o.payload) as { env: Record<string, string> };
    expect(seen.env.HEARTH_TEST_WRAPPED).toBe('yes');
    expect(seen.env.AWS_EXECUTION_ENV).toBe('AWS_Lambda_nodejs22.x');
    expect(initLogOf('on22')).toMatch(
      /INIT_START Runtime Version: nodejs:22\.v22\.99\.0\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}\n/,
    );
    expect(initLogOf('on22')).not.toContain('runs on the host');
    expect(warnings.filter((w) => w.includes('nodejs22.x'))).toEqual([]);
  });

  it('warns once per function, and in each init log, when it falls back to another major', async () => {
    const spec = makeSpec('context-reporter', { runtime: 'nodejs18.x', functionName: 'on18' });
    // Two environments of one function: two init logs, one warning in hearth's log.
    await Promise.all([pool.invoke(makeRequest(spec)), pool.invoke(makeRequest(spec))]);
    const host = process.version;
    const line = `hearth: nodejs18.x runs on the host's Node.js ${host}: no Node.js 18 was configured`;
    expect(initLogOf('on18').split(line).length - 1).toBeGreaterThanOrEqual(1);
    expect(initLogOf('on18')).toContain(`INIT_START Runtime Version: nodejs:18.${host}\t`);
    expect(warnings.filter((w) => w.startsWith('nodejs18.x runs on the host'))).toHaveLength(1);
  });
});

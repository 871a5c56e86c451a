/**
 * The bundled Node.js runtime's code cache through the official SDK (issue 15): a
 * CommonJS function's modules are cached under the data dir on the first cold start,
 * later cold starts run from it, changed code is never served from it, and
 * `codeCache: false` keeps none. (Hits and misses per module: code-cache.test.ts.)
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CreateFunctionCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeCacheFolder } from '../../src/pool/code-cache.js';
import { TEST_ACCOUNT, TEST_REGION, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;

const files = (value: string) => ({
  'index.js':
    "const lib = require('./lib');\nlet n = 0;\nexports.handler = async (e) => ({ ...e, value: lib.value, n: ++n });\n",
  'lib.js': `exports.value = ${JSON.stringify(value)};\n`,
});

async function invoke(p: TestPlatform, name: string): Promise<Record<string, unknown>> {
  const out = await p.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"a":1}') }));
  expect(out.FunctionError, Buffer.from(out.Payload ?? []).toString()).toBeUndefined();
  return JSON.parse(Buffer.from(out.Payload ?? []).toString()) as Record<string, unknown>;
}

const folderOf = (p: TestPlatform, name: string) =>
  path.join(
    p.dataDir,
    'code-cache',
    codeCacheFolder({
      accountId: TEST_ACCOUNT,
      region: TEST_REGION,
      namespace: 'default',
      functionName: name,
    }),
  );

describe('the code cache of the Node.js runtime', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    // Fresh processes only: a pre-started runtime has loaded its own modules before it knows
    // its function's cache folder, so whether the runtime's modules are cached would depend
    // on whether the first cold start found one ready (pool-prestarted.test.ts and
    // bench/startup.mjs cover the cache in pre-started runtimes).
    p = await startPlatform({ prestartedRuntimes: 0 });
  });
  afterAll(async () => {
    await p.dispose();
  });

  it('is filled by the first cold start and serves the next ones, never stale code', async () => {
    await p.client.send(
      new CreateFunctionCommand({
        FunctionName: 'cached',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile: await makeZip(files('one')) },
      }),
    );
    expect(await invoke(p, 'cached')).toEqual({ a: 1, value: 'one', n: 1 });
    // Written after the first answer, before the runtime reads the next invocation.
    expect(await invoke(p, 'cached')).toEqual({ a: 1, value: 'one', n: 2 });
    const entries = readdirSync(folderOf(p, 'cached')).filter((f) => f.endsWith('.v8'));
    // index.js, lib.js and the runtime's own modules.
    expect(entries.length).toBeGreaterThanOrEqual(4);

    // A new environment of the same code: a cold start from the cache.
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'cached',
        Environment: { Variables: { RUN: '1' } },
      }),
    );
    expect(await invoke(p, 'cached')).toEqual({ a: 1, value: 'one', n: 1 });

    // New code of the same size: its own entries, the new value.
    await p.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'cached', ZipFile: await makeZip(files('two')) }),
    );
    expect(await invoke(p, 'cached')).toEqual({ a: 1, value: 'two', n: 1 });
  });

  it('keeps nothing with codeCache false', async () => {
    const off = await startPlatform({ codeCache: false });
    try {
      await off.client.send(
        new CreateFunctionCommand({
          FunctionName: 'uncached',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: await makeZip(files('one')) },
        }),
      );
      expect(await invoke(off, 'uncached')).toEqual({ a: 1, value: 'one', n: 1 });
      expect(await invoke(off, 'uncached')).toEqual({ a: 1, value: 'one', n: 2 });
      expect(existsSync(path.join(off.dataDir, 'code-cache'))).toBe(false);
    } finally {
      await off.dispose();
    }
  });
});

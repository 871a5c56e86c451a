/**
 * The README's Tencent SDK snippet runs as written (issue 16, item 3): it is taken from
 * README.md, saved as the file name the README gives, and run with node against a real
 * hearth; only the port changes (8910 → this server's).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateFunctionCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const checkout = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(path.join(checkout, 'README.md'), 'utf8');
let p: TestPlatform;
// Inside the checkout, so that require() finds the SDK in its node_modules, as it would
// beside the README's `npm install`.
const dir = mkdtempSync(path.join(checkout, '.hearth-test-readme-'));

beforeAll(async () => {
  p = await startPlatform();
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: 'my-function',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => 1;' }) },
    }),
  );
  await p.client.send(new PublishVersionCommand({ FunctionName: 'my-function' }));
});

afterAll(async () => {
  await p.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('README', () => {
  it('the Tencent SDK snippet runs as written', async () => {
    const file = /save as `([^`]+)`/.exec(readme)?.[1];
    const block = /The Tencent SDK needs[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(file).toBe('scf-demo.cjs');
    expect(block).toContain("require('tencentcloud-sdk-nodejs-scf')");
    const port = new URL(p.url).port;
    writeFileSync(path.join(dir, file!), block!.replace('127.0.0.1:8910', `127.0.0.1:${port}`));
    const { stdout } = await promisify(execFile)(process.execPath, [file!], { cwd: dir, timeout: 20_000 });
    const answer = JSON.parse(stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({ UnallocatedConcurrencyNum: expect.any(Number), Allocated: [] });
    expect(answer.RequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

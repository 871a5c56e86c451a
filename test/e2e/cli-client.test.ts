/**
 * The CLI for people, built (dist/) and spawned as a user runs it, against a hearth on
 * port 0: functions, invoke, provisioned concurrency with --wait, logs (and --follow),
 * status, JSON output, exit codes, and a dead endpoint.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { CreateFunctionCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
let p: TestPlatform;
let version = '';

function hearth(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HEARTH_ENDPOINT: p.url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, done, stdout: () => stdout };
}

const run = (...args: string[]) => hearth(args).done;

async function createFunction(name: string, source: string) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.mjs': source }) },
    }),
  );
}

beforeAll(async () => {
  p = await startPlatform();
  await createFunction(
    'greeter',
    `export const handler = async (e) => { console.log('hello', e.who); if (e.fail) { throw new Error('nope'); } return { hi: e.who }; };`,
  );
  version = (await p.client.send(new PublishVersionCommand({ FunctionName: 'greeter' }))).Version ?? '';
});

afterAll(async () => {
  await p.dispose();
});

describe('hearth CLI against a running hearth', () => {
  it('lists functions as a table and as JSON', async () => {
    const table = await run('functions', 'ls');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+RUNTIME\s+MEMORY/);
    expect(table.stdout).toMatch(/\ngreeter\s+nodejs20\.x\s+128 MB/);
    // No colour codes when stdout is not a terminal.
    expect(table.stdout).not.toContain('\u001b[');
    const json = await run('functions', 'ls', '--json');
    expect((JSON.parse(json.stdout) as { FunctionName: string }[]).map((f) => f.FunctionName)).toEqual([
      'greeter',
    ]);
  });

  it('invokes with a payload, exits 4 on a function error and 1 on an unknown function', async () => {
    const ok = await run('invoke', 'greeter', '--payload', '{"who":"ann"}');
    expect(ok).toMatchObject({ code: 0, stdout: '{"hi":"ann"}\n' });
    const json = await run('invoke', `greeter:${version}`, '--payload', '{"who":"bo"}', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      statusCode: 200,
      executedVersion: version,
      payload: { hi: 'bo' },
    });
    const failed = await run('invoke', 'greeter', '--payload', '{"fail":true}');
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain('function error (Unhandled)');
    const missing = await run('invoke', 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^hearth: ResourceNotFoundException: Function not found: arn:aws:lambda:[^\n]+:function:nobody\n$/,
    );
  });

  it('puts provisioned concurrency and waits for READY, showing progress; lists it', async () => {
    const put = await run('pc', 'put', `greeter:${version}`, '2', '--wait');
    expect(put.code).toBe(0);
    expect(put.stderr).toMatch(
      new RegExp(`greeter:${version}\\s+IN_PROGRESS\\s+allocated \\d/2\\s+available \\d/2\\n`),
    );
    expect(put.stderr).toMatch(
      new RegExp(`greeter:${version}\\s+READY\\s+allocated 2/2\\s+available 2/2\\n$`),
    );
    const ls = await run('pc', 'ls', '--json');
    expect(JSON.parse(ls.stdout)).toEqual([
      expect.objectContaining({
        function: 'greeter',
        qualifier: version,
        requested: 2,
        available: 2,
        status: 'READY',
      }),
    ]);
    const usage = await run('pc', 'put', 'greeter', '1');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("hearth: 'greeter' names no version or alias (NAME:QUALIFIER)\n");
  });

  it('reports a provisioned config that FAILED with its StatusReason, exit 4', async () => {
    await createFunction('broken', `throw new Error('cannot start');`);
    const v = (await p.client.send(new PublishVersionCommand({ FunctionName: 'broken' }))).Version ?? '';
    const put = await run('pc', 'put', `broken:${v}`, '1', '--wait');
    expect(put.code).toBe(4);
    expect(put.stderr).toMatch(/\nFAILED: .+\n$/);
  });

  it('prints a function log, filtered, and follows new events until interrupted', async () => {
    await run('invoke', 'greeter', '--payload', '{"who":"logged"}');
    const all = await run('logs', 'greeter');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z {2}(INIT_START|START) /);
    expect(all.stdout).toMatch(/\tINFO\thello logged\n/);
    const filtered = await run('logs', 'greeter', '--filter', '"REPORT RequestId"', '--json');
    const lines = filtered.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.message.startsWith('REPORT RequestId: '))).toBe(true);

    const follow = hearth(['logs', 'greeter', '--follow', '--since', '1m']);
    // Wait for what is already there, then make something new and wait for it.
    await new Promise<void>((resolve) => {
      const check = () => (follow.stdout().includes('hello logged') ? resolve() : undefined);
      follow.child.stdout.on('data', check);
      check();
    });
    await run('invoke', 'greeter', '--payload', '{"who":"followed"}');
    await new Promise<void>((resolve) => {
      const check = () => (follow.stdout().includes('hello followed') ? resolve() : undefined);
      follow.child.stdout.on('data', check);
      check();
    });
    follow.child.kill('SIGINT');
    const ended = await follow.done;
    expect(ended.code).toBe(0);
    // Each event once, though every round asks again from the newest timestamp.
    expect(ended.stdout.split('hello followed').length).toBe(2);
  });

  it('reports status', async () => {
    const s = await run('status', '--json');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({
      endpoint: p.url,
      healthy: true,
      functions: 2,
      provisioned: { requested: 3, available: 2, configs: { READY: 1, FAILED: 1 } },
    });
  });

  it('says in one line when hearth cannot be reached (exit 3), and refuses bad usage (exit 2)', async () => {
    const dead = await hearth(['functions', 'ls', '--endpoint', 'http://127.0.0.1:9'], {}).done;
    expect(dead.code).toBe(3);
    expect(dead.stderr).toBe(
      'hearth: cannot reach hearth at http://127.0.0.1:9 (ECONNREFUSED); is it running? (--endpoint, HEARTH_ENDPOINT)\n',
    );
    const bad = await run('pc', 'frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^hearth: unknown command 'frobnicate'/);
    const url = await run('status', '--endpoint', 'not a url');
    expect(url).toMatchObject({
      code: 2,
      stderr: "hearth: 'not a url' is not a URL (expected e.g. http://127.0.0.1:8910)\n",
    });
  });
});

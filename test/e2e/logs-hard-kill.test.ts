/**
 * Function logs survive a hard kill: once hearth has shown a line through the Logs API
 * (which writes what is queued first), `kill -9` loses nothing of it; a new server on the
 * same data dir serves the same events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { TEST_ACCOUNT, TEST_REGION, lambdaClient } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-logs-kill-'));
const children: ChildProcess[] = [];

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
    {
      env: { PATH: process.env.PATH ?? '', HEARTH_REGION: TEST_REGION },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /hearth listening on (http:\/\/\S+)\n/.exec(out);
      if (m?.[1] !== undefined) {
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hearth exited ${code}`)));
  });
  return { child, url };
}

const logsOf = async (url: string) => {
  const logs = new CloudWatchLogsClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  try {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/survivor' }));
    return (r.events ?? []).map((e) => e.message);
  } finally {
    logs.destroy();
  }
};

afterAll(() => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGKILL');
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

// Two hearth processes started one after the other: on a loaded machine each start alone
// can take ~10 s (the default 30 s timed out in a full run at load 15).
it('keeps the log lines hearth has shown across kill -9', { timeout: 90_000 }, async () => {
  const first = await serve();
  const lambda = lambdaClient(first.url);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'survivor',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: {
        ZipFile: await makeZip({
          'index.mjs': `export const handler = async () => { console.log('still here'); };`,
        }),
      },
    }),
  );
  await lambda.send(new InvokeCommand({ FunctionName: 'survivor' }));
  lambda.destroy();
  const before = await logsOf(first.url);
  expect(before.some((m) => m?.endsWith('\tINFO\tstill here'))).toBe(true);
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = await serve();
  expect(await logsOf(second.url)).toEqual(before);
  second.child.kill('SIGTERM');
  await once(second.child, 'exit');
});

/**
 * A hard kill in the middle of work: `hearth serve` is SIGKILLed right after acknowledging
 * changes (and with provisioned environments running); a new server on the same data dir
 * has every acknowledged change, re-provisions, and the orphaned environments of the
 * killed server go away by themselves (they see their channel close).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-kill-'));
const children: ChildProcess[] = [];

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent'],
    {
      // Environments are told apart by PID: unsandboxed (in a sandbox every runtime is PID 2).
      env: { PATH: process.env.PATH ?? '', HEARTH_SANDBOX: 'off' },
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitReady(url: string) {
  const client = lambdaClient(url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const c = await client.send(
      new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'durable', Qualifier: 'live' }),
    );
    if (c.Status === 'READY') {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`still ${c.Status}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(() => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

it('keeps every acknowledged change across kill -9 and re-provisions', async () => {
  const first = await serve();
  const client = lambdaClient(first.url);
  const zip = await makeZip({
    'index.mjs':
      'export const handler = async () => ({ type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, pid: process.pid });',
  });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: 'durable',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: zip },
    }),
  );
  await client.send(new PublishVersionCommand({ FunctionName: 'durable' }));
  await client.send(new CreateAliasCommand({ FunctionName: 'durable', Name: 'live', FunctionVersion: '1' }));
  await client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: 'durable',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 2,
    }),
  );
  await waitReady(first.url);
  const before = await client.send(new InvokeCommand({ FunctionName: 'durable', Qualifier: 'live' }));
  const oldPid = (JSON.parse(Buffer.from(before.Payload ?? []).toString()) as { pid: number }).pid;
  // The last acknowledged change before the kill.
  await client.send(
    new TagResourceCommand({
      Resource: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:durable`,
      Tags: { last: 'write' },
    }),
  );
  client.destroy();
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = await serve();
  const client2 = lambdaClient(second.url);
  const fn = await client2.send(new GetFunctionCommand({ FunctionName: 'durable', Qualifier: 'live' }));
  expect(fn.Configuration?.Version).toBe('1');
  expect(fn.Tags).toEqual({ last: 'write' });
  const code = await fetch(fn.Code?.Location ?? '');
  expect(Buffer.from(await code.arrayBuffer()).equals(zip)).toBe(true);
  await waitReady(second.url);
  const after = await client2.send(new InvokeCommand({ FunctionName: 'durable', Qualifier: 'live' }));
  expect(JSON.parse(Buffer.from(after.Payload ?? []).toString())).toMatchObject({
    type: 'provisioned-concurrency',
  });
  // The killed server's environments exit once their channel closes.
  await expect.poll(() => alive(oldPid), { timeout: 10_000, interval: 50 }).toBe(false);
  client2.destroy();
  second.child.kill('SIGTERM');
  expect((await once(second.child, 'exit'))[0]).toBe(0);
});

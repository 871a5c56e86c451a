/**
 * Acknowledged Event invokes survive `kill -9` (issue 13): a real `hearth serve` child is
 * SIGKILLed in the middle of a burst of 1,000 Event invokes; a new server on the same data
 * dir runs every acknowledged event at least once and none more than twice. The function
 * appends its request id to a file, so the file is the record of what ran. The same with
 * the queue in PostgreSQL (`--store postgres://…`, the node taking its own claims back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-async-kill-'));
const ranFile = path.join(dataDir, 'ran.txt');
const children: ChildProcess[] = [];
const drops: (() => Promise<void>)[] = [];
const pgAvailable = await postgresAvailable();

async function serve(store: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent', ...store],
    {
      // Four queue workers: four environments on a shared two-core machine.
      // The function appends to a host file: unsandboxed (README "Security").
      env: { PATH: process.env.PATH ?? '', HEARTH_ASYNC_QUEUE_WORKERS: '4', HEARTH_SANDBOX: 'off' },
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

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
  for (const drop of drops) {
    await drop();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function ranCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(ranFile, 'utf8');
  } catch {
    return counts;
  }
  for (const id of text.split('\n')) {
    if (id !== '') {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

it('runs every acknowledged event after kill -9, none more than twice', async () => {
  await burstKillRestart([], 1000, 400, 'burst');
}, 120_000);

it.skipIf(!pgAvailable)(
  'the same with the queue in PostgreSQL',
  async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    await burstKillRestart(['--store', db.url], 300, 100, 'burst-pg');
  },
  120_000,
);

async function burstKillRestart(store: string[], BURST: number, KILL_AFTER_ACKS: number, fn: string) {
  writeFileSync(ranFile, '');
  const first = await serve(store);
  const client = lambdaClient(first.url);
  const zip = await makeZip({
    'index.mjs': `import { appendFileSync } from 'node:fs';
export const handler = async (event, context) => {
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(process.env.RAN_FILE, context.awsRequestId + '\\n');
  return event.n;
};`,
  });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: fn,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: zip },
      Environment: { Variables: { RAN_FILE: ranFile } },
    }),
  );

  // 1. the burst, 50 at a time; the server is killed once KILL_AFTER_ACKS were acknowledged.
  const acked: string[] = [];
  let killed = false;
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < BURST && !killed) {
      const n = next++;
      try {
        const res = await client.send(
          new InvokeCommand({
            FunctionName: fn,
            InvocationType: 'Event',
            Payload: JSON.stringify({ n }),
          }),
        );
        expect(res.StatusCode).toBe(202);
        acked.push(res.$metadata.requestId ?? '');
      } catch (e) {
        if (!killed) {
          throw e;
        }
        return; // the request raced the kill: not acknowledged
      }
      if (acked.length >= KILL_AFTER_ACKS && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, sender));
  await once(first.child, 'exit');
  client.destroy();
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
  const ranBeforeRestart = ranCounts();
  // The kill came while acknowledged events were still waiting: the restart has work to do.
  expect(acked.filter((id) => !ranBeforeRestart.has(id)).length).toBeGreaterThan(0);

  // 2. a new server on the same data dir runs what was acknowledged and had not run.
  const second = await serve(store);
  await expect
    .poll(() => acked.filter((id) => !ranCounts().has(id)).length, { timeout: 60_000, interval: 100 })
    .toBe(0);
  const counts = ranCounts();
  for (const [id, n] of counts) {
    expect(n, `request ${id} ran ${n} times`).toBeLessThanOrEqual(2);
  }
  second.child.kill('SIGTERM');
  expect((await once(second.child, 'exit'))[0]).toBe(0);
}

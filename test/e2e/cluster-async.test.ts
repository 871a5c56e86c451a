/**
 * The async queue shared by two `hearth serve` nodes on one PostgreSQL (issue 14 item 5):
 * Event invokes acknowledged by node A, which is killed with `kill -9` while they wait,
 * run on node B once A's claims have lapsed (HEARTH_CLUSTER_EXPIRY_MS), each at least once
 * and none more than twice. The function appends its request id to a file: the record of
 * what ran.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { HearthProcesses } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();
const scratch = mkdtempSync(path.join(tmpdir(), 'hearth-cluster-async-'));
const ranFile = path.join(scratch, 'ran.txt');
const hearths = new HearthProcesses();

afterAll(async () => {
  await hearths.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

async function serve(store: string, id: string): Promise<{ child: ChildProcess; url: string }> {
  const s = hearths.start(['--store', store, '--node-id', id, '--log-level', 'silent'], {
    name: id,
    // The function appends to a host file: unsandboxed (README "Security").
    env: { HEARTH_SANDBOX: 'off', HEARTH_CLUSTER_EXPIRY_MS: '1500', HEARTH_ASYNC_QUEUE_WORKERS: '2' },
  });
  return { child: s.child, url: await s.url };
}

function ranCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of readFileSync(ranFile, 'utf8').split('\n')) {
    if (id !== '') {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return counts;
}

it.skipIf(!available)(
  "runs a killed node's acknowledged events on the other node",
  async () => {
    writeFileSync(ranFile, '');
    const db = await freshDatabase();
    hearths.onCleanup(db.drop);
    const a = await serve(db.url, 'a');
    const b = await serve(db.url, 'b');
    const clientA = lambdaClient(a.url);
    await clientA.send(
      new CreateFunctionCommand({
        FunctionName: 'slow-event',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        Code: {
          ZipFile: await makeZip({
            'index.mjs': `import { appendFileSync } from 'node:fs';
export const handler = async (event, context) => {
  await new Promise((r) => setTimeout(r, 2000));
  appendFileSync(process.env.RAN_FILE, context.awsRequestId + '\\n');
  return event.n;
};`,
          }),
        },
        Environment: { Variables: { RAN_FILE: ranFile } },
      }),
    );
    // 1. twelve events acknowledged by A, which runs two at a time and dies with most waiting.
    const acked: string[] = [];
    for (let n = 0; n < 12; n++) {
      const res = await clientA.send(
        new InvokeCommand({
          FunctionName: 'slow-event',
          InvocationType: 'Event',
          Payload: JSON.stringify({ n }),
        }),
      );
      expect(res.StatusCode).toBe(202);
      acked.push(res.$metadata.requestId ?? '');
    }
    clientA.destroy();
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');
    // A runs two at a time for 2 s each: most of them were still waiting.
    expect(acked.filter((id) => !ranCounts().has(id)).length).toBeGreaterThan(6);
    // 2. B takes them over once A's lease has lapsed, and runs every one.
    await expect
      .poll(() => acked.filter((id) => !ranCounts().has(id)).length, { timeout: 60_000, interval: 200 })
      .toBe(0);
    for (const [id, n] of ranCounts()) {
      expect(n, `request ${id} ran ${n} times`).toBeLessThanOrEqual(2);
    }
    b.child.kill('SIGTERM');
    expect((await once(b.child, 'exit'))[0]).toBe(0);
  },
  120_000,
);

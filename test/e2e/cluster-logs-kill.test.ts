/**
 * Function logs outlive the node that wrote them: two `hearth serve` processes on one
 * PostgreSQL; an invoke runs on node a (on demand: it is not forwarded), node a shows its
 * lines (a read writes what it has queued), node a is killed with kill -9, and node b
 * serves the same events, with SCF's view of the invocation.
 */
import { once } from 'node:events';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, TEST_REGION, lambdaClient } from '../helpers/platform.js';
import { scfClient } from '../helpers/scf.js';
import { HearthProcesses, type ServedHearth } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();
const hearths = new HearthProcesses();
afterAll(() => hearths.cleanup());

const start = (store: string, id: string): ServedHearth =>
  hearths.start(['--store', store, '--node-id', id, '--log-level', 'warn'], {
    name: id,
    env: {
      HEARTH_SANDBOX: 'off',
      HEARTH_REGION: TEST_REGION,
      HEARTH_CLUSTER_HEARTBEAT_MS: '200',
      HEARTH_CLUSTER_EXPIRY_MS: '3000',
    },
  });

async function eventsOn(url: string): Promise<{ id: string; message: string }[]> {
  const logs = new CloudWatchLogsClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  try {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/survivor' }));
    return (r.events ?? []).map((e) => ({ id: e.eventId ?? '', message: e.message ?? '' }));
  } finally {
    logs.destroy();
  }
}

describe.skipIf(!available)('function logs on a cluster', () => {
  it('serves from node b the lines node a showed before kill -9', { timeout: 120_000 }, async () => {
    const db = await freshDatabase();
    hearths.onCleanup(db.drop);
    const a = start(db.url, 'node-a');
    const b = start(db.url, 'node-b');
    const [urlA, urlB] = await Promise.all([a.url, b.url]);
    const lambda = lambdaClient(urlA);
    try {
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
    } finally {
      lambda.destroy();
    }
    const before = await eventsOn(urlA);
    expect(before.some((e) => e.message.endsWith('\tINFO\tstill here'))).toBe(true);
    a.child.kill('SIGKILL');
    await once(a.child, 'exit');

    expect(await eventsOn(urlB)).toEqual(before);
    const scf = await scfClient(urlB).GetFunctionLogs({ FunctionName: 'survivor' });
    expect(scf.TotalCount).toBe(1);
    expect(scf.Data?.[0]?.Log).toContain('still here');
  });
});

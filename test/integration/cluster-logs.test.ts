/**
 * Function logs in a cluster: two hearth nodes on one PostgreSQL share one log store
 * (src/store/logs/postgres-log-store.ts). An on-demand function invoked on node a runs
 * there (cluster/README.md: only provisioned environments are forwarded); its lines are
 * read on node b with the official CloudWatch Logs SDK and with SCF's GetFunctionLogs.
 * Node b sees them once node a has written its buffer (~50 ms); node a, which ran the
 * invoke, sees them as soon as the invoke has answered.
 */
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, TEST_REGION, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { scfClient } from '../helpers/scf.js';
import { until } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();

const logsClient = (url: string) =>
  new CloudWatchLogsClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

describe.skipIf(!available)('function logs across a cluster of two nodes', () => {
  let drop: () => Promise<void> = () => Promise.resolve();
  const nodes: TestPlatform[] = [];

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    for (const id of ['node-a', 'node-b']) {
      nodes.push(
        await startPlatform({ store: fresh.url, nodeId: id, clusterHeartbeatMs: 200, clusterExpiryMs: 3000 }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) {
      await n.dispose();
    }
    await drop();
  });

  it('reads on node b the lines of an invoke that ran on node a', { timeout: 60_000 }, async () => {
    const [a, b] = nodes as [TestPlatform, TestPlatform];
    await a.client.send(
      new CreateFunctionCommand({
        FunctionName: 'chatty',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        Code: {
          ZipFile: await makeZip({
            'index.mjs': `export const handler = async (event) => { console.log('hello from', event.marker); return 'ok'; };`,
          }),
        },
      }),
    );
    const marker = `m-${Date.now()}`;
    const res = await a.client.send(
      new InvokeCommand({ FunctionName: 'chatty', Payload: Buffer.from(JSON.stringify({ marker })) }),
    );
    expect(res.FunctionError).toBeUndefined();
    const group = '/aws/lambda/chatty';
    const filter = (url: string) =>
      logsClient(url).send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${marker}"` }));

    // Node a ran it: its lines are there once its answer is.
    const onA = await filter(a.url);
    expect(onA.events?.map((e) => e.message?.trim())).toEqual([
      expect.stringMatching(`hello from ${marker}`),
    ]);

    // Node b reads the same events, in the same positions, from the shared store.
    const onB = await until(
      () => filter(b.url),
      (r) => (r.events ?? []).length === 1,
      "node a's line on node b",
    );
    expect(onB.events?.[0]?.eventId).toBe(onA.events?.[0]?.eventId);
    const streams = await logsClient(b.url).send(new DescribeLogStreamsCommand({ logGroupName: group }));
    const stream = streams.logStreams?.[0]?.logStreamName ?? '';
    const lines = await logsClient(b.url).send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }),
    );
    const messages = (lines.events ?? []).map((e) => e.message ?? '');
    expect(messages[0]).toMatch(/^INIT_START /);
    expect(messages.some((m) => m.startsWith('START RequestId: '))).toBe(true);
    expect(messages.some((m) => m.includes(`hello from ${marker}`))).toBe(true);
    expect(messages.at(-1)).toMatch(/^REPORT RequestId: /);

    // SCF's view of the same invocation, on node b.
    const scf = await scfClient(b.url).GetFunctionLogs({ FunctionName: 'chatty' });
    expect(scf.TotalCount).toBe(1);
    expect(scf.Data?.[0]?.Log).toContain(`hello from ${marker}`);
  });
});

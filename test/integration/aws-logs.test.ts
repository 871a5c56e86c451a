/**
 * Function logs through @aws-sdk/client-cloudwatch-logs against a real hearth on port 0:
 * START/END/REPORT lines and the function's output of on-demand and provisioned
 * environments, filter patterns, pagination, retention, errors, restart durability.
 */
import {
  CloudWatchLogsClient,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  PutRetentionPolicyCommand,
  ResourceNotFoundException,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, TEST_REGION, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
let p: TestPlatform;
let logs: CloudWatchLogsClient;

const logsClient = (url: string) =>
  new CloudWatchLogsClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

async function createFunction(name: string) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: {
        ZipFile: await makeZip({
          'index.mjs': `export const handler = async (event) => {
            console.log('greeting', event.who ?? 'nobody');
            if (event.partial) { process.stdout.write('no newline here'); }
            if (event.fail) { throw new Error('Task failed on purpose'); }
            return 'ok';
          };`,
        }),
      },
    }),
  );
}

const invoke = (name: string, payload: unknown, qualifier?: string) =>
  p.client.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: Buffer.from(JSON.stringify(payload)),
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
    }),
  );

async function messages(group: string, pattern?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateFilterLogEvents(
    { client: logs },
    { logGroupName: group, ...(pattern === undefined ? {} : { filterPattern: pattern }) },
  )) {
    out.push(...(page.events ?? []).map((e) => e.message ?? ''));
  }
  return out;
}

beforeAll(async () => {
  p = await startPlatform();
  logs = logsClient(p.url);
  await createFunction('talker');
});

afterAll(async () => {
  logs.destroy();
  await p.dispose();
});

describe('CloudWatch Logs over function logs', () => {
  it("shows an on-demand invoke's START, output, END and REPORT lines in its stream", async () => {
    const out = await invoke('talker', { who: 'alice' });
    const requestId = out.$metadata.requestId ?? '';
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/talk' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/lambda/talker']);
    expect(groups.logGroups?.[0]?.arn).toBe(
      `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:/aws/lambda/talker:*`,
    );
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/talker' }));
    const stream = streams.logStreams?.[0]?.logStreamName ?? '';
    expect(stream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const events = await logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/lambda/talker',
        logStreamName: stream,
        startFromHead: true,
      }),
    );
    const lines = (events.events ?? []).map((e) => e.message ?? '');
    const start = lines.findIndex((l) => l === `START RequestId: ${requestId} Version: $LATEST`);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines[start + 1]).toMatch(new RegExp(`\\t${requestId}\\tINFO\\tgreeting alice$`));
    expect(lines[start + 2]).toBe(`END RequestId: ${requestId}`);
    expect(lines[start + 3]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${requestId}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d{2} ms`,
      ),
    );
    expect(lines.some((l) => l.startsWith('INIT_START Runtime Version: '))).toBe(true);
    for (const e of events.events ?? []) {
      expect(e.timestamp).toBeGreaterThan(0);
      expect(e.ingestionTime).toBeGreaterThanOrEqual(e.timestamp ?? 0);
    }
  });

  it("shows a provisioned environment's lines, with INIT_START before any invoke", async () => {
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'talker' }));
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'talker',
        Qualifier: v.Version,
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    for (;;) {
      const c = await p.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'talker', Qualifier: v.Version }),
      );
      if (c.Status === 'READY') {
        break;
      }
      expect(c.Status).toBe('IN_PROGRESS');
      await new Promise((r) => setTimeout(r, 20));
    }
    const out = await invoke('talker', { who: 'bob' }, v.Version);
    const requestId = out.$metadata.requestId ?? '';
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/talker' }));
    const pc = (streams.logStreams ?? []).find((s) => s.logStreamName?.includes(`[${v.Version}]`));
    expect(pc).toBeDefined();
    const events = await logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/lambda/talker',
        logStreamName: pc?.logStreamName,
        startFromHead: true,
      }),
    );
    const lines = (events.events ?? []).map((e) => e.message ?? '');
    expect(lines[0]).toMatch(/^INIT_START Runtime Version: /);
    expect(lines).toContain(`START RequestId: ${requestId} Version: ${v.Version}`);
    const report = lines.find((l) => l.startsWith(`REPORT RequestId: ${requestId}\t`));
    // A provisioned environment initialised ahead of the invoke: no Init Duration (§5.7).
    expect(report).toBeDefined();
    expect(report).not.toContain('Init Duration');
  });

  it('filters by terms, quoted phrases, exclusions and alternatives', async () => {
    await invoke('talker', { who: 'carol' });
    await invoke('talker', { who: 'dave', fail: true });
    expect((await messages('/aws/lambda/talker', 'greeting carol')).length).toBe(1);
    expect(await messages('/aws/lambda/talker', '"Task failed on purpose"')).not.toEqual([]);
    const reports = await messages('/aws/lambda/talker', 'REPORT -Init');
    expect(reports.length).toBeGreaterThan(0);
    expect(reports.every((m) => m.startsWith('REPORT') && !m.includes('Init'))).toBe(true);
    const either = await messages('/aws/lambda/talker', '?carol ?dave');
    expect(either.filter((m) => m.includes('greeting')).length).toBe(2);
    const all = await messages('/aws/lambda/talker');
    expect(all.length).toBeGreaterThan(either.length);
  });

  it('pages FilterLogEvents and GetLogEvents with their tokens', async () => {
    for (let i = 0; i < 5; i++) {
      await invoke('talker', { who: `page${i}` });
    }
    const all = await messages('/aws/lambda/talker');
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await logs.send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/talker', limit: 3, nextToken: token }),
      );
      paged.push(...(r.events ?? []).map((e) => e.message ?? ''));
      token = r.nextToken;
      pages++;
    } while (token !== undefined);
    expect(paged).toEqual(all);
    expect(pages).toBeGreaterThan(3);

    const streams = await logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: '/aws/lambda/talker',
        orderBy: 'LastEventTime',
        descending: true,
        limit: 1,
      }),
    );
    const stream = streams.logStreams?.[0]?.logStreamName ?? '';
    expect(streams.nextToken).toBeDefined();
    const whole = await logs.send(
      new GetLogEventsCommand({
        logGroupName: '/aws/lambda/talker',
        logStreamName: stream,
        startFromHead: true,
      }),
    );
    const seen: string[] = [];
    let forward: string | undefined;
    for (;;) {
      const r = await logs.send(
        new GetLogEventsCommand({
          logGroupName: '/aws/lambda/talker',
          logStreamName: stream,
          limit: 4,
          startFromHead: true,
          nextToken: forward,
        }),
      );
      seen.push(...(r.events ?? []).map((e) => e.message ?? ''));
      if (r.nextForwardToken === forward) {
        break; // the same token back: the end of the stream, as the AWS CLI detects it
      }
      forward = r.nextForwardToken;
    }
    expect(seen).toEqual((whole.events ?? []).map((e) => e.message ?? ''));
    // Without a token and startFromHead: the newest events.
    const tail = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName: stream, limit: 2 }),
    );
    expect((tail.events ?? []).map((e) => e.message)).toEqual(seen.slice(-2));
  });

  it("answers AWS's errors for unknown groups and streams, bad limits, patterns and tokens", async () => {
    const notFound = await logs
      .send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/nope' }))
      .catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ResourceNotFoundException);
    expect((notFound as Error).message).toBe('The specified log group does not exist.');
    const noStream = await logs
      .send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName: 'nope' }))
      .catch((e: unknown) => e);
    expect((noStream as Error).message).toBe('The specified log stream does not exist.');
    const limit = await logs
      .send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/talker', limit: 10001 }))
      .catch((e: unknown) => e);
    expect(limit).toBeInstanceOf(InvalidParameterException);
    expect((limit as Error).message).toBe(
      "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
    );
    const pattern = await logs
      .send(
        new FilterLogEventsCommand({ logGroupName: '/aws/lambda/talker', filterPattern: 'Status: timeout' }),
      )
      .catch((e: unknown) => e);
    expect(pattern).toBeInstanceOf(InvalidParameterException);
    expect((pattern as Error).message).toBe("Invalid character(s) in term ':'");
    const token = await logs
      .send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/talker', nextToken: 'garbage' }))
      .catch((e: unknown) => e);
    expect((token as Error).message).toBe('The specified nextToken is invalid.');
    const order = await logs
      .send(
        new DescribeLogStreamsCommand({
          logGroupName: '/aws/lambda/talker',
          orderBy: 'LastEventTime',
          logStreamNamePrefix: '2',
        }),
      )
      .catch((e: unknown) => e);
    expect((order as Error).message).toBe('Cannot order by LastEventTime with a logStreamNamePrefix.');
    const days = await logs
      .send(new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/talker', retentionInDays: 2 }))
      .catch((e: unknown) => e);
    expect(days).toBeInstanceOf(InvalidParameterException);
    expect((days as Error).message).toMatch(
      /^1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \[1, 3, 5, 7, 14, /,
    );
  });

  it('keeps logs across a restart, applies retention, and deletes a group', async () => {
    await createFunction('keeper');
    await invoke('keeper', { who: 'durable' });
    p = await p.restart();
    logs.destroy();
    logs = logsClient(p.url);
    expect(await messages('/aws/lambda/keeper', 'greeting durable')).toHaveLength(1);

    await logs.send(
      new PutRetentionPolicyCommand({ logGroupName: '/aws/lambda/keeper', retentionInDays: 7 }),
    );
    const g = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/keeper' }));
    expect(g.logGroups?.[0]?.retentionInDays).toBe(7);
    expect(g.logGroups?.[0]?.storedBytes).toBeGreaterThan(0);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/aws/lambda/keeper' }));
    const h = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/keeper' }));
    expect(h.logGroups?.[0]?.retentionInDays).toBeUndefined();

    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/keeper' }));
    const gone = await logs
      .send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/keeper' }))
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    // The next invoke's lines make the group again, as Lambda's do.
    await invoke('keeper', { who: 'again' });
    expect(await messages('/aws/lambda/keeper', 'greeting')).toHaveLength(1);
  });
});

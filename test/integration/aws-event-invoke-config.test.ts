/**
 * EventInvokeConfig operations and destinations through @aws-sdk/client-lambda (issue 13):
 * AWS's validation and messages, and invocation records delivered to a destination
 * function that appends them to a file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
const arn = (name: string, q?: string) =>
  `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:${name}${q === undefined ? '' : `:${q}`}`;
let p: TestPlatform;
const scratch = mkdtempSync(path.join(tmpdir(), 'hearth-eic-'));
const records = path.join(scratch, 'records.jsonl');

async function createFunction(name: string, source: string, env: Record<string, string> = {}) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await makeZip({ 'index.mjs': source }) },
      Environment: { Variables: env },
    }),
  );
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number | undefined }> {
  const e = (await promise.then(
    () => undefined,
    (err: unknown) => err,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  expect(e).toBeDefined();
  return { name: e?.name ?? '', message: e?.message ?? '', status: e?.$metadata?.httpStatusCode };
}

function readRecords(): Record<string, unknown>[] {
  try {
    return readFileSync(records, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  p = await startPlatform();
  await createFunction(
    'work',
    `export const handler = async (event) => { if (event.fail) { throw new TypeError('boom'); } return { ok: event.n }; };`,
  );
  await createFunction(
    'sink',
    `import { appendFileSync } from 'node:fs';
     export const handler = async (event) => { appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n'); };`,
    { OUT: records },
  );
  await createFunction('doomed', 'export const handler = async () => 1;');
});

afterAll(async () => {
  await p.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('EventInvokeConfig operations', () => {
  it('puts, gets, updates, lists and deletes a config', async () => {
    const put = await p.client.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'work', MaximumRetryAttempts: 1 }),
    );
    expect(put).toMatchObject({
      FunctionArn: arn('work', '$LATEST'),
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnSuccess: {}, OnFailure: {} },
    });
    expect(put.LastModified).toBeInstanceOf(Date);
    const updated = await p.client.send(
      new UpdateFunctionEventInvokeConfigCommand({
        FunctionName: 'work',
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: arn('sink') } },
      }),
    );
    expect(updated).toMatchObject({
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: arn('sink') } },
    });
    const got = await p.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'work' }));
    expect(got.MaximumEventAgeInSeconds).toBe(3600);
    const listed = await p.client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'work' }));
    expect(listed.FunctionEventInvokeConfigs?.map((c) => c.FunctionArn)).toEqual([arn('work', '$LATEST')]);
    // Put replaces the whole config.
    const replaced = await p.client.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'work', MaximumRetryAttempts: 0 }),
    );
    expect(replaced.MaximumEventAgeInSeconds).toBeUndefined();
    await p.client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'work' }));
    expect(
      await errorOf(p.client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'work' }))),
    ).toEqual({
      name: 'ResourceNotFoundException',
      message: `The function ${arn('work', '$LATEST')} doesn't have an EventInvokeConfig`,
      status: 404,
    });
  });

  it("refuses bad input with AWS's errors", async () => {
    expect(
      await errorOf(
        p.client.send(
          new PutFunctionEventInvokeConfigCommand({
            FunctionName: 'work',
            MaximumRetryAttempts: 3,
            MaximumEventAgeInSeconds: 59,
          }),
        ),
      ),
    ).toEqual({
      name: 'ValidationException',
      message:
        "2 validation errors detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2; Value '59' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60",
      status: 400,
    });
    expect(
      await errorOf(p.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'work' }))),
    ).toMatchObject({
      name: 'InvalidParameterValueException',
      message: 'You must specify at least one of error handling or destination setting.',
    });
    const dest = (d: string) =>
      p.client.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'work',
          DestinationConfig: { OnFailure: { Destination: d } },
        }),
      );
    expect(await errorOf(dest(arn('work')))).toMatchObject({
      name: 'InvalidParameterValueException',
      message: "You can't specify the function as a destination for itself.",
    });
    expect(await errorOf(dest(arn('nope')))).toMatchObject({
      message: `The destination ARN ${arn('nope')} is invalid.`,
    });
    const foreign = 'arn:aws:lambda:us-east-1:999999999999:function:sink';
    expect(await errorOf(dest(foreign))).toMatchObject({
      message: `The destination ARN ${foreign} is invalid.`,
    });
    const sqs = `arn:aws:sqs:us-east-1:${TEST_ACCOUNT}:q`;
    expect(await errorOf(dest(sqs))).toMatchObject({
      name: 'InvalidParameterValueException',
      message: `The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=${sqs})) is invalid.`,
    });
    expect(await errorOf(dest('not-an-arn'))).toMatchObject({ name: 'ValidationException' });
    expect(
      await errorOf(
        p.client.send(
          new PutFunctionEventInvokeConfigCommand({ FunctionName: 'work:nope', MaximumRetryAttempts: 1 }),
        ),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('destinations', () => {
  it('delivers AWS invocation records on success and after retries are exhausted', async () => {
    await p.client.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'work',
        MaximumRetryAttempts: 0,
        DestinationConfig: {
          OnSuccess: { Destination: arn('sink') },
          OnFailure: { Destination: arn('sink') },
        },
      }),
    );
    const ok = await p.client.send(
      new InvokeCommand({ FunctionName: 'work', InvocationType: 'Event', Payload: JSON.stringify({ n: 7 }) }),
    );
    const bad = await p.client.send(
      new InvokeCommand({
        FunctionName: 'work',
        InvocationType: 'Event',
        Payload: JSON.stringify({ fail: true }),
      }),
    );
    await expect.poll(() => readRecords().length, { timeout: 30_000, interval: 50 }).toBe(2);
    const byId = new Map(
      readRecords().map((r) => [(r.requestContext as { requestId: string }).requestId, r]),
    );
    expect(byId.get(ok.$metadata.requestId ?? '')).toMatchObject({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      requestContext: {
        functionArn: arn('work', '$LATEST'),
        condition: 'Success',
        approximateInvokeCount: 1,
      },
      requestPayload: { n: 7 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      responsePayload: { ok: 7 },
    });
    expect(byId.get(bad.$metadata.requestId ?? '')).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: { fail: true },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'boom' },
    });
  });

  it('drops the records of a destination deleted later, with a log line', async () => {
    await p.client.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'work',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnSuccess: { Destination: arn('doomed') } },
      }),
    );
    await p.client.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
    await p.client.send(new InvokeCommand({ FunctionName: 'work', InvocationType: 'Event', Payload: '{}' }));
    await p.platform.core.events.idle();
    expect(p.platform.core.events.stats().depth).toBe(0);
  });

  it('sends a failed event to the function its DeadLetterConfig names, when there is no OnFailure', async () => {
    await p.client.send(
      new CreateFunctionCommand({
        FunctionName: 'dlq-source',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: {
          ZipFile: await makeZip({
            'index.mjs': 'export const handler = async () => { throw new Error("no"); };',
          }),
        },
        DeadLetterConfig: { TargetArn: arn('sink') },
      }),
    );
    await p.client.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'dlq-source', MaximumRetryAttempts: 0 }),
    );
    await p.client.send(
      new InvokeCommand({ FunctionName: 'dlq-source', InvocationType: 'Event', Payload: '{"dlq":"me"}' }),
    );
    await expect
      .poll(() => readRecords().filter((r) => r.dlq === 'me'), { timeout: 30_000, interval: 50 })
      .toEqual([{ dlq: 'me' }]);
  });
});

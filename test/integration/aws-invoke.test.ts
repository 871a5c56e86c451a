/**
 * Invoke through @aws-sdk/client-lambda against a real hearth: real child processes,
 * wire details of spec §5.7 and admission of §3.7/§3.10.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  PutFunctionConcurrencyCommand,
  DeleteFunctionConcurrencyCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT, lambdaClient, startPlatform, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;
const dec = (b: Uint8Array | undefined) => (b === undefined ? '' : Buffer.from(b).toString('utf8'));
const json = (b: Uint8Array | undefined): Record<string, unknown> =>
  JSON.parse(dec(b)) as Record<string, unknown>;

let p: TestPlatform;
const scratch = mkdtempSync(path.join(tmpdir(), 'hearth-invoke-'));

async function createFunction(name: string, source: string, extra: Record<string, unknown> = {}) {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: ROLE,
      Code: { ZipFile: await makeZip({ 'index.mjs': source }) },
      ...extra,
    }),
  );
}

beforeAll(async () => {
  p = await startPlatform();
  await createFunction(
    'echo',
    `export const handler = async (event, context) => {
       console.log('hello from', context.functionName);
       if (event.fail) { throw new TypeError('boom'); }
       if (event.touch) { (await import('node:fs')).writeFileSync(event.touch, context.awsRequestId); }
       return { event, version: context.functionVersion, arn: context.invokedFunctionArn, type: process.env.AWS_LAMBDA_INITIALIZATION_TYPE };
     };`,
  );
});

afterAll(async () => {
  await p.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('RequestResponse', () => {
  it('returns the handler result with the executed version and request id', async () => {
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"a":1}') }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(out.FunctionError).toBeUndefined();
    expect(json(out.Payload)).toEqual({
      event: { a: 1 },
      version: '$LATEST',
      arn: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:echo`,
      type: 'on-demand',
    });
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('uses one request id for the API call and the invocation, as AWS does', async () => {
    const file = path.join(scratch, 'request-id');
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ touch: file })) }),
    );
    expect(readFileSync(file, 'utf8')).toBe(out.$metadata.requestId);
  });

  it('passes an empty payload as {}', async () => {
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'echo' }));
    expect(json(out.Payload).event).toEqual({});
  });

  it('returns the log tail with LogType Tail', async () => {
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail', Payload: Buffer.from('{}') }),
    );
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(log).toContain('hello from echo');
    expect(log).toMatch(/END RequestId/);
    expect(log).toMatch(/REPORT RequestId: .*Duration: [0-9.]+ ms/);
  });

  it('reports a thrown error as Unhandled with the error document', async () => {
    const out = await p.client.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"fail":true}') }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = json(out.Payload);
    expect(body.errorType).toBe('TypeError');
    expect(body.errorMessage).toBe('boom');
  });

  it('rejects a payload that is not JSON', async () => {
    const res = await fetch(`${p.url}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      body: 'not json',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    const body = (await res.json()) as { message: string };
    expect(body.message).toMatch(
      /^Could not parse request body into json: Could not parse payload into json: /,
    );
  });

  it("checks a name invoked before with the rest of each request, in the caller's own region", async () => {
    const arn = `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:echo`;
    for (let i = 0; i < 2; i++) {
      const out = await p.client.send(new InvokeCommand({ FunctionName: arn, Qualifier: '$LATEST' }));
      expect(out.StatusCode).toBe(200);
    }
    const bad = await fetch(
      `${p.url}/2015-03-31/functions/${encodeURIComponent(arn)}/invocations?Qualifier=%24LATEST`,
      {
        method: 'POST',
        headers: { 'x-amz-invocation-type': 'Sometimes' },
        body: '{}',
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await bad.json()) as { message: string }).message).toContain(
      "Value 'Sometimes' at 'invocationType' failed to satisfy constraint",
    );
    const elsewhere = lambdaClient(p.url, 'eu-west-1');
    try {
      await expect(
        elsewhere.send(new InvokeCommand({ FunctionName: arn, Qualifier: '$LATEST' })),
      ).rejects.toThrow("Functions from 'us-east-1' are not reachable in this region ('eu-west-1')");
    } finally {
      elsewhere.destroy();
    }
  });

  it('rejects a payload over 6 MB with 413', async () => {
    const res = await fetch(`${p.url}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      body: Buffer.alloc(6_291_457, 0x20),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
  });

  it('404s an unknown function and an unknown alias', async () => {
    await expect(p.client.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      p.client.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: 'nope' })),
    ).rejects.toThrow(`Function not found: arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:echo:nope`);
  });
});

describe('qualifiers and aliases', () => {
  it('keeps $LATEST warm across PublishVersion, and starts afresh after an update', async () => {
    await createFunction('stay', 'export const handler = async () => process.pid;');
    const pid = async () => json((await p.client.send(new InvokeCommand({ FunctionName: 'stay' }))).Payload);
    const first = await pid();
    await p.client.send(new PublishVersionCommand({ FunctionName: 'stay' }));
    expect(await pid()).toBe(first);
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'stay',
        Environment: { Variables: { CHANGED: '1' } },
      }),
    );
    expect(await pid()).not.toBe(first);
  });

  it('runs published versions and aliases, reporting the executed version', async () => {
    await p.client.send(new PublishVersionCommand({ FunctionName: 'echo' }));
    await p.client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'echo',
        ZipFile: await makeZip({ 'index.mjs': 'export const handler = async () => "v2";' }),
        Publish: true,
      }),
    );
    await p.client.send(new CreateAliasCommand({ FunctionName: 'echo', Name: 'one', FunctionVersion: '1' }));
    const viaAlias = await p.client.send(
      new InvokeCommand({ FunctionName: 'echo:one', Payload: Buffer.from('{}') }),
    );
    expect(viaAlias.ExecutedVersion).toBe('1');
    expect(json(viaAlias.Payload).arn).toBe(`arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:echo:one`);
    const v2 = await p.client.send(new InvokeCommand({ FunctionName: 'echo', Qualifier: '2' }));
    expect(v2.ExecutedVersion).toBe('2');
    expect(dec(v2.Payload)).toBe('"v2"');
    const latest = await p.client.send(new InvokeCommand({ FunctionName: 'echo' }));
    expect(dec(latest.Payload)).toBe('"v2"');
  });

  it('routes a weighted alias to both versions', async () => {
    await p.client.send(
      new CreateAliasCommand({
        FunctionName: 'echo',
        Name: 'canary',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
      }),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const out = await p.client.send(
        new InvokeCommand({ FunctionName: 'echo', Qualifier: 'canary', Payload: Buffer.from('{}') }),
      );
      seen.add(out.ExecutedVersion ?? '');
    }
    expect([...seen].sort()).toEqual(['1', '2']);
  });
});

describe('other invocation types', () => {
  it('answers DryRun with 204 without running the function', async () => {
    const out = await p.client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(out.StatusCode).toBe(204);
  });

  it('queues an Event (202) and runs it', async () => {
    const file = path.join(scratch, 'event-ran');
    const out = await p.client.send(
      new InvokeCommand({
        FunctionName: 'echo',
        Qualifier: '1',
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ touch: file })),
      }),
    );
    expect(out.StatusCode).toBe(202);
    await p.platform.core.events.idle();
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(out.$metadata.requestId);
  });
});

describe('admission', () => {
  it('throttles every invoke of a function with reserved concurrency 0 (spec §3.10)', async () => {
    await createFunction('blocked', 'export const handler = async () => 1;');
    await p.client.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'blocked', ReservedConcurrentExecutions: 0 }),
    );
    const res = await fetch(`${p.url}/2015-03-31/functions/blocked/invocations`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
    expect(await res.json()).toMatchObject({
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      Type: 'User',
      message: 'Rate Exceeded.',
    });
    const err = await p.client.send(new InvokeCommand({ FunctionName: 'blocked' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsException);
    expect((err as TooManyRequestsException).Reason).toBe(
      'ReservedFunctionConcurrentInvocationLimitExceeded',
    );
    await p.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'blocked' }));
    const ok = await p.client.send(new InvokeCommand({ FunctionName: 'blocked' }));
    expect(dec(ok.Payload)).toBe('1');
  });

  it('caps a reserved function at its reservation', async () => {
    await createFunction(
      'slow',
      'export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return 1; };',
    );
    await p.client.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: 1 }),
    );
    const first = p.client.send(
      new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from('{"ms":1500}') }),
    );
    // The first invoke holds the only lease for 1.5 s; a second one meanwhile is throttled.
    let throttled = false;
    for (let i = 0; i < 50 && !throttled; i++) {
      const e = await p.client
        .send(new InvokeCommand({ FunctionName: 'slow', Payload: Buffer.from('{"ms":0}') }))
        .catch((x: unknown) => x);
      throttled = e instanceof TooManyRequestsException;
    }
    expect(throttled).toBe(true);
    expect((await first).StatusCode).toBe(200);
  });
});

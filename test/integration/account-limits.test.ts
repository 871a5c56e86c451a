/**
 * Per-account limits as settings (issue 12 item 3): the credentials file's `accounts`
 * section gives one account its own ConcurrentExecutions, UnreservedConcurrentExecutions
 * floor and SCF quotas; the account beside it keeps the platform's. Through the official
 * SDKs: GetAccountSettings and SCF GetAccount report them, and the throttles and
 * validation errors enforce them with the vendors' exact answers.
 */
import {
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';
import { startPlatform, type TestPlatform } from '../helpers/platform.js';
import { scfClient, scfFailure } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

const A = { accessKeyId: 'AKIAACCOUNTA', secretAccessKey: 'secret-a', accountId: '111111111111' };
const B = { accessKeyId: 'AKIAACCOUNTB', secretAccessKey: 'secret-b', accountId: '222222222222' };
const C = { accessKeyId: 'AKIAACCOUNTC', secretAccessKey: 'secret-c', accountId: '333333333333' };
const TA = { secretId: 'AKIDACCOUNTA', secretKey: 'tsecret-a', appId: '1250000001', accountId: A.accountId };
const TB = { secretId: 'AKIDACCOUNTB', secretKey: 'tsecret-b', appId: '1250000002', accountId: B.accountId };

let p: TestPlatform;
const clients: LambdaClient[] = [];
const lambda = (key: { accessKeyId: string; secretAccessKey: string }): LambdaClient => {
  const c = new LambdaClient({ endpoint: p.url, region: 'us-east-1', credentials: key, maxAttempts: 1 });
  clients.push(c);
  return c;
};

/** Answers a function's request only when the test says so: an invocation held open. */
const gate = http.createServer();
const held: http.ServerResponse[] = [];
const entered: (() => void)[] = [];
gate.on('request', (_req, res) => {
  held.push(res);
  entered.shift()?.();
});

const tempDir = tempDirs('hearth-limits-');

beforeAll(async () => {
  const dir = tempDir();
  const file = path.join(dir, 'credentials.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      credentials: [A, B, C, TA, TB],
      accounts: [
        {
          accountId: A.accountId,
          concurrentExecutions: 20,
          minUnreservedConcurrency: 5,
          userConcurrencyMemLimit: 64000,
          namespacesCount: 2,
        },
        { accountId: C.accountId, concurrentExecutions: 1, minUnreservedConcurrency: 0 },
      ],
    }),
  );
  p = await startPlatform({ credentialsFile: file });
  gate.listen(0, '127.0.0.1');
  await once(gate, 'listening');
});

afterAll(async () => {
  for (const res of held) {
    res.end('released');
  }
  gate.close();
  for (const c of clients) {
    c.destroy();
  }
  await p.dispose();
});

const create = async (c: LambdaClient, name: string, account: string, code: string) =>
  c.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${account}:role/r`,
      Code: { ZipFile: await makeZip({ 'index.js': code }) },
    }),
  );

describe('AWS: ConcurrentExecutions and its floor per account', () => {
  it('GetAccountSettings reports each account its own limit', async () => {
    const a = await lambda(A).send(new GetAccountSettingsCommand({}));
    const b = await lambda(B).send(new GetAccountSettingsCommand({}));
    expect(a.AccountLimit).toMatchObject({ ConcurrentExecutions: 20, UnreservedConcurrentExecutions: 20 });
    expect(b.AccountLimit).toMatchObject({
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 1000,
    });
  });

  it("a reservation is checked against its own account's floor", async () => {
    await create(lambda(A), 'reserve', A.accountId, 'exports.handler = async () => 1;');
    await create(lambda(B), 'reserve', B.accountId, 'exports.handler = async () => 1;');
    const err = await lambda(A)
      .send(new PutFunctionConcurrencyCommand({ FunctionName: 'reserve', ReservedConcurrentExecutions: 16 }))
      .then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } },
      );
    expect(err?.name).toBe('InvalidParameterValueException');
    expect(err?.$metadata.httpStatusCode).toBe(400);
    expect(err?.message).toBe(
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [5].",
    );
    const ok = await lambda(B).send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'reserve', ReservedConcurrentExecutions: 16 }),
    );
    expect(ok.ReservedConcurrentExecutions).toBe(16);
    expect((await lambda(B).send(new GetAccountSettingsCommand({}))).AccountLimit).toMatchObject({
      UnreservedConcurrentExecutions: 984,
    });
  });

  it('an account of ConcurrentExecutions 1 is throttled at its second concurrent invoke, the other is not', async () => {
    const port = (gate.address() as AddressInfo).port;
    const code = `exports.handler = async () => { const r = await fetch('http://127.0.0.1:${port}/'); return r.text(); };`;
    await create(lambda(C), 'held', C.accountId, code);
    const first = new Promise<void>((resolve) => entered.push(resolve));
    const running = lambda(C).send(new InvokeCommand({ FunctionName: 'held' }));
    await first;
    const err = await lambda(C)
      .send(new InvokeCommand({ FunctionName: 'held' }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TooManyRequestsException);
    expect((err as TooManyRequestsException).Reason).toBe('ConcurrentInvocationLimitExceeded');
    expect((err as TooManyRequestsException).message).toBe('Rate Exceeded.');
    held.shift()?.end('released');
    const out = await running;
    expect(Buffer.from(out.Payload ?? new Uint8Array()).toString()).toBe('"released"');
    // The same function in an account without settings runs two at once.
    await create(lambda(B), 'held', B.accountId, code);
    const both = [
      new Promise<void>((resolve) => entered.push(resolve)),
      new Promise<void>((resolve) => entered.push(resolve)),
    ];
    const two = [0, 1].map(() => lambda(B).send(new InvokeCommand({ FunctionName: 'held' })));
    await Promise.all(both);
    for (const res of held.splice(0)) {
      res.end('released');
    }
    for (const r of await Promise.all(two)) {
      expect(r.FunctionError).toBeUndefined();
    }
  });
});

describe('SCF: quotas per account', () => {
  it('GetAccount reports the account its own namespace and concurrency-memory limits; they are enforced', async () => {
    const a = scfClient(p.url, { secretId: TA.secretId, secretKey: TA.secretKey });
    const b = scfClient(p.url, { secretId: TB.secretId, secretKey: TB.secretKey });
    const ownA = await a.GetAccount();
    const ownB = await b.GetAccount();
    expect(ownA.AccountLimit?.NamespacesCount).toBe(2);
    expect(ownA.AccountUsage?.UserConcurrencyMemLimit).toBe(64000);
    expect(ownB.AccountLimit?.NamespacesCount).toBe(5);
    expect(ownB.AccountUsage?.UserConcurrencyMemLimit).toBe(128000);

    const tooMuch = await scfFailure(a.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 65536 }));
    expect(tooMuch.code).toBe('LimitExceeded.TotalConcurrencyMemory');
    expect(tooMuch.message).toBe(
      'The account concurrency memory has exceeded the limit. (65536 MB > 64000 MB)',
    );
    await b.PutTotalConcurrencyConfig({ TotalConcurrencyMem: 65536 });

    await a.CreateNamespace({ Namespace: 'first' });
    const second = await scfFailure(a.CreateNamespace({ Namespace: 'second' }));
    expect(second.code).toBe('LimitExceeded.Namespace');
    expect(second.message).toBe('The number of namespaces reached the limit of 2.');
    await b.CreateNamespace({ Namespace: 'first' });
    await b.CreateNamespace({ Namespace: 'second' });
  });
});

/**
 * The SCF pipeline in process (no socket): envelopes, the gateway's common errors, TC3 in
 * both modes, the rate limit, the GET variant, and the validation tables of the actions, on
 * a core built from in-memory ports and a pool that reports what it is told.
 */
import { describe, expect, it } from 'vitest';
import { createCore } from '../../core/index.js';
import { PlatformError } from '../../core/errors.js';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest, Pool } from '../../core/ports.js';
import { fakeZip, memoryDeps } from '../../core/services/testing/in-memory-ports.js';
import { Leases } from '../../pool/admission/leases.js';
import { BodyTooLargeError, type WireRequest } from '../http.js';
import { createTencentScfDialect, type ScfDialectOptions } from './index.js';
import { buildKeyRing, type CredentialSource } from '../../auth/credentials.js';
import { signTc3 } from '../../auth/tc3.js';

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const ACCOUNT = '100000000001';

/**
 * A pool that reports every provisioned config as it was declared, and echoes invokes,
 * after the real pool's memory admission (the SCF account quota, pool/admission/leases.ts);
 * `hold` keeps admitted invocations running until it resolves.
 */
class EchoPool implements Pool {
  readonly counts = new Map<string, number>();
  readonly leases = new Leases();
  hold: Promise<void> = Promise.resolve();
  inProgress = false;
  outcome: (req: InvokeRequest) => InvocationOutcome = (req) => ({
    kind: 'success',
    requestId: req.requestId,
    executedVersion: req.spec.version,
    durationMs: 1.2345,
    initializationType: req.provisionedKey === undefined ? 'on-demand' : 'provisioned-concurrency',
    maxMemoryUsedMb: 40,
    log: 'START\nEND\n',
    payload: req.payload,
    contentType: 'application/json',
  });

  setProvisioned(key: string, _spec: EnvironmentSpec | undefined, count: number) {
    this.counts.set(key, count);
  }
  provisionedStatus(key: string) {
    const n = this.counts.get(key) ?? 0;
    return {
      allocated: n,
      available: this.inProgress ? 0 : n,
      status: this.inProgress ? ('IN_PROGRESS' as const) : ('READY' as const),
    };
  }
  watchProvisioned() {
    return () => undefined;
  }
  provisionedUtilization() {
    return 0;
  }
  provisionedIdle() {
    return 0;
  }
  async invoke(req: InvokeRequest): Promise<InvocationOutcome> {
    const budget = req.admission.memoryBudget;
    const release =
      budget === undefined
        ? () => undefined
        : this.leases.takeMemory(req.admission.scopeKey, budget.memoryMb, budget.limitMb);
    if (release === undefined) {
      throw new PlatformError('THROTTLED_ACCOUNT', {});
    }
    try {
      await this.hold;
      return this.outcome(req);
    } finally {
      release();
    }
  }
  drain() {
    return Promise.resolve();
  }
  start() {
    return Promise.resolve();
  }
  dispose() {
    return Promise.resolve();
  }
}

interface Sent {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly rawQuery?: string;
  readonly rawBody?: Buffer;
}

function harness(options: Partial<ScfDialectOptions> = {}) {
  const deps = memoryDeps();
  const pool = new EchoPool();
  const core = createCore({ ...deps, pool });
  const clock = { ms: T0 };
  const dialect = createTencentScfDialect(core, {
    defaultRegion: 'ap-guangzhou',
    accountId: ACCOUNT,
    now: () => clock.ms,
    ...options,
  });
  let n = 0;

  function request(action: string | undefined, body: unknown, sent: Sent = {}): WireRequest {
    const raw = sent.rawBody ?? Buffer.from(body === undefined ? '' : JSON.stringify(body));
    const headers: Record<string, string> = {
      host: '127.0.0.1:9000',
      'content-type': 'application/json',
      'x-tc-version': '2018-04-16',
      'x-tc-region': 'ap-guangzhou',
      ...(action === undefined ? {} : { 'x-tc-action': action }),
      ...(sent.headers ?? {}),
    };
    const rawQuery = sent.rawQuery ?? '';
    return {
      method: sent.method ?? 'POST',
      rawPath: '/',
      query: new URLSearchParams(rawQuery),
      rawQuery,
      headers,
      requestId: `req-${++n}`,
      readBody: (limit) =>
        raw.length > limit ? Promise.reject(new BodyTooLargeError(limit)) : Promise.resolve(raw),
    };
  }

  async function send(
    req: WireRequest,
  ): Promise<{ status: number; headers: Record<string, string>; response: Record<string, unknown> }> {
    const res = await dialect.handle(req);
    const parsed = JSON.parse(String(res.body)) as { Response: Record<string, unknown> };
    return { status: res.status, headers: { ...(res.headers ?? {}) }, response: parsed.Response };
  }

  /** The Response of a successful call (fails the test on an API error). */
  async function ok(action: string, body: unknown = {}, sent: Sent = {}): Promise<Record<string, unknown>> {
    const { response } = await send(request(action, body, sent));
    if (response.Error !== undefined) {
      throw new Error(`${action} failed: ${JSON.stringify(response.Error)}`);
    }
    return response;
  }

  /** The Error of a failing call. */
  async function fail(
    action: string | undefined,
    body: unknown = {},
    sent: Sent = {},
  ): Promise<{ Code: string; Message: string }> {
    const { status, response } = await send(request(action, body, sent));
    expect(status).toBe(200);
    const error = response.Error as { Code: string; Message: string } | undefined;
    if (error === undefined) {
      throw new Error(`${action ?? '(none)'} succeeded: ${JSON.stringify(response)}`);
    }
    expect(response.RequestId).toMatch(/^req-\d+$/);
    return error;
  }

  async function createFunction(name: string, extra: Record<string, unknown> = {}) {
    await ok('CreateFunction', {
      FunctionName: name,
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: fakeZip(name).toString('base64') },
      ...extra,
    });
  }

  return { core, pool, clock, dialect, request, send, ok, fail, createFunction };
}

describe('envelope and routing (spec §2.2, §2.5)', () => {
  it('matches POST / with X-TC-Action only', () => {
    const h = harness();
    expect(h.dialect.matches(h.request('ListFunctions', {}))).toBe(true);
    expect(h.dialect.matches({ ...h.request('ListFunctions', {}), rawPath: '/2015-03-31/functions' })).toBe(
      false,
    );
    expect(h.dialect.matches(h.request(undefined, {}))).toBe(false);
  });

  it('wraps success in Response with the RequestId and echoes X-TC-TraceId', async () => {
    const h = harness();
    const res = await h.send(h.request('ListNamespaces', {}, { headers: { 'x-tc-traceid': 'trace-1' } }));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['X-TC-TraceId']).toBe('trace-1');
    expect(res.response).toMatchObject({ TotalCount: 1, RequestId: 'req-1' });
  });

  it.each([
    ['a wrong version', 'NoSuchVersion', 'ListFunctions', { 'x-tc-version': '2017-01-01' }],
    ['no version', 'MissingParameter', 'ListFunctions', { 'x-tc-version': '' }],
    ['an action SCF does not have', 'InvalidAction', 'DescribeInstances', {}],
    ['an SCF action hearth does not implement', 'UnsupportedOperation', 'ListTriggers', {}],
    ['a malformed region', 'UnsupportedRegion', 'ListFunctions', { 'x-tc-region': 'Guangzhou!' }],
  ])('answers %s with HTTP 200 and %s (spec §2.6)', async (_what, code, action, headers) => {
    const h = harness();
    expect((await h.fail(action, {}, { headers })).Code).toBe(code);
  });

  it('refuses methods other than GET and POST (UnsupportedProtocol)', async () => {
    const h = harness();
    expect((await h.fail('ListFunctions', {}, { method: 'PUT' })).Code).toBe('UnsupportedProtocol');
  });

  it('recognises and refuses legacy v1 form posts (spec §2.3.4 [REC])', async () => {
    const h = harness();
    const req = h.request(undefined, undefined, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: Buffer.from('Action=ListFunctions&Version=2018-04-16&Signature=x'),
    });
    expect(h.dialect.matches(req)).toBe(true);
    const res = await h.send(req);
    expect((res.response.Error as { Code: string }).Code).toBe('AuthFailure.SignatureFailure');
  });

  it('answers malformed JSON with InvalidParameter and a missing member with MissingParameter', async () => {
    const h = harness();
    expect((await h.fail('GetAlias', undefined, { rawBody: Buffer.from('{"FunctionName":') })).Code).toBe(
      'InvalidParameter',
    );
    expect(await h.fail('GetReservedConcurrencyConfig', {})).toEqual({
      Code: 'MissingParameter',
      Message: 'The request is missing a required parameter `FunctionName`.',
    });
    expect((await h.fail('GetReservedConcurrencyConfig', { FunctionName: 42 })).Code).toBe(
      'InvalidParameter',
    );
  });

  it('limits the body per action (RequestSizeLimitExceeded)', async () => {
    const h = harness();
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
    expect((await h.fail('ListFunctions', undefined, { rawBody: big })).Code).toBe(
      'RequestSizeLimitExceeded',
    );
    // CreateFunction takes a 50 MB zip in base64: the same body is read, then judged as JSON.
    expect((await h.fail('CreateFunction', undefined, { rawBody: big })).Code).toBe('MissingParameter');
  });

  it('refuses GET parameter names that would reach Object.prototype, and stays unharmed', async () => {
    const h = harness();
    await h.createFunction('hello');
    for (const name of ['__proto__.Namespace', 'constructor.prototype.Namespace', 'Filters.__proto__.x']) {
      const error = await h.fail('ListFunctions', undefined, {
        method: 'GET',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawQuery: `${encodeURIComponent(name)}=nope`,
      });
      expect(error.Code).toBe('InvalidParameter');
    }
    expect(({} as Record<string, unknown>).Namespace).toBeUndefined();
    expect((await h.ok('GetFunction', { FunctionName: 'hello' })).FunctionName).toBe('hello');
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])(
    'refuses Orderby %s as InvalidParameterValue.Order',
    async (orderBy) => {
      const h = harness();
      await h.createFunction('fa');
      await h.createFunction('fb');
      await h.ok('CreateNamespace', { Namespace: 'other' });
      expect((await h.fail('ListFunctions', { Orderby: orderBy })).Code).toBe('InvalidParameterValue.Order');
      expect((await h.fail('ListNamespaces', { Orderby: orderBy })).Code).toBe('InvalidParameterValue.Order');
    },
  );

  it('accepts the GET variant with flattened parameters (spec §2.3.4)', async () => {
    const h = harness();
    await h.createFunction('hello');
    await h.ok('PublishVersion', { FunctionName: 'hello' });
    await h.ok('PutProvisionedConcurrencyConfig', undefined, {
      method: 'GET',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawQuery:
        'FunctionName=hello&Qualifier=1&VersionProvisionedConcurrencyNum=3&TriggerActions.0.TriggerName=morning&TriggerActions.0.TriggerProvisionedConcurrencyNum=2&TriggerActions.0.TriggerCronConfig=0%200%208%20*%20*%20*%20*',
    });
    const got = await h.ok('GetProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '1' });
    expect(got.Allocated).toEqual([
      {
        Qualifier: '1',
        AvailableProvisionedConcurrencyNum: 3,
        AllocatedProvisionedConcurrencyNum: 3,
        Status: 'Done',
        StatusReason: '',
        TriggerActions: [
          {
            TriggerName: 'morning',
            ProvisionedType: 'Default',
            TriggerProvisionedConcurrencyNum: 2,
            TriggerCronConfig: '0 0 8 * * * *',
          },
        ],
      },
    ]);
  });
});

describe('TC3 (spec §2.4)', () => {
  const KEY = { secretId: 'AKIDkeyA', secretKey: 'secretA' };
  /** Key A acts as the harness's account, key B as another one. */
  const twoKeys = (): CredentialSource => {
    const ring = buildKeyRing(
      [
        { ...KEY, accountId: ACCOUNT },
        { secretId: 'AKIDkeyB', secretKey: 'secretB', accountId: '200000000002' },
      ],
      'test',
    );
    return { mode: 'verify', defaultAccountId: ACCOUNT, find: (vendor, id) => ring.find(vendor, id) };
  };

  function signed(
    h: ReturnType<typeof harness>,
    action: string,
    body: unknown,
    o: { secretId?: string; secretKey?: string; at?: number } = {},
  ) {
    const text = JSON.stringify(body);
    const timestampSec = Math.floor((o.at ?? h.clock.ms) / 1000);
    const sig = signTc3({
      secretId: o.secretId ?? KEY.secretId,
      secretKey: o.secretKey ?? KEY.secretKey,
      service: '127',
      timestampSec,
      host: '127.0.0.1',
      contentType: 'application/json',
      body: text,
    });
    return h.request(action, undefined, {
      rawBody: Buffer.from(text),
      headers: { authorization: sig.authorization, 'x-tc-timestamp': String(timestampSec) },
    });
  }

  it('open mode: no header is fine, a garbled one is AuthFailure.InvalidAuthorization', async () => {
    const h = harness();
    await h.ok('ListFunctions', {});
    expect((await h.fail('ListFunctions', {}, { headers: { authorization: 'Bearer x' } })).Code).toBe(
      'AuthFailure.InvalidAuthorization',
    );
  });

  it('verified mode: good signatures pass, every failure has its AuthFailure code', async () => {
    const h = harness({
      credentials: twoKeys(),
    });
    expect((await h.send(signed(h, 'ListFunctions', {}))).response.TotalCount).toBe(0);
    const code = async (req: WireRequest) =>
      ((await h.send(req)).response.Error as { Code: string } | undefined)?.Code;
    expect(await code(h.request('ListFunctions', {}))).toBe('AuthFailure.InvalidAuthorization');
    expect(await code(signed(h, 'ListFunctions', {}, { secretId: 'AKIDnobody' }))).toBe(
      'AuthFailure.SecretIdNotFound',
    );
    expect(await code(signed(h, 'ListFunctions', {}, { secretKey: 'wrong' }))).toBe(
      'AuthFailure.SignatureFailure',
    );
    expect(await code(signed(h, 'ListFunctions', {}, { at: T0 - 10 * 60_000 }))).toBe(
      'AuthFailure.SignatureExpire',
    );
  });

  it('verified mode: the SecretId picks the account', async () => {
    const h = harness({
      credentials: twoKeys(),
    });
    const create = {
      FunctionName: 'mine',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: fakeZip().toString('base64') },
    };
    expect((await h.send(signed(h, 'CreateFunction', create))).response.Error).toBeUndefined();
    const a = (await h.send(signed(h, 'ListFunctions', {}))).response;
    const b = (await h.send(signed(h, 'ListFunctions', {}, { secretId: 'AKIDkeyB', secretKey: 'secretB' })))
      .response;
    expect([a.TotalCount, b.TotalCount]).toEqual([1, 0]);
    expect(
      await h.core.functions.get({
        accountId: ACCOUNT,
        region: 'ap-guangzhou',
        namespace: 'default',
        name: 'mine',
      }),
    ).toBeDefined();
  });
});

describe('rate limit (spec §2.7)', () => {
  it('allows 20 requests per second per account and action, then RequestLimitExceeded', async () => {
    const h = harness();
    for (let i = 0; i < 20; i++) {
      await h.ok('ListNamespaces');
    }
    expect((await h.fail('ListNamespaces')).Code).toBe('RequestLimitExceeded');
    await h.ok('ListFunctions');
    h.clock.ms += 50; // one token back at 20 per second
    await h.ok('ListNamespaces');
    expect((await h.fail('ListNamespaces')).Code).toBe('RequestLimitExceeded');
  });

  it('is configurable', async () => {
    const h = harness({ rateLimitPerSecond: 2 });
    await h.ok('ListNamespaces');
    await h.ok('ListNamespaces');
    expect((await h.fail('ListNamespaces')).Code).toBe('RequestLimitExceeded');
  });
});

describe('namespaces', () => {
  it('always has default, which cannot be created again or deleted', async () => {
    const h = harness();
    expect((await h.fail('CreateNamespace', { Namespace: 'default' })).Code).toBe('ResourceInUse.Namespace');
    expect((await h.fail('DeleteNamespace', { Namespace: 'default' })).Code).toBe(
      'FailedOperation.DeleteNamespace',
    );
    await h.ok('CreateNamespace', { Namespace: 'team-a', Description: 'A' });
    expect((await h.fail('CreateNamespace', { Namespace: 'bad name!' })).Code).toBe(
      'InvalidParameterValue.NamespaceInvalid',
    );
    const list = await h.ok('ListNamespaces');
    expect(list.TotalCount).toBe(2);
    expect((list.Namespaces as { Name: string }[]).map((n) => n.Name)).toEqual(['default', 'team-a']);
    await h.createFunction('fx', { Namespace: 'team-a' });
    expect((await h.fail('DeleteNamespace', { Namespace: 'team-a' })).Code).toBe('ResourceInUse.Namespace');
    expect((await h.fail('GetFunction', { FunctionName: 'fx', Namespace: 'nope' })).Code).toBe(
      'ResourceNotFound.Namespace',
    );
    expect((await h.fail('GetFunction', { FunctionName: 'fx' })).Code).toBe('ResourceNotFound.Function');
    await h.ok('DeleteFunction', { FunctionName: 'fx', Namespace: 'team-a' });
    await h.ok('DeleteNamespace', { Namespace: 'team-a' });
    expect((await h.fail('DeleteNamespace', { Namespace: 'team-a' })).Code).toBe(
      'ResourceNotFound.Namespace',
    );
  });

  it('limits namespaces per region (LimitExceeded.Namespace)', async () => {
    const h = harness({ maxNamespaces: 2 });
    await h.ok('CreateNamespace', { Namespace: 'one' });
    expect((await h.fail('CreateNamespace', { Namespace: 'two' })).Code).toBe('LimitExceeded.Namespace');
  });
});

describe('CreateFunction validation (spec §4)', () => {
  const zip = fakeZip().toString('base64');
  it.each([
    ['a name starting with a digit', { FunctionName: '1abc' }, 'InvalidParameterValue.FunctionName'],
    ['no Runtime (default Python2.7)', { Runtime: undefined }, 'InvalidParameterValue.Runtime'],
    ['CustomRuntime', { Runtime: 'CustomRuntime' }, 'InvalidParameterValue.Runtime'],
    ['Go1', { Runtime: 'Go1' }, 'InvalidParameterValue.Runtime'],
    ['MemorySize 200', { MemorySize: 200 }, 'InvalidParameterValue.MemorySize'],
    ['Timeout 901', { Timeout: 901 }, 'LimitExceeded.Timeout'],
    ['a bad handler', { Handler: 'nohandler' }, 'InvalidParameterValue.Handler'],
    [
      'COS code',
      { Code: { CosBucketName: 'b', CosObjectName: '/o.zip' } },
      'InvalidParameterValue.CodeSource',
    ],
    ['no ZipFile', { Code: {} }, 'MissingParameter.Code'],
    ['no Code', { Code: undefined }, 'MissingParameter'],
    ['broken base64', { Code: { ZipFile: 'abc$' } }, 'InvalidParameterValue.ZipFileBase64BinasciiError'],
    [
      'not a zip',
      { Code: { ZipFile: Buffer.from('hello').toString('base64') } },
      'InvalidParameterValue.ZipFile',
    ],
    [
      'a reserved variable',
      { Environment: { Variables: [{ Key: '_HANDLER', Value: 'x' }] } },
      'InvalidParameterValue.EnvironmentSystemProtect',
    ],
    [
      'a credential the platform sets',
      { Environment: { Variables: [{ Key: 'AWS_ACCESS_KEY_ID', Value: 'x' }] } },
      'InvalidParameterValue.EnvironmentSystemProtect',
    ],
    ['an unknown namespace', { Namespace: 'ghost' }, 'ResourceNotFound.Namespace'],
  ])('rejects %s', async (_what, over, code) => {
    const h = harness();
    const body: Record<string, unknown> = {
      FunctionName: 'fn',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: zip },
      ...over,
    };
    expect((await h.fail('CreateFunction', JSON.parse(JSON.stringify(body)))).Code).toBe(code);
  });

  it('rejects a duplicate (ResourceInUse.Function) and keeps SCF settings for GetFunction', async () => {
    const h = harness();
    await h.createFunction('fn', {
      Handler: 'app.main',
      MemorySize: 256,
      Timeout: 10,
      InitTimeout: 30,
      Description: 'd',
      Environment: { Variables: [{ Key: 'A', Value: '1' }] },
      Runtime: 'Nodejs16.13',
    });
    expect(
      (await h.fail('CreateFunction', { FunctionName: 'fn', Runtime: 'Nodejs18.15', Code: { ZipFile: zip } }))
        .Code,
    ).toBe('ResourceInUse.Function');
    const got = await h.ok('GetFunction', { FunctionName: 'fn' });
    expect(got).toMatchObject({
      FunctionName: 'fn',
      Handler: 'app.main',
      MemorySize: 256,
      Timeout: 10,
      InitTimeout: 30,
      Description: 'd',
      Runtime: 'Nodejs16.13',
      Environment: { Variables: [{ Key: 'A', Value: '1' }] },
      FunctionVersion: '$LATEST',
      Qualifier: '$LATEST',
      Namespace: 'default',
      Status: 'Active',
      Type: 'Event',
    });
    expect(got.ModTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    // The in-memory clock reads 2024-01-02T03:04:05Z; Asia/Shanghai is UTC+8.
    expect(got.AddTime).toBe('2024-01-02 11:04:05');
  });
});

describe('PutProvisionedConcurrencyConfig validation (spec §3.3–3.5)', () => {
  async function published(o: Partial<ScfDialectOptions> = {}) {
    const h = harness(o);
    await h.createFunction('hello');
    await h.ok('PublishVersion', { FunctionName: 'hello' });
    return h;
  }
  const put = (over: Record<string, unknown>) => ({
    FunctionName: 'hello',
    Qualifier: '1',
    VersionProvisionedConcurrencyNum: 1,
    ...over,
  });
  const action = (name: string, cron: string, num = 1) => ({
    TriggerName: name,
    TriggerProvisionedConcurrencyNum: num,
    TriggerCronConfig: cron,
  });

  it.each([
    ['no Qualifier', { Qualifier: undefined }, 'MissingParameter'],
    [
      'no VersionProvisionedConcurrencyNum',
      { VersionProvisionedConcurrencyNum: undefined },
      'MissingParameter',
    ],
    ['a negative number', { VersionProvisionedConcurrencyNum: -1 }, 'InvalidParameter'],
    ['$LATEST', { Qualifier: '$LATEST' }, 'InvalidParameterValue.Qualifier'],
    ['an alias', { Qualifier: 'prod' }, 'InvalidParameterValue.Qualifier'],
    ['a missing version', { Qualifier: '9' }, 'ResourceNotFound.Version'],
    ['a missing function', { FunctionName: 'nope' }, 'ResourceNotFound.Function'],
    ['a missing namespace', { Namespace: 'nope' }, 'ResourceNotFound.Namespace'],
    ['a bad ProvisionedType', { ProvisionedType: 'Magic' }, 'InvalidParameterValue.ProvisionType'],
    [
      'tracking without TrackingTarget',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        MinCapacity: 1,
        MaxCapacity: 2,
      },
      'MissingParameter',
    ],
    [
      'TrackingTarget 1',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        TrackingTarget: 1,
        MinCapacity: 1,
        MaxCapacity: 2,
      },
      'InvalidParameterValue.TrackingTarget',
    ],
    [
      'TrackingTarget with three decimals',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        TrackingTarget: 0.555,
        MinCapacity: 1,
        MaxCapacity: 2,
      },
      'InvalidParameterValue.TrackingTarget',
    ],
    [
      'MinCapacity 0',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        TrackingTarget: 0.5,
        MinCapacity: 0,
        MaxCapacity: 2,
      },
      'InvalidParameterValue.MinCapacity',
    ],
    [
      'MaxCapacity below MinCapacity',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        TrackingTarget: 0.5,
        MinCapacity: 3,
        MaxCapacity: 2,
      },
      'InvalidParameterValue.MinCapacity',
    ],
    [
      'MaxCapacity over the quota',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 0,
        TrackingTarget: 0.5,
        MinCapacity: 1,
        MaxCapacity: 901,
      },
      'LimitExceeded.MaxCapacity',
    ],
    [
      'tracking with a static number',
      {
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        VersionProvisionedConcurrencyNum: 2,
        TrackingTarget: 0.5,
        MinCapacity: 1,
        MaxCapacity: 2,
      },
      'InvalidParameterValue',
    ],
    [
      'a bad TriggerName',
      { TriggerActions: [action('9lives', '0 0 8 * * * *')] },
      'InvalidParameterValue.ProvisionTriggerName',
    ],
    [
      'a repeated TriggerName',
      { TriggerActions: [action('a', '0 0 8 * * * *'), action('a', '0 0 9 * * * *')] },
      'InvalidParameterValue.ProvisionTriggerNameDuplicate',
    ],
    [
      'a six-field cron',
      { TriggerActions: [action('a', '0 0 8 * * *')] },
      'InvalidParameterValue.TriggerCronConfig',
    ],
    [
      'a repeated cron (same schedule, other spelling)',
      { TriggerActions: [action('a', '0 0 8 * * MON *'), action('b', '0 0 8 * * 1 *')] },
      'InvalidParameterValue.ProvisionTriggerCronConfigDuplicate',
    ],
    [
      'a cron firing every 5 s',
      { TriggerActions: [action('a', '*/5 * * * * * *')] },
      'InvalidParameterValue.TriggerCronConfigTimeInterval',
    ],
    [
      'a trigger ProvisionedType other than Default',
      { TriggerActions: [{ ...action('a', '0 0 8 * * * *'), ProvisionedType: 'X' }] },
      'InvalidParameterValue.ProvisionType',
    ],
    [
      'a trigger number over the quota',
      { TriggerActions: [action('a', '0 0 8 * * * *', 5000)] },
      'InvalidParameterValue.TriggerProvisionedConcurrencyNum',
    ],
    [
      'a static number over the quota',
      { VersionProvisionedConcurrencyNum: 901 },
      'FailedOperation.ProvisionedExceedAvailable',
    ],
  ])('rejects %s', async (_what, over, code) => {
    const h = await published();
    expect(
      (await h.fail('PutProvisionedConcurrencyConfig', JSON.parse(JSON.stringify(put(over))))).Code,
    ).toBe(code);
  });

  it('rejects a missing MaxCapacity or MinCapacity with tracking as MissingParameter', async () => {
    const h = await published();
    const tracking = {
      ProvisionedType: 'ConcurrencyUtilizationTracking',
      VersionProvisionedConcurrencyNum: 0,
    };
    const noMax = await h.fail(
      'PutProvisionedConcurrencyConfig',
      put({ ...tracking, TrackingTarget: 0.5, MinCapacity: 1 }),
    );
    expect(noMax).toEqual({
      Code: 'MissingParameter',
      Message: 'The request is missing a required parameter `MaxCapacity`.',
    });
    const noMin = await h.fail(
      'PutProvisionedConcurrencyConfig',
      put({ ...tracking, TrackingTarget: 0.5, MaxCapacity: 2 }),
    );
    expect(noMin.Code).toBe('MissingParameter');
  });

  it('accepts every TrackingTarget with two decimals, 0.01 to 0.99', async () => {
    const h = await published();
    const refused: number[] = [];
    for (let i = 1; i <= 99; i++) {
      const target = i / 100;
      const { response } = await h.send(
        h.request(
          'PutProvisionedConcurrencyConfig',
          put({
            ProvisionedType: 'ConcurrencyUtilizationTracking',
            VersionProvisionedConcurrencyNum: 0,
            TrackingTarget: target,
            MinCapacity: 1,
            MaxCapacity: 2,
          }),
        ),
      );
      const error = response.Error as { Code: string } | undefined;
      if (error?.Code === 'InvalidParameterValue.TrackingTarget') {
        refused.push(target);
      }
      if (error === undefined) {
        await h.ok('DeleteProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '1' });
      }
    }
    expect(refused).toEqual([]);
  });

  it('limits scheduled actions per version (LimitExceeded.ProvisionTriggerAction)', async () => {
    const h = await published({ maxTriggerActions: 2 });
    const actions = [
      action('a', '0 0 8 * * * *'),
      action('b', '0 0 9 * * * *'),
      action('c', '0 0 10 * * * *'),
    ];
    expect((await h.fail('PutProvisionedConcurrencyConfig', put({ TriggerActions: actions }))).Code).toBe(
      'LimitExceeded.ProvisionTriggerAction',
    );
  });

  it('refuses a second task while one is in progress (FailedOperation.ProvisionedInProgress)', async () => {
    const h = await published();
    h.pool.inProgress = true;
    await h.ok('PutProvisionedConcurrencyConfig', put({}));
    expect(
      (await h.fail('PutProvisionedConcurrencyConfig', put({ VersionProvisionedConcurrencyNum: 2 }))).Code,
    ).toBe('FailedOperation.ProvisionedInProgress');
    expect(
      (await h.fail('DeleteProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '1' })).Code,
    ).toBe('FailedOperation.ProvisionedInProgress');
    expect((await h.fail('DeleteFunctionVersion', { FunctionName: 'hello', Qualifier: '1' })).Code).toBe(
      'FailedOperation.ProvisionedInProgress',
    );
    expect((await h.fail('DeleteFunction', { FunctionName: 'hello' })).Code).toBe(
      'FailedOperation.ProvisionedInProgress',
    );
    h.pool.inProgress = false;
    await h.ok('DeleteProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '1' });
  });

  it('returns tracking settings as extension fields of the Allocated item (spec §1 finding 6)', async () => {
    const h = await published();
    await h.ok(
      'PutProvisionedConcurrencyConfig',
      put({
        VersionProvisionedConcurrencyNum: 0,
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        TrackingTarget: 0.7,
        MinCapacity: 2,
        MaxCapacity: 5,
      }),
    );
    const got = await h.ok('GetProvisionedConcurrencyConfig', { FunctionName: 'hello' });
    expect(got.Allocated).toEqual([
      {
        Qualifier: '1',
        AvailableProvisionedConcurrencyNum: 2,
        AllocatedProvisionedConcurrencyNum: 2,
        Status: 'Done',
        StatusReason: '',
        TriggerActions: [],
        ProvisionedType: 'ConcurrencyUtilizationTracking',
        TrackingTarget: 0.7,
        MinCapacity: 2,
        MaxCapacity: 5,
      },
    ]);
  });

  it('answers Get on a version without a config with an empty list, and on $LATEST with InvalidParameterValue.Qualifier', async () => {
    const h = await published();
    expect(
      (await h.ok('GetProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '1' })).Allocated,
    ).toEqual([]);
    expect(
      (await h.fail('GetProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '$LATEST' })).Code,
    ).toBe('InvalidParameterValue.Qualifier');
    expect(
      (await h.fail('GetProvisionedConcurrencyConfig', { FunctionName: 'hello', Qualifier: '7' })).Code,
    ).toBe('ResourceNotFound.Version');
  });
});

describe('reserved and total quotas in MB (spec §3.5)', () => {
  it('maps ReservedConcurrencyMem onto core’s reserved count and reads the MB back', async () => {
    const h = harness();
    await h.createFunction('fx', { MemorySize: 256 });
    await h.ok('PutReservedConcurrencyConfig', { FunctionName: 'fx', ReservedConcurrencyMem: 1000 });
    const key = { accountId: ACCOUNT, region: 'ap-guangzhou', namespace: 'default', name: 'fx' };
    expect(await h.core.concurrency.getReserved(key)).toBe(3);
    expect((await h.ok('GetReservedConcurrencyConfig', { FunctionName: 'fx' })).ReservedMem).toBe(1000);
    // MemorySize 128 moves the count to floor(1000 / 128).
    await h.ok('UpdateFunctionConfiguration', { FunctionName: 'fx', MemorySize: 128 });
    expect(await h.core.concurrency.getReserved(key)).toBe(7);
    await h.ok('DeleteReservedConcurrencyConfig', { FunctionName: 'fx' });
    expect((await h.ok('GetReservedConcurrencyConfig', { FunctionName: 'fx' })).ReservedMem).toBeNull();
  });

  it('checks reserved against the account and the function’s provisioned memory', async () => {
    const h = harness();
    await h.createFunction('fx');
    await h.ok('PublishVersion', { FunctionName: 'fx' });
    await h.ok('PutProvisionedConcurrencyConfig', {
      FunctionName: 'fx',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 4,
    });
    expect(
      (await h.fail('PutReservedConcurrencyConfig', { FunctionName: 'fx', ReservedConcurrencyMem: 115_201 }))
        .Code,
    ).toBe('LimitExceeded.FunctionReservedConcurrencyMemory');
    expect(
      (await h.fail('PutReservedConcurrencyConfig', { FunctionName: 'fx', ReservedConcurrencyMem: 511 }))
        .Code,
    ).toBe('FailedOperation.ProvisionedExceedReserved');
    await h.ok('PutReservedConcurrencyConfig', { FunctionName: 'fx', ReservedConcurrencyMem: 640 });
    const got = await h.ok('GetProvisionedConcurrencyConfig', { FunctionName: 'fx' });
    expect(got.UnallocatedConcurrencyNum).toBe(1);
    expect(
      (
        await h.fail('PutProvisionedConcurrencyConfig', {
          FunctionName: 'fx',
          Qualifier: '1',
          VersionProvisionedConcurrencyNum: 6,
        })
      ).Code,
    ).toBe('FailedOperation.ProvisionedExceedReserved');
  });

  it('checks the account total (spec §3.5 PutTotalConcurrencyConfig)', async () => {
    const h = harness({ totalConcurrencyMemLimit: 200_000 });
    await h.createFunction('fx');
    await h.ok('PutReservedConcurrencyConfig', { FunctionName: 'fx', ReservedConcurrencyMem: 20_000 });
    expect((await h.fail('PutTotalConcurrencyConfig', { TotalConcurrencyMem: 200_001 })).Code).toBe(
      'LimitExceeded.TotalConcurrencyMemory',
    );
    expect((await h.fail('PutTotalConcurrencyConfig', { TotalConcurrencyMem: 32_799 })).Code).toBe(
      'FailedOperation.ReservedExceedTotal',
    );
    await h.ok('PutTotalConcurrencyConfig', { TotalConcurrencyMem: 150_000 });
    const account = await h.ok('GetAccount');
    expect(account.AccountUsage).toMatchObject({
      TotalConcurrencyMem: 150_000,
      TotalAllocatedConcurrencyMem: 20_000,
      UserConcurrencyMemLimit: 200_000,
    });
  });

  it('holds SCF invokes of unreserved functions to T − Σ R in flight (LimitExceeded.Quota)', async () => {
    const h = harness();
    await h.createFunction('fx', { MemorySize: 3072 });
    await h.ok('PutTotalConcurrencyConfig', { TotalConcurrencyMem: 16_000 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    h.pool.hold = held;
    const first = h.ok('InvokeFunction', { FunctionName: 'fx' });
    const second = h.ok('InvokeFunction', { FunctionName: 'fx' });
    const third = h.ok('InvokeFunction', { FunctionName: 'fx' });
    const fourth = h.ok('InvokeFunction', { FunctionName: 'fx' });
    // 16000 MB admits five 3072 MB invocations; the sixth is refused while they run.
    const fifth = h.ok('InvokeFunction', { FunctionName: 'fx' });
    expect((await h.fail('InvokeFunction', { FunctionName: 'fx' })).Code).toBe('LimitExceeded.Quota');
    release();
    await Promise.all([first, second, third, fourth, fifth]);
    await h.ok('InvokeFunction', { FunctionName: 'fx' });
  });

  it('counts the memory of the version that runs, not $LATEST’s', async () => {
    const h = harness();
    await h.createFunction('fv', { MemorySize: 3072 });
    await h.ok('PublishVersion', { FunctionName: 'fv' });
    await h.ok('UpdateFunctionConfiguration', { FunctionName: 'fv', MemorySize: 128 });
    await h.ok('PutTotalConcurrencyConfig', { TotalConcurrencyMem: 13_000 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    h.pool.hold = held;
    // Version 1 has 3072 MB: four fit in 13000 MB, a fifth does not (at $LATEST's 128 MB it would).
    const running = [1, 2, 3, 4].map(() => h.ok('InvokeFunction', { FunctionName: 'fv', Qualifier: '1' }));
    expect((await h.fail('InvokeFunction', { FunctionName: 'fv', Qualifier: '1' })).Code).toBe(
      'LimitExceeded.Quota',
    );
    release();
    await Promise.all(running);
  });
});

describe('Invoke results (Appendix A Result)', () => {
  it('renders success and function errors from the outcome', async () => {
    const h = harness();
    await h.createFunction('fx');
    const ok = await h.ok('Invoke', { FunctionName: 'fx', ClientContext: '{"a":1}', LogType: 'Tail' });
    expect(ok.Result).toMatchObject({
      RetMsg: '{"a":1}',
      ErrMsg: '',
      Log: 'START\nEND\n',
      Duration: 1.235,
      BillDuration: 2,
      MemUsage: 40 * 1024 * 1024,
      InvokeResult: 0,
    });
    h.pool.outcome = (req) => ({
      kind: 'function-error',
      requestId: req.requestId,
      executedVersion: '$LATEST',
      durationMs: 3,
      initializationType: 'on-demand',
      errorType: 'Error',
      payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'),
    });
    const bad = await h.ok('InvokeFunction', { FunctionName: 'fx' });
    expect(bad.Result).toMatchObject({
      RetMsg: '',
      ErrMsg: '{"errorType":"Error","errorMessage":"boom"}',
      InvokeResult: 430,
      Log: '',
    });
  });

  it('validates the event and the qualifier', async () => {
    const h = harness();
    await h.createFunction('fx');
    expect((await h.fail('Invoke', { FunctionName: 'fx', ClientContext: '{nope' })).Code).toBe(
      'InvalidParameterValue.Param',
    );
    expect((await h.fail('Invoke', { FunctionName: 'fx', Qualifier: '3' })).Code).toBe(
      'ResourceNotFound.Qualifier',
    );
    expect((await h.fail('Invoke', { FunctionName: 'fx', InvocationType: 'DryRun' })).Code).toBe(
      'InvalidParameterValue',
    );
    expect(
      (
        await h.fail('Invoke', {
          FunctionName: 'fx',
          InvocationType: 'Event',
          ClientContext: JSON.stringify({ x: 'y'.repeat(140_000) }),
        })
      ).Code,
    ).toBe('InvalidParameter.RequestTooLarge');
    const queued = await h.ok('Invoke', { FunctionName: 'fx', InvocationType: 'Event' });
    expect(queued.Result).toMatchObject({ RetMsg: null, InvokeResult: 0 });
    expect((queued.Result as { FunctionRequestId: string }).FunctionRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('aliases and $DEFAULT (spec §3.6)', () => {
  it('shows a virtual $DEFAULT that cannot be deleted and becomes real once updated', async () => {
    const h = harness();
    await h.createFunction('fx');
    await h.ok('PublishVersion', { FunctionName: 'fx' });
    const list = await h.ok('ListAliases', { FunctionName: 'fx' });
    expect(list).toMatchObject({
      TotalCount: 1,
      Aliases: [{ Name: '$DEFAULT', FunctionVersion: '$LATEST' }],
    });
    expect((await h.fail('DeleteAlias', { FunctionName: 'fx', Name: '$DEFAULT' })).Code).toBe(
      'InvalidParameterValue.Alias',
    );
    expect(
      (await h.fail('CreateAlias', { FunctionName: 'fx', Name: '$DEFAULT', FunctionVersion: '1' })).Code,
    ).toBe('ResourceInUse.Alias');
    await h.ok('UpdateAlias', { FunctionName: 'fx', Name: '$DEFAULT', FunctionVersion: '1' });
    expect(await h.ok('GetAlias', { FunctionName: 'fx', Name: '$DEFAULT' })).toMatchObject({
      FunctionVersion: '1',
    });
    const inv = await h.ok('InvokeFunction', { FunctionName: 'fx' });
    expect(inv.Result).toMatchObject({ InvokeResult: 0 });
  });

  it('creates, routes and lists aliases with Tencent’s shapes and codes', async () => {
    const h = harness();
    await h.createFunction('fx');
    await h.ok('PublishVersion', { FunctionName: 'fx' });
    await h.ok('UpdateFunctionConfiguration', { FunctionName: 'fx', MemorySize: 256, Publish: 'TRUE' });
    await h.ok('CreateAlias', {
      FunctionName: 'fx',
      Name: 'prod',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.25 }] },
    });
    expect(await h.ok('GetAlias', { FunctionName: 'fx', Name: 'prod' })).toMatchObject({
      Name: 'prod',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.25 }], AddtionVersionMatchs: [] },
    });
    expect(
      (await h.fail('CreateAlias', { FunctionName: 'fx', Name: 'prod', FunctionVersion: '1' })).Code,
    ).toBe('ResourceInUse.Alias');
    expect((await h.fail('CreateAlias', { FunctionName: 'fx', Name: 'x', FunctionVersion: '9' })).Code).toBe(
      'ResourceNotFound.FunctionVersion',
    );
    expect((await h.fail('CreateAlias', { FunctionName: 'fx', Name: '-x', FunctionVersion: '1' })).Code).toBe(
      'InvalidParameterValue.Name',
    );
    expect((await h.fail('GetAlias', { FunctionName: 'fx', Name: 'ghost' })).Code).toBe(
      'ResourceNotFound.Alias',
    );
    expect((await h.fail('DeleteFunctionVersion', { FunctionName: 'fx', Qualifier: '1' })).Code).toBe(
      'UnsupportedOperation.AliasBind',
    );
    expect(
      (await h.ok('ListAliases', { FunctionName: 'fx', FunctionVersion: '1', Limit: '10', Offset: '0' }))
        .TotalCount,
    ).toBe(1);
    const versions = await h.ok('ListVersionByFunction', { FunctionName: 'fx' });
    expect(versions).toMatchObject({ FunctionVersion: ['$LATEST', '1', '2'], TotalCount: 3 });
    await h.ok('DeleteAlias', { FunctionName: 'fx', Name: 'prod' });
    await h.ok('DeleteFunctionVersion', { FunctionName: 'fx', Qualifier: '1' });
    expect((await h.fail('DeleteFunctionVersion', { FunctionName: 'fx', Qualifier: '1' })).Code).toBe(
      'ResourceNotFound.Qualifier',
    );
    expect((await h.fail('DeleteFunctionVersion', { FunctionName: 'fx', Qualifier: '$LATEST' })).Code).toBe(
      'InvalidParameterValue.Qualifier',
    );
  });
});

/**
 * The SCF control plane driven by tencentcloud-sdk-nodejs-scf with only its endpoint changed
 * (spec §1–§2, §4): namespaces, functions, versions, aliases, invocations, the SDK's view of
 * errors, the GET variant, and TC3 verification when credentials are configured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../helpers/platform.js';
import {
  TEST_SECRET_ID,
  TEST_SECRET_KEY,
  scfClient,
  scfFailure,
  startScfPlatform,
  zipBase64,
  type ScfTestPlatform,
} from '../helpers/scf.js';

const SOURCE = `exports.main_handler = async (event, context) => {
  if (event.fail) { throw new Error('asked to fail'); }
  console.log('handling', JSON.stringify(event));
  return { echo: event, version: process.env.AWS_LAMBDA_FUNCTION_VERSION };
};`;

let p: ScfTestPlatform;
let zip: string;

beforeAll(async () => {
  p = await startScfPlatform();
  zip = await zipBase64({ 'index.js': SOURCE });
});

afterAll(async () => {
  await p.dispose();
});

describe('errors as the SDK sees them (spec §2.5)', () => {
  it('gives code, message and RequestId of an HTTP-200 error envelope', async () => {
    const err = await scfFailure(p.scf.GetFunction({ FunctionName: 'missing' }));
    expect(err).toMatchObject({
      code: 'ResourceNotFound.Function',
      message: 'The function does not exist. (FunctionName: missing)',
    });
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts X-TC-Language and other regions (each region its own scope)', async () => {
    const en = p.scfClient({ language: 'en-US', region: 'ap-guangzhou' });
    expect((await en.ListFunctions({})).TotalCount).toBe(0);
    expect((await en.ListNamespaces({})).Namespaces?.map((n) => n.Name)).toEqual(['default']);
  });
});

describe('namespaces', () => {
  it('creates, lists and deletes namespaces', async () => {
    await p.scf.CreateNamespace({ Namespace: 'team-a', Description: 'the A team' });
    const list = await p.scf.ListNamespaces({});
    expect(list.TotalCount).toBe(2);
    expect(list.Namespaces?.[1]).toMatchObject({
      Name: 'team-a',
      Description: 'the A team',
      Type: 'default',
    });
    expect((await scfFailure(p.scf.CreateNamespace({ Namespace: 'team-a' }))).code).toBe(
      'ResourceInUse.Namespace',
    );
    expect((await scfFailure(p.scf.DeleteNamespace({ Namespace: 'default' }))).code).toBe(
      'FailedOperation.DeleteNamespace',
    );
    await p.scf.DeleteNamespace({ Namespace: 'team-a' });
    expect((await scfFailure(p.scf.DeleteNamespace({ Namespace: 'team-a' }))).code).toBe(
      'ResourceNotFound.Namespace',
    );
  });
});

describe('functions, versions and aliases', () => {
  it('creates and reads a function in Tencent’s shapes', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'hello',
      Runtime: 'Nodejs18.15',
      Handler: 'index.main_handler',
      MemorySize: 256,
      Timeout: 5,
      Environment: { Variables: [{ Key: 'A', Value: 'b' }] },
      Tags: [{ Key: 'team', Value: 'blue' }],
      Code: { ZipFile: zip },
    });
    const got = await p.scf.GetFunction({ FunctionName: 'hello' });
    expect(got).toMatchObject({
      FunctionName: 'hello',
      Namespace: 'default',
      Runtime: 'Nodejs18.15',
      Handler: 'index.main_handler',
      MemorySize: 256,
      Timeout: 5,
      FunctionVersion: '$LATEST',
      Status: 'Active',
      Environment: { Variables: [{ Key: 'A', Value: 'b' }] },
      Tags: [{ Key: 'team', Value: 'blue' }],
    });
    expect(got.FunctionId).toMatch(/^lam-[0-9a-f]{8}$/);
    expect(got.AddTime).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const list = await p.scf.ListFunctions({ Filters: [{ Name: 'tag:team', Values: ['blue'] }] });
    expect(list).toMatchObject({
      TotalCount: 1,
      Functions: [{ FunctionName: 'hello', Runtime: 'Nodejs18.15', ReservedConcurrencyMem: 0 }],
    });
  });

  it('updates code and configuration, publishes and lists versions', async () => {
    await p.scf.UpdateFunctionConfiguration({ FunctionName: 'hello', Description: 'first', Timeout: 6 });
    await p.scf.PublishVersion({ FunctionName: 'hello', Description: 'v1' });
    await p.scf.UpdateFunctionCode({
      FunctionName: 'hello',
      ZipFile: await zipBase64({ 'index.js': `${SOURCE}\n// 2` }),
      Publish: 'TRUE',
    });
    const versions = await p.scf.ListVersionByFunction({ FunctionName: 'hello' });
    expect(versions).toMatchObject({ FunctionVersion: ['$LATEST', '1', '2'], TotalCount: 3 });
    expect(versions.Versions?.[1]).toMatchObject({ Version: '1', Description: 'v1', Status: 'Active' });
    expect((await p.scf.GetFunction({ FunctionName: 'hello', Qualifier: '1' })).Description).toBe('v1');
    expect((await scfFailure(p.scf.GetFunction({ FunctionName: 'hello', Qualifier: '9' }))).code).toBe(
      'ResourceNotFound.Version',
    );
  });

  it('routes aliases and invokes through them, $DEFAULT included', async () => {
    await p.scf.CreateAlias({
      FunctionName: 'hello',
      Name: 'prod',
      FunctionVersion: '1',
      Description: 'production',
    });
    expect(await p.scf.GetAlias({ FunctionName: 'hello', Name: 'prod' })).toMatchObject({
      Name: 'prod',
      FunctionVersion: '1',
      Description: 'production',
      RoutingConfig: { AdditionalVersionWeights: [], AddtionVersionMatchs: [] },
    });
    const aliases = await p.scf.ListAliases({ FunctionName: 'hello' });
    expect(aliases.Aliases?.map((a) => a.Name)).toEqual(['$DEFAULT', 'prod']);
    const viaAlias = await p.scf.Invoke({
      FunctionName: 'hello',
      Qualifier: 'prod',
      ClientContext: '{"x":1}',
    });
    expect(JSON.parse(viaAlias.Result?.RetMsg ?? '{}')).toEqual({ echo: { x: 1 }, version: '1' });
    const viaDefault = await p.scf.InvokeFunction({ FunctionName: 'hello', Event: '{"y":2}' });
    expect(JSON.parse(viaDefault.Result?.RetMsg ?? '{}')).toEqual({ echo: { y: 2 }, version: '$LATEST' });
    await p.scf.UpdateAlias({ FunctionName: 'hello', Name: '$DEFAULT', FunctionVersion: '2' });
    const moved = await p.scf.InvokeFunction({ FunctionName: 'hello' });
    expect(JSON.parse(moved.Result?.RetMsg ?? '{}')).toMatchObject({ version: '2' });
    expect(
      (await scfFailure(p.scf.DeleteFunctionVersion({ FunctionName: 'hello', Qualifier: '1' }))).code,
    ).toBe('UnsupportedOperation.AliasBind');
    await p.scf.DeleteAlias({ FunctionName: 'hello', Name: 'prod' });
    await p.scf.DeleteFunctionVersion({ FunctionName: 'hello', Qualifier: '1' });
  });

  it("reports MemUsage without LogType too, as Tencent's example shows (Log empty)", async () => {
    for (let i = 0; i < 3; i++) {
      const out = await p.scf.Invoke({ FunctionName: 'hello', ClientContext: '{"m":1}' });
      expect(out.Result?.Log).toBe('');
      // Bytes; a Node.js runtime's peak resident memory is tens of MB.
      expect(out.Result?.MemUsage).toBeGreaterThan(1024 * 1024);
    }
  });

  it('renders function errors and logs as a Result, not an API error', async () => {
    const failed = await p.scf.InvokeFunction({
      FunctionName: 'hello',
      Qualifier: '$LATEST',
      Event: '{"fail":true}',
    });
    expect(failed.Result).toMatchObject({ RetMsg: '', InvokeResult: 430 });
    expect(JSON.parse(failed.Result?.ErrMsg ?? '{}')).toMatchObject({ errorMessage: 'asked to fail' });
    const tail = await p.scf.Invoke({ FunctionName: 'hello', ClientContext: '{"z":3}', LogType: 'Tail' });
    expect(tail.Result?.Log).toContain('handling {"z":3}');
    expect(tail.Result?.FunctionRequestId).toMatch(/^[0-9a-f-]{36}$/);
    const queued = await p.scf.Invoke({
      FunctionName: 'hello',
      InvocationType: 'Event',
      ClientContext: '{}',
    });
    expect(queued.Result).toMatchObject({ RetMsg: null, InvokeResult: 0 });
  });

  it('deletes functions', async () => {
    await p.scf.DeleteFunction({ FunctionName: 'hello' });
    expect((await scfFailure(p.scf.DeleteFunction({ FunctionName: 'hello' }))).code).toBe(
      'ResourceNotFound.Function',
    );
  });
});

describe('the GET variant (spec §2.3.4)', () => {
  it('works end to end with reqMethod GET, nested parameters included', async () => {
    const get = p.scfClient({ reqMethod: 'GET' });
    await p.scf.CreateFunction({ FunctionName: 'by-get', Runtime: 'Nodejs18.15', Code: { ZipFile: zip } });
    await get.CreateAlias({ FunctionName: 'by-get', Name: 'live', FunctionVersion: '$LATEST' });
    expect((await get.GetAlias({ FunctionName: 'by-get', Name: 'live' })).FunctionVersion).toBe('$LATEST');
    expect((await get.ListFunctions({ Limit: 5, SearchKey: 'by-' })).TotalCount).toBe(1);
  });
});

describe('TC3 verification (spec §2.4)', () => {
  let verified: ScfTestPlatform;

  beforeAll(async () => {
    verified = await startScfPlatform({
      scfCredentials: JSON.stringify([
        // A key belongs to exactly one account (issue 12): the platform's, named.
        { secretId: TEST_SECRET_ID, secretKey: TEST_SECRET_KEY, accountId: TEST_ACCOUNT },
        { secretId: 'AKIDother00000000000000000000000000', secretKey: 'otherKey', accountId: '999999999999' },
      ]),
    });
  });

  afterAll(async () => {
    await verified.dispose();
  });

  it('accepts the SDK’s signatures (service 127, host without port) and refuses bad ones', async () => {
    await verified.scf.CreateFunction({
      FunctionName: 'signed',
      Runtime: 'Nodejs18.15',
      Code: { ZipFile: zip },
    });
    expect((await verified.scf.ListFunctions({})).TotalCount).toBe(1);
    const wrongKey = scfClient(verified.url, { secretKey: 'not-the-key' });
    expect((await scfFailure(wrongKey.ListFunctions({}))).code).toBe('AuthFailure.SignatureFailure');
    const unknown = scfClient(verified.url, { secretId: 'AKIDunknown', secretKey: 'x' });
    expect((await scfFailure(unknown.ListFunctions({}))).code).toBe('AuthFailure.SecretIdNotFound');
    const viaGet = scfClient(verified.url, { reqMethod: 'GET' });
    expect((await viaGet.ListFunctions({ Limit: 10 })).TotalCount).toBe(1);
  });

  it('acts as the account of the credential', async () => {
    const other = scfClient(verified.url, {
      secretId: 'AKIDother00000000000000000000000000',
      secretKey: 'otherKey',
    });
    expect((await other.ListFunctions({})).TotalCount).toBe(0);
  });
});

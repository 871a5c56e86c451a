/**
 * In-process tests of the dialect's pipeline: routing, envelopes, limits and context,
 * with core over in-memory ports and no socket.
 */
import { describe, expect, it, vi } from 'vitest';
import { createCore } from '../../core/index.js';
import { fakeZip, memoryDeps } from '../../core/services/testing/in-memory-ports.js';
import { BodyTooLargeError, type WireRequest, type WireResponse } from '../http.js';
import { createAwsLambdaDialect, type AwsLambdaDialectOptions } from './index.js';
import { ROUTES, matchRoute, pathSegments, routeOf, type OperationName } from './routes.js';

interface RequestInit {
  readonly query?: string;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

let counter = 0;
function request(method: string, rawPath: string, init: RequestInit = {}): WireRequest {
  const bytes =
    init.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(init.body)
        ? init.body
        : Buffer.from(typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
  return {
    method,
    rawPath,
    query: new URLSearchParams(init.query ?? ''),
    rawQuery: init.query ?? '',
    headers: init.headers ?? {},
    requestId: `req-${++counter}`,
    readBody: (limit) =>
      bytes.length > limit ? Promise.reject(new BodyTooLargeError(limit)) : Promise.resolve(bytes),
  };
}

function setup(extra: Partial<AwsLambdaDialectOptions> = {}) {
  const core = createCore(memoryDeps());
  const dialect = createAwsLambdaDialect(core, {
    defaultRegion: 'us-east-1',
    accountId: '123456789012',
    publicUrl: () => 'http://hearth.test',
    ...extra,
  });
  const send = async (method: string, path: string, init?: RequestInit) => {
    const req = request(method, path, init);
    const res = await dialect.handle(req);
    expect(res.headers?.['x-amzn-RequestId']).toBe(req.requestId);
    return { ...res, json: parse(res) };
  };
  return { core, dialect, send };
}

function parse(res: WireResponse): Record<string, unknown> | undefined {
  const text = res.body === undefined ? '' : res.body.toString();
  return text === '' || res.headers?.['content-type'] !== 'application/json'
    ? undefined
    : (JSON.parse(text) as Record<string, unknown>);
}

const createBody = (name: string) => ({
  FunctionName: name,
  Runtime: 'nodejs20.x',
  Handler: 'index.handler',
  Role: 'arn:aws:iam::123456789012:role/r',
  Code: { ZipFile: fakeZip(name).toString('base64') },
});

describe('operation detection', () => {
  const samples: Record<OperationName, [string, string, string?]> = {
    CreateFunction: ['POST', '/2015-03-31/functions'],
    ListFunctions: ['GET', '/2015-03-31/functions/'],
    GetFunction: ['GET', '/2015-03-31/functions/fn'],
    DeleteFunction: ['DELETE', '/2015-03-31/functions/fn'],
    GetFunctionConfiguration: ['GET', '/2015-03-31/functions/fn/configuration'],
    UpdateFunctionConfiguration: ['PUT', '/2015-03-31/functions/fn/configuration'],
    UpdateFunctionCode: ['PUT', '/2015-03-31/functions/fn/code'],
    PublishVersion: ['POST', '/2015-03-31/functions/fn/versions'],
    ListVersionsByFunction: ['GET', '/2015-03-31/functions/fn/versions'],
    CreateAlias: ['POST', '/2015-03-31/functions/fn/aliases'],
    ListAliases: ['GET', '/2015-03-31/functions/fn/aliases'],
    GetAlias: ['GET', '/2015-03-31/functions/fn/aliases/live'],
    UpdateAlias: ['PUT', '/2015-03-31/functions/fn/aliases/live'],
    DeleteAlias: ['DELETE', '/2015-03-31/functions/fn/aliases/live'],
    Invoke: ['POST', '/2015-03-31/functions/fn/invocations'],
    AddPermission: ['POST', '/2015-03-31/functions/fn/policy'],
    RemovePermission: ['DELETE', '/2015-03-31/functions/fn/policy/s3'],
    GetPolicy: ['GET', '/2015-03-31/functions/fn/policy'],
    PutRuntimeManagementConfig: ['PUT', '/2021-07-20/functions/fn/runtime-management-config'],
    GetRuntimeManagementConfig: ['GET', '/2021-07-20/functions/fn/runtime-management-config'],
    PutFunctionConcurrency: ['PUT', '/2017-10-31/functions/fn/concurrency'],
    GetFunctionConcurrency: ['GET', '/2019-09-30/functions/fn/concurrency'],
    DeleteFunctionConcurrency: ['DELETE', '/2017-10-31/functions/fn/concurrency'],
    GetAccountSettings: ['GET', '/2016-08-19/account-settings'],
    PutFunctionEventInvokeConfig: ['PUT', '/2019-09-25/functions/fn/event-invoke-config'],
    UpdateFunctionEventInvokeConfig: ['POST', '/2019-09-25/functions/fn/event-invoke-config'],
    GetFunctionEventInvokeConfig: ['GET', '/2019-09-25/functions/fn/event-invoke-config'],
    DeleteFunctionEventInvokeConfig: ['DELETE', '/2019-09-25/functions/fn/event-invoke-config'],
    ListFunctionEventInvokeConfigs: ['GET', '/2019-09-25/functions/fn/event-invoke-config/list'],
    ListProvisionedConcurrencyConfigs: [
      'GET',
      '/2019-09-30/functions/fn/provisioned-concurrency',
      'List=ALL',
    ],
    GetProvisionedConcurrencyConfig: [
      'GET',
      '/2019-09-30/functions/fn/provisioned-concurrency',
      'Qualifier=1',
    ],
    PutProvisionedConcurrencyConfig: [
      'PUT',
      '/2019-09-30/functions/fn/provisioned-concurrency',
      'Qualifier=1',
    ],
    DeleteProvisionedConcurrencyConfig: [
      'DELETE',
      '/2019-09-30/functions/fn/provisioned-concurrency',
      'Qualifier=1',
    ],
    TagResource: ['POST', '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn'],
    UntagResource: [
      'DELETE',
      '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn',
    ],
    ListTags: ['GET', '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn'],
    PublishLayerVersion: ['POST', '/2018-10-31/layers/libs/versions'],
    ListLayerVersions: ['GET', '/2018-10-31/layers/libs/versions'],
    GetLayerVersion: ['GET', '/2018-10-31/layers/libs/versions/1'],
    DeleteLayerVersion: ['DELETE', '/2018-10-31/layers/libs/versions/1'],
    GetLayerVersionByArn: [
      'GET',
      '/2018-10-31/layers',
      'find=LayerVersion&Arn=arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Alayer%3Alibs%3A1',
    ],
    ListLayers: ['GET', '/2018-10-31/layers'],
  };

  it('has one route per operation', () => {
    expect(ROUTES.map((r) => r.operation).sort()).toEqual(Object.keys(samples).sort());
  });

  it.each(Object.entries(samples))('%s', (operation, [method, path, query]) => {
    expect(matchRoute(method, pathSegments(path), new URLSearchParams(query ?? ''))?.route.operation).toBe(
      operation,
    );
  });

  it('splits before decoding, so an encoded ARN stays one label', () => {
    const path =
      '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn%3Aprod/invocations';
    expect(matchRoute('POST', pathSegments(path), new URLSearchParams())?.labels).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:fn:prod',
    });
    expect(pathSegments('/2015-03-31/functions/a%2Fb')).toEqual(['2015-03-31', 'functions', 'a/b']);
    expect(pathSegments('/2015-03-31/functions/%E0%A4%A')).toEqual(['2015-03-31', 'functions', '%E0%A4%A']);
  });

  it('routeOf remembers a request line: the same match, frozen, and the query still decides', () => {
    const path = '/2015-03-31/functions/remembered/invocations';
    let parsed = 0;
    const query = () => {
      parsed++;
      return new URLSearchParams('Qualifier=live');
    };
    const first = routeOf('POST', path, 'Qualifier=live', query);
    const again = routeOf('POST', path, 'Qualifier=live', query);
    expect(first?.route.operation).toBe('Invoke');
    expect(again).toBe(first);
    // The query is parsed for the first match only.
    expect(parsed).toBe(1);
    expect(Object.isFrozen(again?.labels)).toBe(true);
    expect(again?.labels).toEqual({ FunctionName: 'remembered' });
    // Another query is another line: GetLayerVersionByArn needs its find=LayerVersion.
    const layers = '/2018-10-31/layers';
    const arn = 'find=LayerVersion&Arn=arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Alayer%3Al%3A1';
    expect(routeOf('GET', layers, arn, () => new URLSearchParams(arn))?.route.operation).toBe(
      'GetLayerVersionByArn',
    );
    expect(routeOf('GET', layers, '', () => new URLSearchParams())?.route.operation).toBe('ListLayers');
    expect(routeOf('GET', layers, arn, () => new URLSearchParams(arn))?.route.operation).toBe(
      'GetLayerVersionByArn',
    );
    // No route: nothing is remembered, and the answer stays no route.
    expect(routeOf('PATCH', path, '', () => new URLSearchParams())).toBeUndefined();
    expect(routeOf('PATCH', path, '', () => new URLSearchParams())).toBeUndefined();
  });
});

describe('pipeline', () => {
  it('answers a path with a malformed percent-escape in its own error form, never a 500', async () => {
    const { send } = setup();
    for (const [method, path, status, errorType] of [
      // A label that does not decode keeps its raw text, which fails the label's pattern.
      ['GET', '/2015-03-31/functions/%E0%A4%A/configuration', 400, 'ValidationException'],
      ['GET', '/2015-03-31/functions/%zz/configuration', 400, 'ValidationException'],
      ['GET', '/2015-03-31/functions/fn%/configuration', 400, 'ValidationException'],
      ['POST', '/2015-03-31/functions/%zz/invocations', 400, 'ValidationException'],
      ['DELETE', '/2015-03-31/functions/%E0%A4%A', 400, 'ValidationException'],
      ['GET', '/2015-03-31/functions/fn/aliases/%zz', 400, 'ValidationException'],
      ['GET', '/2017-03-31/tags/%E0%A4%A', 400, 'ValidationException'],
      ['GET', '/2018-10-31/layers/%zz/versions', 400, 'ValidationException'],
      // Where the path's fixed words are: no operation has it.
      ['GET', '/2015-03-31/%zz', 404, 'UnknownOperationException'],
      ['GET', '/2015-03-31/functions%E0%A4%A', 404, 'UnknownOperationException'],
    ] as const) {
      const res = await send(method, path, method === 'POST' ? { body: '{}' } : {});
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.headers?.['x-amzn-ErrorType'], `${method} ${path}`).toBe(errorType);
      expect(res.json, `${method} ${path}`).toMatchObject({ __type: errorType });
    }
    expect(pathSegments('/2015-03-31/functions/%zz/fn%')).toEqual(['2015-03-31', 'functions', '%zz', 'fn%']);
  });

  it('answers unknown paths and methods with UnknownOperationException', async () => {
    const { send } = setup();
    for (const [method, path] of [
      ['GET', '/2015-03-31/nothing'],
      ['PATCH', '/2015-03-31/functions'],
      ['GET', '/2015-03-31/functions/fn/policy/extra/segments'],
    ] as const) {
      const res = await send(method, path);
      expect(res.status).toBe(404);
      expect(res.headers?.['x-amzn-ErrorType']).toBe('UnknownOperationException');
    }
  });

  it('names the AWS operation a request is when hearth does not implement it', async () => {
    const { send } = setup();
    for (const [method, path, query, operation] of [
      ['POST', '/2021-10-31/functions/x/url', '', 'CreateFunctionUrlConfig'],
      ['GET', '/2018-10-31/layers/l/versions/1/policy', '', 'GetLayerVersionPolicy'],
      ['DELETE', '/2015-03-31/event-source-mappings/u-1', '', 'DeleteEventSourceMapping'],
    ] as const) {
      const res = await send(method, path, { query });
      expect(res.status).toBe(404);
      expect(res.headers?.['x-amzn-ErrorType']).toBe('UnknownOperationException');
      expect(JSON.parse(res.body?.toString() ?? '{}')).toMatchObject({
        message: `hearth does not implement the AWS Lambda operation ${operation} (${method} ${path}) yet`,
      });
    }
    const nothing = await send('GET', '/2015-03-31/nothing');
    expect(JSON.parse(nothing.body?.toString() ?? '{}')).toMatchObject({
      message: 'No operation matches GET /2015-03-31/nothing',
    });
  });

  it('limits bodies per operation with 413 RequestEntityTooLargeException', async () => {
    const { send } = setup();
    const big = Buffer.alloc(70_167_212, 0x20);
    const res = await send('POST', '/2015-03-31/functions', { body: big });
    expect(res.status).toBe(413);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('RequestEntityTooLargeException');
    expect(res.json).toEqual({
      Message: 'Request must be smaller than 70167211 bytes for the CreateFunction operation',
      __type: 'RequestEntityTooLargeException',
    });
    const small = await send('PUT', '/2017-10-31/functions/fn/concurrency', {
      body: Buffer.alloc(2_000_000, 0x20),
    });
    expect(small.status).toBe(413);
    expect(small.json?.Message).toBe(
      'Request must be smaller than 1048576 bytes for the PutFunctionConcurrency operation',
    );
  });

  it('answers malformed and mistyped bodies with 400 InvalidRequestContentException', async () => {
    const { send } = setup();
    for (const body of [
      '{"FunctionName":',
      '[]',
      'null',
      '{"FunctionName": 5}',
      '{"Code":{"ZipFile":"%%%"}}',
    ]) {
      const res = await send('POST', '/2015-03-31/functions', { body });
      expect(res.status).toBe(400);
      expect(res.json?.__type).toBe('InvalidRequestContentException');
    }
  });

  it('collects validation errors like AWS', async () => {
    const { send } = setup();
    const res = await send('POST', '/2015-03-31/functions', { body: { MemorySize: 64 } });
    expect(res.status).toBe(400);
    expect(res.headers?.['x-amzn-ErrorType']).toBe('ValidationException');
    expect(res.json?.message).toBe(
      "4 validation errors detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null; Value null at 'role' failed to satisfy constraint: Member must not be null; Value null at 'code' failed to satisfy constraint: Member must not be null; Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    );
  });

  it('takes the region from the SigV4 credential scope', async () => {
    const { send } = setup();
    const headers = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=abc',
    };
    const created = await send('POST', '/2015-03-31/functions', { headers, body: createBody('fn') });
    expect(created.status).toBe(201);
    expect(created.json?.FunctionArn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn');
    expect((await send('GET', '/2015-03-31/functions/fn')).status).toBe(404);
    expect((await send('GET', '/2015-03-31/functions/fn', { headers })).status).toBe(200);
    const cross = await send(
      'GET',
      '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afn',
    );
    expect(cross.json?.Message).toBe(
      "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
    );
  });

  it('renders an unexpected exception as a logged 500 ServiceException', async () => {
    const error = vi.fn();
    const { send } = setup({
      logger: { error },
      handlers: { GetAccountSettings: () => Promise.reject(new Error('disk on fire')) },
    });
    const res = await send('GET', '/2016-08-19/account-settings');
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      Type: 'Service',
      Message: 'An internal error occurred. The error has been logged.',
      __type: 'ServiceException',
    });
    expect(error).toHaveBeenCalledOnce();
  });

  it('answers success with JSON, 201/204 as AWS does', async () => {
    const { send } = setup();
    const created = await send('POST', '/2015-03-31/functions', { body: createBody('fn') });
    expect(created.status).toBe(201);
    expect(created.headers?.['content-type']).toBe('application/json');
    const deleted = await send('DELETE', '/2015-03-31/functions/fn');
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
  });
});

/**
 * Layers through both dialects (issue 9 items 4–5), with the official SDKs: published
 * once, used by Python, Node.js and custom-runtime functions that find their content where
 * Lambda puts it under /opt (python/, nodejs/node_modules/, bin/, bootstrap), a later
 * layer overriding an earlier one, a published version keeping its layer versions, a
 * deleted layer version still working for the functions that use it, and bad input
 * answered with each dialect's errors.
 */
import {
  CreateFunctionCommand,
  DeleteLayerVersionCommand,
  GetFunctionConfigurationCommand,
  GetProvisionedConcurrencyConfigCommand,
  PutProvisionedConcurrencyConfigCommand,
  GetLayerVersionByArnCommand,
  GetLayerVersionCommand,
  InvokeCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
  type PublishLayerVersionCommandOutput,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boto3, hasBoto3 } from '../helpers/boto3.js';
import { TEST_ACCOUNT, TEST_REGION } from '../helpers/platform.js';
import { scfFailure, startScfPlatform, until, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';
import { makeZip, type ZipEntryInput } from '../helpers/zip.js';

let p: ScfTestPlatform;
const ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/r`;

const decode = (b: Uint8Array | undefined) =>
  JSON.parse(Buffer.from(b ?? []).toString('utf8')) as Record<string, unknown>;

async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

async function publish(
  name: string,
  files: Record<string, ZipEntryInput>,
  extra: { CompatibleRuntimes?: Runtime[]; Description?: string } = {},
): Promise<PublishLayerVersionCommandOutput & { zip: Buffer }> {
  const zip = await makeZip(files);
  const out = await p.client.send(
    new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: zip }, ...extra }),
  );
  return { ...out, zip };
}

async function createFn(input: Partial<CreateFunctionCommandInput> & { FunctionName: string }) {
  return p.client.send(
    new CreateFunctionCommand({
      Role: ROLE,
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Code: { ZipFile: await makeZip({ 'app.py': 'def handler(e, c):\n    return 1\n' }) },
      ...input,
    }),
  );
}

async function invoke(name: string, qualifier?: string) {
  const out = await p.client.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: Buffer.from('{}'),
      Qualifier: qualifier,
      LogType: 'Tail',
    }),
  );
  const log = Buffer.from(out.LogResult ?? '', 'base64').toString();
  expect(out.FunctionError, `${Buffer.from(out.Payload ?? []).toString()}\n${log}`).toBeUndefined();
  return decode(out.Payload);
}

const arn = (name: string, version: number, account = TEST_ACCOUNT, region = TEST_REGION) =>
  `arn:aws:lambda:${region}:${account}:layer:${name}:${version}`;

let pyLib: Awaited<ReturnType<typeof publish>>;

beforeAll(async () => {
  // The interpreters named, not probed through a version manager's shims (a shim's probe
  // can time out on a loaded machine, and the runtime then has no interpreter).
  const python = '/usr/bin/python3.11';
  p = await startScfPlatform(
    existsSync(python) ? { runtimeInterpreters: { 'python3.12': python, 'python3.9': python } } : {},
  );
  // A pure-Python package in both of Lambda's Python folders.
  pyLib = await publish(
    'pylib',
    {
      'python/greeting/__init__.py': 'def hello(who):\n    return "hello " + who\nWHO = "pylib-1"\n',
      'python/lib/python3.12/site-packages/sitepkg.py': 'VALUE = "from site-packages"\n',
    },
    { CompatibleRuntimes: ['python3.12'], Description: 'greetings' },
  );
});
afterAll(() => p.dispose());

describe('AWS: publishing and reading layers', () => {
  it('publishes version 1 with AWS shape, and Content.Location downloads the exact zip', async () => {
    expect(pyLib.$metadata.httpStatusCode).toBe(201);
    expect(pyLib).toMatchObject({
      LayerArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:layer:pylib`,
      LayerVersionArn: arn('pylib', 1),
      Version: 1,
      Description: 'greetings',
      CompatibleRuntimes: ['python3.12'],
      Content: { CodeSize: pyLib.zip.length },
    });
    expect(pyLib.CompatibleArchitectures).toBeUndefined();
    expect(pyLib.LicenseInfo).toBeUndefined();
    expect(pyLib.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const res = await fetch(pyLib.Content?.Location ?? '');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(pyLib.zip)).toBe(true);
    const got = await p.client.send(new GetLayerVersionCommand({ LayerName: 'pylib', VersionNumber: 1 }));
    expect(got.Content?.CodeSha256).toBe(pyLib.Content?.CodeSha256);
    const byArn = await p.client.send(new GetLayerVersionByArnCommand({ Arn: arn('pylib', 1) }));
    expect(byArn.LayerVersionArn).toBe(arn('pylib', 1));
  });

  it('numbers versions without reuse, lists them newest first and by filters', async () => {
    const a = await publish('numbers', { 'x.txt': 'a' }, { CompatibleRuntimes: [] });
    const b = await publish('numbers', { 'x.txt': 'b' }, { CompatibleRuntimes: ['nodejs20.x'] });
    expect([a.Version, b.Version]).toEqual([1, 2]);
    expect(a.CompatibleRuntimes).toEqual([]);
    const versions = await p.client.send(new ListLayerVersionsCommand({ LayerName: 'numbers' }));
    expect(versions.LayerVersions?.map((v) => v.Version)).toEqual([2, 1]);
    const node = await p.client.send(
      new ListLayerVersionsCommand({ LayerName: 'numbers', CompatibleRuntime: 'nodejs20.x' }),
    );
    expect(node.LayerVersions?.map((v) => v.Version)).toEqual([2]);
    const layers = await p.client.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
    expect(layers.Layers?.map((l) => l.LayerName)).toContain('pylib');
    expect(layers.Layers?.map((l) => l.LayerName)).not.toContain('numbers');
    await p.client.send(new DeleteLayerVersionCommand({ LayerName: 'numbers', VersionNumber: 1 }));
    await p.client.send(new DeleteLayerVersionCommand({ LayerName: 'numbers', VersionNumber: 2 }));
    await p.client.send(new DeleteLayerVersionCommand({ LayerName: 'numbers', VersionNumber: 2 }));
    const none = await p.client.send(new ListLayerVersionsCommand({ LayerName: 'numbers' }));
    expect(none.LayerVersions).toEqual([]);
    const c = await publish('numbers', { 'x.txt': 'c' });
    expect(c.Version).toBe(3);
    expect(c.CompatibleRuntimes).toBeUndefined();
  });

  it("answers bad input with AWS's errors", async () => {
    const notZip = await failure(
      p.client.send(
        new PublishLayerVersionCommand({ LayerName: 'bad', Content: { ZipFile: Buffer.from('nope') } }),
      ),
    );
    expect(notZip.name).toBe('InvalidParameterValueException');
    const unsafe = await failure(
      p.client.send(
        new PublishLayerVersionCommand({
          LayerName: 'bad',
          Content: { ZipFile: await makeZip({ '../evil.txt': 'x' }) },
        }),
      ),
    );
    expect(unsafe.name).toBe('InvalidParameterValueException');
    const s3 = await failure(
      p.client.send(
        new PublishLayerVersionCommand({ LayerName: 'bad', Content: { S3Bucket: 'b', S3Key: 'k' } }),
      ),
    );
    expect(s3.message).toContain('S3Bucket/S3Key');
    const enums = await failure(
      p.client.send(
        new PublishLayerVersionCommand({
          LayerName: 'bad',
          Content: { ZipFile: pyLib.zip },
          CompatibleRuntimes: ['invalidruntime', 'nodejs20.x'] as never,
          CompatibleArchitectures: ['invalidarch'] as never,
        }),
      ),
    );
    expect(enums.name).toBe('ValidationException');
    expect(enums.message).toBe(
      "2 validation errors detected: Value '[invalidruntime, nodejs20.x]' at 'compatibleRuntimes' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2]; Value '[invalidarch]' at 'compatibleArchitectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
    );
    const missing = await failure(
      p.client.send(new GetLayerVersionCommand({ LayerName: 'pylib', VersionNumber: 9 })),
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    expect(missing.message).toBe('The resource you requested does not exist.');
    for (const VersionNumber of [0, -1]) {
      const low = await failure(
        p.client.send(new GetLayerVersionCommand({ LayerName: 'pylib', VersionNumber })),
      );
      expect(low.name).toBe('InvalidParameterValueException');
      expect(low.message).toBe('Layer Version Cannot be less than 1');
    }
    const badArn = await failure(
      p.client.send(
        new GetLayerVersionByArnCommand({ Arn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:layer:pylib` }),
      ),
    );
    expect(badArn.name).toBe('ValidationException');
    const filter = await failure(
      p.client.send(new ListLayersCommand({ CompatibleArchitecture: 'archdoesnotexist' as never })),
    );
    expect(filter.message).toBe(
      "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]",
    );
    const foreign = await failure(
      p.client.send(new GetLayerVersionByArnCommand({ Arn: arn('pylib', 1, '210987654321') })),
    );
    expect(foreign.name).toBe('AccessDeniedException');
  });
});

describe('AWS: functions with layers', () => {
  it('runs a Python function on a pure-Python package from a layer, later layers overriding', async () => {
    const override = await publish('pyover', {
      'python/greeting/__init__.py': 'def hello(w):\n    return "hi " + w\nWHO = "pyover"\n',
    });
    const app = [
      'import greeting, sitepkg',
      'def handler(event, context):',
      '    return {"hello": greeting.hello("you"), "who": greeting.WHO, "site": sitepkg.VALUE, "file": greeting.__file__}',
      '',
    ].join('\n');
    const created = await createFn({
      FunctionName: 'py-layers',
      Code: { ZipFile: await makeZip({ 'app.py': app }) },
      Layers: [arn('pylib', 1)],
    });
    expect(created.Layers).toEqual([{ Arn: arn('pylib', 1), CodeSize: pyLib.zip.length }]);
    expect(await invoke('py-layers')).toMatchObject({
      hello: 'hello you',
      who: 'pylib-1',
      site: 'from site-packages',
    });
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'py-layers',
        Layers: [arn('pylib', 1), arn('pyover', override.Version ?? 0)],
      }),
    );
    expect(await invoke('py-layers')).toMatchObject({
      hello: 'hi you',
      who: 'pyover',
      site: 'from site-packages',
    });
  });

  it('runs a Node.js function on a package from nodejs/node_modules (node<major> first)', async () => {
    const a = await publish('nodelib', {
      // A dependency of a layer's package, found in the same layer.
      'nodejs/node_modules/leftpad/index.js': "module.exports = require('padder');",
      'nodejs/node_modules/padder/index.js': "module.exports = (s, n) => String(s).padStart(n, '0');",
      'nodejs/node_modules/which/index.js': "module.exports = 'nodejs/node_modules';",
    });
    const b = await publish('nodemajor', {
      'nodejs/node20/node_modules/which/index.js': "module.exports = 'nodejs/node20/node_modules';",
    });
    await createFn({
      FunctionName: 'node-layers',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Code: {
        ZipFile: await makeZip({
          'index.js':
            "exports.handler = async () => ({ padded: require('leftpad')(7, 3), which: require('which') });",
        }),
      },
      Layers: [arn('nodelib', a.Version ?? 0)],
    });
    expect(await invoke('node-layers')).toEqual({ padded: '007', which: 'nodejs/node_modules' });
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'node-layers',
        Layers: [arn('nodelib', a.Version ?? 0), arn('nodemajor', b.Version ?? 0)],
      }),
    );
    expect(await invoke('node-layers')).toEqual({ padded: '007', which: 'nodejs/node20/node_modules' });
  });

  it("runs a custom runtime whose bootstrap comes from a layer, with the layers' bin/ on its PATH", async () => {
    const bootstrap = [
      '#!/usr/bin/env python3',
      'import json, os, shutil, urllib.request',
      'API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"',
      'while True:',
      '    with urllib.request.urlopen(API + "next") as res:',
      '        rid = res.headers["Lambda-Runtime-Aws-Request-Id"]',
      '    tool = shutil.which("hearth-tool")',
      '    body = json.dumps({"tool": os.path.basename(tool or ""), "task": open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "data.txt")).read()}).encode()',
      '    urllib.request.urlopen(urllib.request.Request(API + rid + "/response", data=body, method="POST")).read()',
      '',
    ].join('\n');
    const rt = await publish('pyruntime', {
      bootstrap: { data: bootstrap, mode: 0o755 },
      'bin/hearth-tool': { data: '#!/bin/sh\necho tool\n', mode: 0o755 },
    });
    await createFn({
      FunctionName: 'custom-layers',
      Runtime: 'provided.al2023',
      Handler: 'none',
      Code: { ZipFile: await makeZip({ 'data.txt': 'from the package' }) },
      Layers: [arn('pyruntime', rt.Version ?? 0)],
    });
    expect(await invoke('custom-layers')).toEqual({ tool: 'hearth-tool', task: 'from the package' });
  });

  it('keeps the layer versions a version was published with, and a deleted layer version keeps working', async () => {
    const v1 = await publish('kept', { 'python/kept.py': 'V = 1\n' });
    const v2 = await publish('kept', { 'python/kept.py': 'V = 2\n' });
    await createFn({
      FunctionName: 'py-kept',
      Code: {
        ZipFile: await makeZip({ 'app.py': 'import kept\ndef handler(e, c):\n    return {"v": kept.V}\n' }),
      },
      Layers: [arn('kept', v1.Version ?? 0)],
    });
    const published = await p.client.send(new PublishVersionCommand({ FunctionName: 'py-kept' }));
    await p.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'py-kept',
        Layers: [arn('kept', v2.Version ?? 0)],
      }),
    );
    expect(await invoke('py-kept')).toEqual({ v: 2 });
    // Deleted before the published version ever ran: its first environment starts from
    // the content the function keeps (AWS keeps it for the functions that use it).
    await p.client.send(new DeleteLayerVersionCommand({ LayerName: 'kept', VersionNumber: v1.Version }));
    const config = await p.client.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'py-kept', Qualifier: published.Version }),
    );
    expect(config.Layers).toEqual([{ Arn: arn('kept', 1), CodeSize: v1.zip.length }]);
    expect(await invoke('py-kept', published.Version)).toEqual({ v: 1 });
    // ... and a new configuration cannot name the deleted version.
    const gone = await failure(
      p.client.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: 'py-kept', Layers: [arn('kept', 1)] }),
      ),
    );
    expect(gone.message).toBe(`Layer version ${arn('kept', 1)} does not exist.`);
    // Removing the layers: [] drops the member.
    const cleared = await p.client.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'py-kept', Layers: [] }),
    );
    expect(cleared.Layers).toBeUndefined();
  });

  it('gives a provisioned environment its layers before the first invoke', async () => {
    const lib = await publish('provlib', {
      'python/provmod.py': 'import os\nINIT = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]\n',
    });
    await createFn({
      FunctionName: 'py-prov-layers',
      Code: {
        ZipFile: await makeZip({
          'app.py': 'import provmod\ndef handler(e, c):\n    return {"init": provmod.INIT}\n',
        }),
      },
      Layers: [arn('provlib', lib.Version ?? 0)],
    });
    const v = await p.client.send(new PublishVersionCommand({ FunctionName: 'py-prov-layers' }));
    await p.client.send(
      new PutProvisionedConcurrencyConfigCommand({
        FunctionName: 'py-prov-layers',
        Qualifier: v.Version,
        ProvisionedConcurrentExecutions: 1,
      }),
    );
    await until('READY', async () => {
      const c = await p.client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'py-prov-layers', Qualifier: v.Version }),
      );
      expect(c.Status).not.toBe('FAILED');
      return c.Status === 'READY' ? c : undefined;
    });
    expect(await invoke('py-prov-layers', v.Version)).toEqual({ init: 'provisioned-concurrency' });
  });

  it('pages ListLayers and ListLayerVersions with Marker/MaxItems', async () => {
    for (let i = 0; i < 3; i++) {
      await publish('paged', { 'x.txt': String(i) });
    }
    const first = await p.client.send(new ListLayerVersionsCommand({ LayerName: 'paged', MaxItems: 2 }));
    expect(first.LayerVersions?.map((x) => x.Version)).toEqual([3, 2]);
    const rest = await p.client.send(
      new ListLayerVersionsCommand({ LayerName: 'paged', MaxItems: 2, Marker: first.NextMarker }),
    );
    expect(rest.LayerVersions?.map((x) => x.Version)).toEqual([1]);
    expect(rest.NextMarker).toBeUndefined();
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await p.client.send(new ListLayersCommand({ MaxItems: 1, Marker: marker }));
      names.push(...(page.Layers ?? []).map((l) => l.LayerName ?? ''));
      marker = page.NextMarker;
    } while (marker !== undefined);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('paged');
    const tooMany = await failure(p.client.send(new ListLayersCommand({ MaxItems: 51 })));
    expect(tooMany.message).toBe(
      "1 validation error detected: Value '51' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 50",
    );
  });

  it("refuses bad Layers with AWS's errors", async () => {
    const six = await failure(
      createFn({ FunctionName: 'six', Layers: [1, 2, 3, 4, 5, 6].map((i) => arn(`l${i}`, 1)) }),
    );
    expect(six.name).toBe('InvalidParameterValueException');
    expect(six.message).toBe('Cannot reference more than 5 layers.');
    const dup = await failure(createFn({ FunctionName: 'dup', Layers: [arn('pylib', 1), arn('pylib', 1)] }));
    expect(dup.message).toBe(
      `Two different versions of the same layer are not allowed to be referenced in the same function. ${arn('pylib', 1)} and ${arn('pylib', 1)} are versions of the same layer.`,
    );
    const region = await failure(
      createFn({ FunctionName: 'reg', Layers: [arn('pylib', 1, TEST_ACCOUNT, 'eu-west-1')] }),
    );
    expect(region.message).toBe(
      `Layers are not in the same region as the function. Layers are expected to be in region ${TEST_REGION}.`,
    );
    const foreign = await failure(
      createFn({ FunctionName: 'acct', Layers: [arn('pylib', 1, '210987654321')] }),
    );
    expect(foreign.name).toBe('AccessDeniedException');
    expect(foreign.$metadata?.httpStatusCode).toBe(403);
    const missing = await failure(createFn({ FunctionName: 'miss', Layers: [arn('doesnotexist', 1)] }));
    expect(missing.message).toBe(`Layer version ${arn('doesnotexist', 1)} does not exist.`);
    const noVersion = await failure(
      createFn({
        FunctionName: 'nover',
        Layers: [`arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:layer:pylib`],
      }),
    );
    expect(noVersion.name).toBe('ValidationException');
    expect(noVersion.message).toContain(
      "at 'layers' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048",
    );
  });
});

describe.skipIf(!hasBoto3)('AWS with boto3', () => {
  it('reads layers and binds one to a function as botocore parses them', async () => {
    const b = boto3(p.url);
    try {
      const v = await b.ok('lambda', 'GetLayerVersionByArn', { Arn: arn('pylib', 1) });
      expect(v).toMatchObject({
        Version: 1,
        LayerArn: `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:layer:pylib`,
      });
      expect(typeof v.CreatedDate).toBe('string');
      const list = await b.ok('lambda', 'ListLayerVersions', { LayerName: 'pylib' });
      expect((list.LayerVersions as { Version: number }[]).map((x) => x.Version)).toEqual([1]);
      const fn = await b.ok('lambda', 'UpdateFunctionConfiguration', {
        FunctionName: 'py-layers',
        Layers: [arn('pylib', 1)],
      });
      expect(fn.Layers).toEqual([{ Arn: arn('pylib', 1), CodeSize: pyLib.zip.length }]);
      expect(await b.call('lambda', 'GetLayerVersion', { LayerName: 'pylib', VersionNumber: 0 })).toEqual({
        error: {
          Code: 'InvalidParameterValueException',
          Message: 'Layer Version Cannot be less than 1',
          Status: 400,
        },
      });
      expect(await b.call('lambda', 'GetLayerVersion', { LayerName: 'pylib', VersionNumber: 9 })).toEqual({
        error: {
          Code: 'ResourceNotFoundException',
          Message: 'The resource you requested does not exist.',
          Status: 404,
        },
      });
    } finally {
      b.close();
    }
  });
});

describe('SCF: layers over the same store', () => {
  it('publishes, lists, reads and deletes layer versions', async () => {
    const zip = await zipBase64({ 'python/scfmod.py': 'NAME = "scf layer"\n' });
    const out = await p.scf.PublishLayerVersion({
      LayerName: 'scflib',
      CompatibleRuntimes: ['Python3.9'],
      Content: { ZipFile: zip },
      Description: 'from scf',
    });
    expect(out.LayerVersion).toBe(1);
    const got = await p.scf.GetLayerVersion({ LayerName: 'scflib', LayerVersion: 1 });
    expect(got).toMatchObject({
      LayerName: 'scflib',
      LayerVersion: 1,
      CompatibleRuntimes: ['Python3.9'],
      Status: 'Active',
    });
    const res = await fetch(got.Location ?? '');
    expect(Buffer.from(await res.arrayBuffer()).toString('base64')).toBe(zip);
    const layers = await p.scf.ListLayers({ CompatibleRuntime: 'Python3.9' });
    expect(layers.Layers?.map((l) => l.LayerName)).toEqual(['scflib']);
    const versions = await p.scf.ListLayerVersions({ LayerName: 'scflib' });
    expect(versions.LayerVersions?.map((v) => v.LayerVersion)).toEqual([1]);
    // The AWS dialect sees the same layer.
    const aws = await p.client.send(new GetLayerVersionCommand({ LayerName: 'scflib', VersionNumber: 1 }));
    expect(aws.Description).toBe('from scf');
  });

  it('runs a function bound to a layer (LayerName + LayerVersion), shown in GetFunction', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'scf-layered',
      Runtime: 'Python3.9',
      Handler: 'index.main_handler',
      Code: {
        ZipFile: await zipBase64({
          'index.py':
            'import scfmod, greeting\ndef main_handler(e, c):\n    return {"name": scfmod.NAME, "who": greeting.WHO}\n',
        }),
      },
      Layers: [
        { LayerName: 'pylib', LayerVersion: 1 },
        { LayerName: 'scflib', LayerVersion: 1 },
      ],
    });
    const fn = await p.scf.GetFunction({ FunctionName: 'scf-layered' });
    expect(fn.Layers?.map((l) => [l.LayerName, l.LayerVersion])).toEqual([
      ['pylib', 1],
      ['scflib', 1],
    ]);
    const out = await p.scf.Invoke({ FunctionName: 'scf-layered' });
    expect(JSON.parse(out.Result?.RetMsg ?? '{}')).toEqual({ name: 'scf layer', who: 'pylib-1' });
  });

  it("answers bad input with SCF's error codes", async () => {
    const missing = await scfFailure(p.scf.GetLayerVersion({ LayerName: 'scflib', LayerVersion: 7 }));
    expect(missing.code).toBe('ResourceNotFound.LayerVersion');
    const del = await scfFailure(p.scf.DeleteLayerVersion({ LayerName: 'nolayer', LayerVersion: 1 }));
    expect(del.code).toBe('ResourceNotFound.LayerVersion');
    const list = await scfFailure(p.scf.ListLayerVersions({ LayerName: 'nolayer' }));
    expect(list.code).toBe('ResourceNotFound.Layer');
    const name = await scfFailure(
      p.scf.PublishLayerVersion({
        LayerName: '1bad_',
        CompatibleRuntimes: ['Python3.9'],
        Content: { ZipFile: await zipBase64({ a: 'b' }) },
      }),
    );
    expect(name.code).toBe('InvalidParameterValue.LayerName');
    const notZip = await scfFailure(
      p.scf.PublishLayerVersion({
        LayerName: 'notzip',
        CompatibleRuntimes: ['Python3.9'],
        Content: { ZipFile: Buffer.from('nope!!').toString('base64') },
      }),
    );
    expect(notZip.code).toMatch(/^InvalidParameterValue/);
    const fnMissing = await scfFailure(
      p.scf.UpdateFunctionConfiguration({
        FunctionName: 'scf-layered',
        Layers: [{ LayerName: 'nolayer', LayerVersion: 1 }],
      }),
    );
    expect(fnMissing.code).toBe('ResourceNotFound.Layer');
    const six = await scfFailure(
      p.scf.UpdateFunctionConfiguration({
        FunctionName: 'scf-layered',
        Layers: [1, 2, 3, 4, 5, 6].map((i) => ({ LayerName: `l${i}`, LayerVersion: 1 })),
      }),
    );
    expect(six.code).toBe('InvalidParameterValue.Layers');
  });
});

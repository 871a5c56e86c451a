/**
 * Function code sees nothing above its code root (issue 16, item 1): with the data dir
 * inside hearth's own checkout, whose package.json says "type": "module" and whose
 * node_modules holds hearth's dependencies, a CommonJS handler is CommonJS and a package
 * hearth has (but the function does not) cannot be loaded — on both dialects, from
 * CommonJS and from ES modules, as on Lambda where nothing lies above /var/task.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ACCOUNT } from '../helpers/platform.js';
import { startScfPlatform, zipBase64, type ScfTestPlatform } from '../helpers/scf.js';
import { makeZip } from '../helpers/zip.js';

const checkout = fileURLToPath(new URL('../../', import.meta.url));
let p: ScfTestPlatform;
let dataDir: string;

const json = (b: Uint8Array | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(b ?? []).toString('utf8')) as Record<string, unknown>;

async function create(name: string, files: Record<string, string>, handler = 'index.handler') {
  await p.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: handler,
      Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
      Code: { ZipFile: await makeZip(files) },
    }),
  );
}

async function invoke(name: string) {
  const out = await p.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
  return { error: out.FunctionError, body: json(out.Payload) };
}

beforeAll(async () => {
  // Inside the checkout, beside hearth's package.json ("type": "module") and node_modules.
  dataDir = mkdtempSync(path.join(checkout, '.hearth-test-'));
  p = await startScfPlatform({}, dataDir);
});

afterAll(async () => {
  await p.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a data dir inside a checkout with "type": "module"', () => {
  it('runs an exports.handler index.js as CommonJS through the AWS dialect', async () => {
    await create('cjs', {
      'index.js':
        'exports.handler = async (event) => ({ ok: true, type: typeof require, dir: __dirname.length > 0 });',
    });
    expect(await invoke('cjs')).toEqual({
      error: undefined,
      body: { ok: true, type: 'function', dir: true },
    });
  });

  it('runs an SCF main_handler written in CommonJS', async () => {
    await p.scf.CreateFunction({
      FunctionName: 'scf-cjs',
      Runtime: 'Nodejs18.15',
      Handler: 'index.main_handler',
      Code: {
        ZipFile: await zipBase64({ 'index.js': 'exports.main_handler = async () => ({ scf: "cjs" });' }),
      },
    });
    const out = await p.scf.Invoke({ FunctionName: 'scf-cjs' });
    expect(JSON.parse(out.Result?.RetMsg ?? '{}')).toEqual({ scf: 'cjs' });
  });

  it("still lets a function's own package.json make its .js an ES module", async () => {
    await create('own-esm', {
      'package.json': '{"type":"module"}',
      'index.js': 'export const handler = async () => ({ esm: typeof require === "undefined" });',
    });
    expect(await invoke('own-esm')).toEqual({ error: undefined, body: { esm: true } });
  });

  it('does not resolve packages from node_modules above the code root (CommonJS)', async () => {
    // fastify is one of hearth's own dependencies, in <checkout>/node_modules.
    await create('cjs-leak', {
      'index.js': "const f = require('fastify'); exports.handler = async () => 'leaked';",
    });
    const out = await invoke('cjs-leak');
    expect(out.error).toBe('Unhandled');
    expect(out.body).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect(String(out.body.errorMessage)).toContain("Cannot find module 'fastify'");
  });

  it('does not resolve packages from node_modules above the code root (ES modules)', async () => {
    await create('esm-leak', {
      'index.mjs': "import f from 'fastify'; export const handler = async () => 'leaked';",
    });
    const out = await invoke('esm-leak');
    expect(out.error).toBe('Unhandled');
    expect(out.body).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect(String(out.body.errorMessage)).toContain("Cannot find package 'fastify' imported from");
  });

  it.each([
    ['a .js under "type": "module"', { 'package.json': '{"type":"module"}' }],
    ['a .js that is an ES module by its syntax alone', {}],
  ])('does not resolve packages from node_modules above the code root (%s)', async (_, extra) => {
    // Node.js >= 20.19 can require() these; its loader-thread hook sees import() alone.
    const name = `esm-js-leak-${Object.keys(extra).length}`;
    await create(name, {
      ...extra,
      'index.js': "import f from 'fastify'; export const handler = async () => 'leaked';",
    });
    const out = await invoke(name);
    expect(out.error).toBe('Unhandled');
    expect(out.body).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    expect(String(out.body.errorMessage)).toContain("Cannot find package 'fastify' imported from");
  });

  it("resolves the function's own node_modules, from both module systems", async () => {
    const dep = {
      'node_modules/dep/package.json': '{"name":"dep","main":"main.js"}',
      'node_modules/dep/main.js': 'module.exports = 42;',
    };
    await create('own-deps-cjs', {
      ...dep,
      'index.js': "const d = require('dep'); exports.handler = async () => d;",
    });
    await create('own-deps-esm', {
      ...dep,
      'index.mjs': "import d from 'dep'; export const handler = async () => d;",
    });
    expect((await invoke('own-deps-cjs')).body).toBe(42);
    expect((await invoke('own-deps-esm')).body).toBe(42);
  });
});

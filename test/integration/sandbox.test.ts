/**
 * Issue 12 items 6 and 7: functions that try to reach what is not theirs, in bubblewrap
 * sandboxes (src/pool/launchers/sandbox-launcher.ts), through the official SDK.
 *
 * Needs Debian's `bubblewrap` (.ci/run installs it): without it the suite fails in CI
 * (CI=true) rather than passing silently, and is skipped on a developer's machine.
 */
import {
  CreateFunctionCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { bubblewrapUsable } from '../helpers/bubblewrap.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, TEST_ACCOUNT, type TestPlatform } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const usable = bubblewrapUsable();
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

it('bubblewrap is installed where CI runs (.ci/run installs it)', () => {
  if (inCi) {
    expect(usable, 'bwrap is missing or does not work: the sandbox tests would not run').toBe(true);
  }
});

/** A function that tries every way out it can think of and reports what happened. */
const PROBER = `
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
const attempt = (f) => { try { const v = f(); return { ok: true, value: v }; } catch (e) { return { ok: false, code: e.code ?? String(e) }; } };
export const handler = async (e) => ({
  uid: process.getuid(),
  pid: process.pid,
  taskRoot: process.env.LAMBDA_TASK_ROOT,
  cwd: process.cwd(),
  ownByAbsolutePath: attempt(() => fs.readFileSync('/var/task/index.mjs', 'utf8').length > 0),
  shadow: attempt(() => fs.readFileSync('/etc/shadow', 'utf8').length),
  dataDir: attempt(() => fs.readdirSync(e.dataDir)),
  database: attempt(() => fs.readFileSync(path.join(e.dataDir, 'hearth.db')).length),
  otherCode: e.otherCode.map((dir) => attempt(() => fs.readdirSync(dir))),
  up: attempt(() => fs.readdirSync(path.join(process.env.LAMBDA_TASK_ROOT, '..'))),
  hearthEnviron: attempt(() => fs.readFileSync('/proc/' + e.hearthPid + '/environ', 'latin1').length),
  signalHearth: attempt(() => process.kill(e.hearthPid, 0)),
  procs: fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)),
  writeCode: attempt(() => fs.writeFileSync(path.join(process.env.LAMBDA_TASK_ROOT, 'x'), 'x')),
  writeTmp: attempt(() => { fs.writeFileSync('/tmp/mine', 'x'); return fs.readdirSync('/tmp'); }),
  writeRoot: attempt(() => fs.writeFileSync('/var/mine', 'x')),
  writeOpt: attempt(() => fs.writeFileSync('/opt/mine', 'x')),
  etc: fs.readdirSync('/etc').sort(),
});
`;

/** Tries to take another environment's /next and to answer in its place. */
const INTRUDER = `
import http from 'node:http';
const call = (target, method, p) => new Promise((resolve) => {
  const [host, port] = target.split(':');
  const req = http.request({ host, port: Number(port), method, path: p, agent: false, timeout: 3000 }, (res) => {
    let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve('answered ' + res.statusCode + ' ' + body));
  });
  req.on('timeout', () => { req.destroy(); resolve('timeout'); });
  req.on('error', (err) => resolve('refused ' + err.code));
  req.end(method === 'POST' ? '"stolen"' : undefined);
});
export const handler = async (e) => ({
  next: await call(e.target, 'GET', '/2018-06-01/runtime/invocation/next'),
  answer: await call(e.target, 'POST', '/2018-06-01/runtime/invocation/' + e.requestId + '/response'),
});
`;

/** A provided runtime in Node: answers each event with its own Runtime API address. */
const VICTIM_BOOTSTRAP = `#!/usr/bin/env node
const http = require('node:http');
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [host, port] = api.split(':');
const agent = new http.Agent({ keepAlive: true });
const get = () => new Promise((resolve, reject) => {
  http.get({ host, port, path: '/2018-06-01/runtime/invocation/next', agent }, (res) => {
    let body = ''; res.on('data', (c) => (body += c));
    res.on('end', () => resolve({ id: res.headers['lambda-runtime-aws-request-id'], body }));
  }).on('error', reject);
});
const post = (id, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method: 'POST', path: '/2018-06-01/runtime/invocation/' + id + '/response', agent }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(body);
});
(async () => { for (;;) { const inv = await get(); await post(inv.id, JSON.stringify({ api, requestId: inv.id, event: JSON.parse(inv.body) })); } })();
`;

/** Reads its layers where Lambda puts them, by absolute path and through NODE_PATH and PATH. */
const LAYER_READER_NODE = `
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const attempt = (f) => { try { return f(); } catch (e) { return 'error ' + (e.code ?? String(e)); } };
exports.handler = async () => ({
  cwd: process.cwd(),
  own: fs.readFileSync('/var/task/own.txt', 'utf8'),
  conf: fs.readFileSync('/opt/data/conf.txt', 'utf8'),
  data: fs.readdirSync('/opt/data').sort(),
  shared: require('shared'),
  liba: require('liba'),
  libb: require('libb'),
  absolute: require('/opt/nodejs/node_modules/liba'),
  tool: execFileSync('tool', { encoding: 'utf8' }).trim(),
  writeOpt: attempt(() => fs.writeFileSync('/opt/data/conf.txt', 'x')),
});
`;

const LAYER_READER_PYTHON = `
import os
import mod_a
import mod_b
import shared_py
def handler(event, context):
    return {
        "cwd": os.getcwd(),
        "own": open("/var/task/own.txt").read(),
        "conf": open("/opt/data/conf.txt").read(),
        "modules": [mod_a.NAME, mod_b.NAME, shared_py.NAME],
        "file": mod_a.__file__,
    }
`;

/** A provided runtime that a layer brings (/opt/bootstrap): answers with what it sees. */
const LAYER_BOOTSTRAP = `#!/usr/bin/env node
const http = require('node:http');
const fs = require('node:fs');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true });
const next = () => new Promise((resolve, reject) => {
  http.get({ host, port, path: '/2018-06-01/runtime/invocation/next', agent }, (res) => {
    res.resume(); res.on('end', () => resolve(res.headers['lambda-runtime-aws-request-id']));
  }).on('error', reject);
});
const answer = (id, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method: 'POST', path: '/2018-06-01/runtime/invocation/' + id + '/response', agent }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(body);
});
(async () => { for (;;) { const id = await next(); await answer(id, JSON.stringify({
  self: process.argv[1], cwd: process.cwd(), root: process.env.LAMBDA_TASK_ROOT,
  own: fs.readFileSync('/var/task/own.txt', 'utf8'), conf: fs.readFileSync('/opt/data/conf.txt', 'utf8'),
})); } })();
`;

describe.skipIf(!usable)('sandboxed environments (bubblewrap)', () => {
  let p: TestPlatform;
  let c: LambdaClient;

  const invoke = async (name: string, payload: unknown): Promise<Record<string, unknown>> => {
    const out = await c.send(
      new InvokeCommand({
        FunctionName: name,
        Payload: Buffer.from(JSON.stringify(payload)),
        LogType: 'Tail',
      }),
    );
    const text = Buffer.from(out.Payload ?? new Uint8Array()).toString();
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString();
    expect(out.FunctionError, `${text}\n${log}`).toBeUndefined();
    return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString()) as Record<string, unknown>;
  };

  const create = (name: string, runtime: Runtime, handler: string, zip: Buffer) =>
    c.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Handler: handler,
        Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        Code: { ZipFile: zip },
      }),
    );

  beforeAll(async () => {
    p = await startPlatform({ sandbox: 'bubblewrap' });
    c = p.client;
    await create('prober', 'nodejs20.x', 'index.handler', await makeZip({ 'index.mjs': PROBER }));
    await create(
      'other',
      'nodejs20.x',
      'index.handler',
      await makeZip({
        'index.mjs': 'export const handler = async () => ({ root: process.env.LAMBDA_TASK_ROOT });',
      }),
    );
    await create('intruder', 'nodejs20.x', 'index.handler', await makeZip({ 'index.mjs': INTRUDER }));
    await create(
      'victim',
      'provided.al2023',
      'unused',
      await makeZip({ bootstrap: { data: VICTIM_BOOTSTRAP, mode: 0o755 } }),
    );
  });

  afterAll(async () => {
    await p.dispose();
  });

  it('layers are merged read-only at /opt in layer order, the code is at /var/task (Node.js, Python, provided)', async () => {
    const layer = async (name: string, files: Parameters<typeof makeZip>[0]) =>
      (
        await c.send(
          new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await makeZip(files) } }),
        )
      ).LayerVersionArn ?? '';
    const first = await layer('first', {
      'data/conf.txt': 'from first',
      'data/only-first.txt': '1',
      'nodejs/node_modules/liba/index.js': "module.exports = 'liba';",
      'nodejs/node_modules/shared/index.js': "module.exports = 'shared from first';",
      'python/mod_a.py': 'NAME = "mod_a"\n',
      'python/shared_py.py': 'NAME = "shared_py from first"\n',
      'bin/tool': { data: '#!/bin/sh\necho tool from first\n', mode: 0o755 },
    });
    const second = await layer('second', {
      'data/conf.txt': 'from second',
      'nodejs/node_modules/libb/index.js': "module.exports = 'libb';",
      'nodejs/node_modules/shared/index.js': "module.exports = 'shared from second';",
      'python/mod_b.py': 'NAME = "mod_b"\n',
      'python/shared_py.py': 'NAME = "shared_py from second"\n',
    });
    const runtime = await layer('runtime', { bootstrap: { data: LAYER_BOOTSTRAP, mode: 0o755 } });
    const fn = async (
      name: string,
      rt: Runtime,
      handler: string,
      files: Parameters<typeof makeZip>[0],
      layers: string[],
    ) =>
      c.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: rt,
          Handler: handler,
          Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
          Code: { ZipFile: await makeZip({ 'own.txt': `own of ${name}`, ...files }) },
          Layers: layers,
        }),
      );
    await fn('layers-node', 'nodejs20.x', 'index.handler', { 'index.js': LAYER_READER_NODE }, [
      first,
      second,
    ]);
    await fn('layers-python', 'python3.12', 'app.handler', { 'app.py': LAYER_READER_PYTHON }, [
      first,
      second,
    ]);
    await fn('layers-provided', 'provided.al2023', 'unused', {}, [first, second, runtime]);

    expect(await invoke('layers-node', {})).toEqual({
      cwd: '/var/task',
      own: 'own of layers-node',
      conf: 'from second',
      data: ['conf.txt', 'only-first.txt'],
      shared: 'shared from second',
      liba: 'liba',
      libb: 'libb',
      absolute: 'liba',
      tool: 'tool from first',
      writeOpt: 'error EROFS',
    });
    expect(await invoke('layers-python', {})).toEqual({
      cwd: '/var/task',
      own: 'own of layers-python',
      conf: 'from second',
      modules: ['mod_a', 'mod_b', 'shared_py from second'],
      file: '/opt/python/mod_a.py',
    });
    expect(await invoke('layers-provided', {})).toEqual({
      self: '/opt/bootstrap',
      cwd: '/var/task',
      root: '/var/task',
      own: 'own of layers-provided',
      conf: 'from second',
    });
  });

  it('a function sees its own code read-only at /var/task, a private /tmp, and nothing of hearth or other functions', async () => {
    const other = await invoke('other', {});
    expect(other.root).toBe('/var/task');
    // Every unpacked package on the host (the other function's code among them).
    const unpacked = path.join(p.dataDir, 'packages', 'unpacked');
    const hostCode = readdirSync(unpacked, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(unpacked, d.name));
    expect(hostCode.length).toBeGreaterThanOrEqual(1);
    const r = await invoke('prober', { dataDir: p.dataDir, otherCode: hostCode, hearthPid: process.pid });
    if (process.getuid?.() === 0) {
      // A uid of its own, not hearth's root.
      expect(r.uid).not.toBe(0);
    }
    // bwrap's init is PID 1, the runtime PID 2: nothing else exists for it.
    expect(r.pid).toBe(2);
    expect(r.shadow).toMatchObject({ ok: false, code: 'ENOENT' });
    // The data dir is at most the empty path to its own code: no database, no other code.
    expect(JSON.stringify(r.dataDir)).not.toContain('hearth.db');
    expect(r.database).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(r.otherCode).toEqual(hostCode.map(() => ({ ok: false, code: 'ENOENT' })));
    // Lambda's paths: the code at /var/task, also the cwd, readable by absolute path.
    expect(r.taskRoot).toBe('/var/task');
    expect(r.cwd).toBe('/var/task');
    expect(r.ownByAbsolutePath).toEqual({ ok: true, value: true });
    // `..` of its code holds its code and its function's code cache entries (read-only,
    // /var/hearth/code-cache: src/pool/code-cache-writer.ts), nothing of other functions.
    expect(r.up).toEqual({ ok: true, value: ['hearth', 'task'] });
    // A prepared /etc: what runtimes need, no shadow, no private keys.
    expect(r.etc).toContain('passwd');
    expect(r.etc).toContain('resolv.conf');
    expect(r.etc).not.toContain('shadow');
    expect(r.hearthEnviron).toMatchObject({ ok: false });
    expect(r.signalHearth).toMatchObject({ ok: false, code: 'ESRCH' });
    expect(r.procs).toEqual(['1', '2']);
    expect(r.writeCode).toMatchObject({ ok: false, code: 'EROFS' });
    expect(r.writeTmp).toMatchObject({ ok: true });
    // Nothing but /tmp is writable, as on Lambda.
    expect(r.writeRoot).toMatchObject({ ok: false, code: 'EROFS' });
    expect(r.writeOpt).toMatchObject({ ok: false, code: 'EROFS' });
    // hearth and its data dir are untouched: the next invoke works as before.
    expect((await invoke('other', {})).root).toBe(other.root);
  });

  it("another function can neither take an environment's /next nor answer in its place", async () => {
    const first = await invoke('victim', { n: 1 });
    const target = String(first.api);
    expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
    const r = await invoke('intruder', { target, requestId: first.requestId });
    expect(r.next).toMatch(/^refused /);
    expect(r.answer).toMatch(/^refused /);
    // The victim's own runtime still serves its invocations.
    const second = await invoke('victim', { n: 2 });
    expect(second.event).toEqual({ n: 2 });
    expect(second.api).toBe(target);
  });
});

/**
 * Issue 12 item 7 when hearth is not root: `hearth serve --sandbox bubblewrap` started as
 * an unprivileged user (nobody, when these tests run as root), so that every sandbox runs
 * as hearth's own uid. Another function, of the same uid, still can neither take an
 * environment's /next nor answer in its place: its Runtime API admits only connections
 * whose client socket a process of that environment's sandbox holds
 * (src/pool/launchers/socket-owner.ts).
 *
 * Needs Debian's `bubblewrap` and unprivileged user namespaces (bwrap builds one when not
 * root): skipped on a developer's machine without them, failed in CI (CI=true).
 */
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/pool/launch.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const NOBODY = 65_534;
const root = process.getuid?.() === 0;
const uid = root ? NOBODY : (process.getuid?.() ?? NOBODY);
const bwrap = findOnPath('bwrap', process.env.PATH ?? '');
/** bwrap as that user: it must build a user namespace of its own. */
const usable =
  bwrap !== undefined &&
  spawnSync(bwrap, ['--ro-bind', '/', '/', '--unshare-pid', '/bin/true'], root ? { uid, gid: uid } : {})
    .status === 0;
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

it('unprivileged bubblewrap works where CI runs', () => {
  if (inCi) {
    expect(usable, 'bwrap cannot build a user namespace as an unprivileged user').toBe(true);
  }
});

/** A provided runtime: answers each event with its Runtime API address and its uid. */
const VICTIM = `#!/usr/bin/env node
const http = require('node:http');
const api = process.env.AWS_LAMBDA_RUNTIME_API;
const [host, port] = api.split(':');
const agent = new http.Agent({ keepAlive: true });
const next = () => new Promise((resolve, reject) => {
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
(async () => { for (;;) { const inv = await next(); await post(inv.id, JSON.stringify({ api, uid: process.getuid(), requestId: inv.id, event: JSON.parse(inv.body) })); } })();
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
  uid: process.getuid(),
  next: await call(e.target, 'GET', '/2018-06-01/runtime/invocation/next'),
  answer: await call(e.target, 'POST', '/2018-06-01/runtime/invocation/' + e.requestId + '/response'),
});
`;

describe.skipIf(!usable)('hearth not root: sandboxes share its uid, Runtime APIs stay private', () => {
  let child: ChildProcess;
  let client: LambdaClient;
  let logs = '';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-unprivileged-'));

  beforeAll(async () => {
    if (root) {
      chownSync(dataDir, uid, uid);
    }
    child = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--sandbox', 'bubblewrap', '--log-level', 'info'],
      {
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(root ? { uid, gid: uid } : {}),
      },
    );
    let out = '';
    child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        logs += c.toString();
        const m = /hearth listening on (http:\/\/\S+)\n/.exec(out);
        if (m?.[1] !== undefined) {
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`hearth exited ${String(code)}: ${logs}`)));
    });
    client = new LambdaClient({
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const role = 'arn:aws:iam::123456789012:role/r';
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'victim',
        Runtime: 'provided.al2023',
        Handler: 'unused',
        Role: role,
        Code: { ZipFile: await makeZip({ bootstrap: { data: VICTIM, mode: 0o755 } }) },
      }),
    );
    await client.send(
      new CreateFunctionCommand({
        FunctionName: 'intruder',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: role,
        Code: { ZipFile: await makeZip({ 'index.mjs': INTRUDER }) },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const invoke = async (name: string, payload: unknown): Promise<Record<string, unknown>> => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(payload)) }),
    );
    const text = Buffer.from(out.Payload ?? new Uint8Array()).toString();
    expect(out.FunctionError, `${text}\n${logs}`).toBeUndefined();
    return JSON.parse(text) as Record<string, unknown>;
  };

  it("another function of the same uid can neither take an environment's /next nor answer in its place", async () => {
    expect(logs).toContain("environments are sandboxed (bubblewrap, hearth's uid");
    const first = await invoke('victim', { n: 1 });
    expect(first.uid).toBe(uid);
    const r = await invoke('intruder', { target: first.api, requestId: first.requestId });
    // The same uid as the victim: only the socket's owner tells them apart.
    expect(r.uid).toBe(uid);
    expect(r.next).toMatch(/^refused /);
    expect(r.answer).toMatch(/^refused /);
    const second = await invoke('victim', { n: 2 });
    expect(second.event).toEqual({ n: 2 });
    expect(second.api).toBe(first.api);
  });
});

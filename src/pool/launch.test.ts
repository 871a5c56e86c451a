import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../core/ports.js';
import { Interpreters } from './interpreters.js';
import { pathExistence } from './path-existence.js';
import { semiSpaceMb } from './runtimes/node.js';
import {
  defaultNodeRuntimeEntry,
  findOnPath,
  logStreamName,
  maxOldSpaceMb,
  planLaunch,
  type LaunchOptions,
} from './launch.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hearth-launch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts: LaunchOptions = {
  nodeRuntimeEntry: '/opt/hearth/runtimes/node/bootstrap.cjs',
  nodeChannel: 'private',
  nodeFlags: ['--v8-pool-size=1'],
  interpreters: new Interpreters({
    configured: {},
    path: '',
    hostNode: { command: process.execPath, version: 'v20.20.2' },
  }),
  runtimeCommands: {},
  credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
  path: '/usr/bin:/bin',
};

const spec: EnvironmentSpec = {
  key: 'k',
  accountId: '123456789012',
  region: 'eu-west-1',
  namespace: 'default',
  functionName: 'fn',
  version: '7',
  runtime: 'nodejs20.x',
  handler: 'src/app.handler',
  memoryMb: 256,
  timeoutSec: 3,
  environment: { MY_VAR: 'x', TZ: 'Europe/Paris', AWS_REGION: 'user-cannot-win' },
  codeDir: dir,
  logGroup: '/aws/lambda/fn',
};

describe('planLaunch', () => {
  it('node: bundled client, heap from MemorySize, clean Lambda environment (§5.5)', () => {
    const p = planLaunch(spec, 'provisioned-concurrency', opts, new Date('2026-11-22T10:00:00Z'));
    if (!p.ok) {
      throw new Error(p.detail);
    }
    expect(p.command).toBe(process.execPath);
    expect(p.args).toEqual([
      '--max-old-space-size=230',
      '--max-semi-space-size=1',
      '--v8-pool-size=1',
      opts.nodeRuntimeEntry,
    ]);
    expect(p.channel).toBe('private');
    expect(p.logStreamName).toMatch(/^2026\/11\/22\/\[7\][0-9a-f]{32}$/);
    expect(p.env).toEqual({
      PATH: '/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: 'Europe/Paris',
      MY_VAR: 'x',
      _HANDLER: 'src/app.handler',
      LAMBDA_TASK_ROOT: dir,
      LAMBDA_RUNTIME_DIR: '/opt/hearth/runtimes/node',
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_FUNCTION_VERSION: '7',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
      AWS_LAMBDA_LOG_STREAM_NAME: p.logStreamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_SESSION_TOKEN: 'ST',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    });
    // Nothing of the host's environment leaks in (performance-notes.md: NODE_EXTRA_CA_CERTS).
    expect(p.env).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    expect(p.env).not.toHaveProperty('HOME');
  });

  it('the bundled clients may run under SCHED_BATCH; a package bootstrap or an override may not', () => {
    const node = planLaunch(spec, 'on-demand', opts);
    expect(node.ok && node.batchScheduling).toBe(true);
    writeFileSync(path.join(dir, 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
    const provided = planLaunch({ ...spec, runtime: 'provided.al2023' }, 'on-demand', opts);
    expect(provided.ok && !provided.batchScheduling).toBe(true);
    const override = planLaunch(spec, 'on-demand', {
      ...opts,
      runtimeCommands: { 'nodejs20.x': { command: '/usr/bin/node', args: ['ric.mjs'] } },
    });
    expect(override.ok && !override.batchScheduling).toBe(true);
  });

  it('findOnPath: the first executable file of that name, skipping the rest', () => {
    const a = mkdtempSync(path.join(os.tmpdir(), 'hearth-path-a-'));
    const b = mkdtempSync(path.join(os.tmpdir(), 'hearth-path-b-'));
    try {
      writeFileSync(path.join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
      writeFileSync(path.join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
      expect(findOnPath('tool', ['', a, b].join(path.delimiter))).toBe(path.join(b, 'tool'));
      expect(findOnPath('tool', a)).toBeUndefined();
      expect(findOnPath('missing', [a, b].join(path.delimiter))).toBeUndefined();
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('provided: the package bootstrap over HTTP, without AWS_EXECUTION_ENV', () => {
    const bootstrap = path.join(dir, 'bootstrap');
    writeFileSync(bootstrap, '#!/bin/sh\n', { mode: 0o755 });
    const p = planLaunch({ ...spec, runtime: 'provided.al2023' }, 'on-demand', opts);
    expect(p.ok && p.command).toBe(bootstrap);
    expect(p.ok && p.channel).toBe('http');
    expect(p.ok && p.env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(p.ok && p.env.AWS_LAMBDA_INITIALIZATION_TYPE).toBe('on-demand');
  });

  it('provided: a bootstrap that cannot be executed is an entrypoint failure', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'hearth-launch-'));
    try {
      expect(planLaunch({ ...spec, runtime: 'provided', codeDir: other }, 'on-demand', opts)).toEqual({
        ok: false,
        detail: `fork/exec ${other}/bootstrap: no such file or directory`,
      });
      writeFileSync(path.join(other, 'bootstrap'), '#!/bin/sh\n', { mode: 0o644 });
      expect(planLaunch({ ...spec, runtime: 'provided.al2', codeDir: other }, 'on-demand', opts)).toEqual({
        ok: false,
        detail: `fork/exec ${other}/bootstrap: permission denied`,
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("an override's host paths are the arguments that exist, kept between launches (path-existence.ts)", async () => {
    const script = path.join(dir, 'override-ric.mjs');
    writeFileSync(script, '');
    const plan = () =>
      planLaunch(spec, 'on-demand', {
        ...opts,
        runtimeCommands: { 'nodejs20.x': { command: '/usr/bin/node', args: [script, '/no/such/file'] } },
      });
    const first = plan();
    expect(first.ok && first.hostPaths).toEqual(['/usr/bin/node', script]);
    rmSync(script);
    // Kept for the launch at hand (no stat per launch), re-checked in the background.
    const second = plan();
    expect(second.ok && second.hostPaths).toEqual(['/usr/bin/node', script]);
    await pathExistence.settled();
    const third = plan();
    expect(third.ok && third.hostPaths).toEqual(['/usr/bin/node']);
  });

  it('an override command runs instead, over HTTP', () => {
    const p = planLaunch(spec, 'on-demand', {
      ...opts,
      runtimeCommands: { 'nodejs20.x': { command: '/usr/bin/node', args: ['ric.mjs'] } },
    });
    expect(p.ok && [p.command, p.args, p.channel]).toEqual(['/usr/bin/node', ['ric.mjs'], 'http']);
  });

  it('an unknown runtime cannot start', () => {
    expect(planLaunch({ ...spec, runtime: 'ruby3.3' }, 'on-demand', opts).ok).toBe(false);
  });
});

describe('helpers', () => {
  it('maxOldSpaceMb', () => {
    expect(maxOldSpaceMb(128)).toBe(115);
    expect(maxOldSpaceMb(10240)).toBe(9216);
    expect(maxOldSpaceMb(8)).toBe(16);
  });

  it('semiSpaceMb: what node chooses in a memory cgroup of MemorySize', () => {
    expect([128, 512, 1024, 1536, 2048, 3008, 10240].map(semiSpaceMb)).toEqual([1, 1, 4, 8, 8, 16, 16]);
  });

  it('logStreamName', () => {
    expect(logStreamName('$LATEST', new Date('2024-10-06T00:00:00Z'))).toMatch(
      /^2024\/10\/06\/\[\$LATEST\][0-9a-f]{32}$/,
    );
  });

  it('the bundled client is found from the source tree', () => {
    expect(defaultNodeRuntimeEntry()).toMatch(/src\/runtimes\/node\/bootstrap\.cjs$/);
  });
});

describe('layers (what Lambda puts under /opt)', () => {
  const layer = (name: string, files: readonly string[]): string => {
    const root = path.join(dir, 'layers', name);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), '#!/bin/sh\n', { mode: 0o755 });
    }
    mkdirSync(root, { recursive: true });
    return root;
  };
  const a = layer('a', [
    'python/a.py',
    'python/lib/python3.12/site-packages/s.py',
    'nodejs/node_modules/m/index.js',
    'bin/tool',
    'lib/liba.so',
    'bootstrap',
  ]);
  const b = layer('b', ['python/b.py', 'nodejs/node20/node_modules/m/index.js', 'bin/tool', 'bootstrap']);
  const empty = layer('empty', []);
  const withLayers = { ...spec, layerDirs: [a, b, empty] };
  const python = new Interpreters({
    configured: { 'python3.12': '/usr/bin/python3' },
    path: '',
    hostNode: { command: process.execPath, version: 'v20.20.2' },
    probe: () => ({ version: '3.12.4' }),
  });

  it('no layers: nothing added', () => {
    const p = planLaunch(spec, 'on-demand', opts);
    expect(p.ok && [p.env.NODE_PATH, p.env.LD_LIBRARY_PATH, p.env.PATH]).toEqual([
      undefined,
      undefined,
      '/usr/bin:/bin',
    ]);
  });

  it('every runtime: the layers’ bin last on PATH and lib on LD_LIBRARY_PATH, a later layer first', () => {
    const p = planLaunch(withLayers, 'on-demand', opts);
    expect(p.ok && p.env.PATH).toBe(`/usr/bin:/bin:${b}/bin:${a}/bin`);
    expect(p.ok && p.env.LD_LIBRARY_PATH).toBe(`${a}/lib`);
  });

  it('node: NODE_PATH with nodejs/node<major>/node_modules and nodejs/node_modules, a later layer first', () => {
    const p = planLaunch(withLayers, 'on-demand', opts);
    expect(p.ok && p.env.NODE_PATH).toBe(`${b}/nodejs/node20/node_modules:${a}/nodejs/node_modules`);
    const own = planLaunch({ ...withLayers, environment: { NODE_PATH: '/mine' } }, 'on-demand', opts);
    expect(own.ok && own.env.NODE_PATH).toBe(
      `${b}/nodejs/node20/node_modules:${a}/nodejs/node_modules:/mine`,
    );
  });

  it('python: site-packages of the runtime’s version, then python/, a later layer first', () => {
    const p = planLaunch({ ...withLayers, runtime: 'python3.12' }, 'on-demand', {
      ...opts,
      interpreters: python,
    });
    expect(p.ok && p.env.HEARTH_PYTHON_PATHS).toBe(
      `${b}/python:${a}/python/lib/python3.12/site-packages:${a}/python`,
    );
  });

  it('provided: the package’s bootstrap first, else the last layer’s', () => {
    const fromLayer = planLaunch(
      { ...withLayers, runtime: 'provided.al2023', codeDir: empty },
      'on-demand',
      opts,
    );
    expect(fromLayer.ok && fromLayer.command).toBe(path.join(b, 'bootstrap'));
    const own = layer('own', ['bootstrap']);
    const fromCode = planLaunch(
      { ...withLayers, runtime: 'provided.al2023', codeDir: own },
      'on-demand',
      opts,
    );
    expect(fromCode.ok && fromCode.command).toBe(path.join(own, 'bootstrap'));
  });

  describe("in a sandbox's Lambda file system (code at /var/task, layers merged at /opt)", () => {
    const lambda = { ...opts, fileView: 'lambda' as const };

    it('LAMBDA_TASK_ROOT is /var/task; PATH and LD_LIBRARY_PATH name /opt/bin and /opt/lib', () => {
      const p = planLaunch(withLayers, 'on-demand', lambda);
      expect(p.ok && p.env.LAMBDA_TASK_ROOT).toBe('/var/task');
      expect(p.ok && p.env.PATH).toBe('/usr/bin:/bin:/opt/bin');
      expect(p.ok && p.env.LD_LIBRARY_PATH).toBe('/opt/lib');
      // The host files the sandbox must show: the interpreter and the bundled client.
      expect(p.ok && p.hostPaths).toEqual([process.execPath, opts.nodeRuntimeEntry]);
    });

    it('node and python search /opt as on Lambda, only where a layer has the folder', () => {
      const node = planLaunch(withLayers, 'on-demand', lambda);
      expect(node.ok && node.env.NODE_PATH).toBe('/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules');
      const py = planLaunch({ ...withLayers, runtime: 'python3.12' }, 'on-demand', {
        ...lambda,
        interpreters: python,
      });
      expect(py.ok && py.env.HEARTH_PYTHON_PATHS).toBe(
        '/opt/python/lib/python3.12/site-packages:/opt/python',
      );
    });

    it('provided: /var/task/bootstrap, else /opt/bootstrap; nothing of the host to show', () => {
      const own = layer('own2', ['bootstrap']);
      const fromCode = planLaunch(
        { ...withLayers, runtime: 'provided.al2023', codeDir: own },
        'on-demand',
        lambda,
      );
      expect(fromCode.ok && [fromCode.command, fromCode.hostPaths]).toEqual(['/var/task/bootstrap', []]);
      const fromLayer = planLaunch(
        { ...withLayers, runtime: 'provided.al2023', codeDir: empty },
        'on-demand',
        lambda,
      );
      expect(fromLayer.ok && fromLayer.command).toBe('/opt/bootstrap');
      const none = planLaunch({ ...spec, runtime: 'provided.al2023', codeDir: empty }, 'on-demand', lambda);
      expect(none).toEqual({ ok: false, detail: 'fork/exec /var/task/bootstrap: no such file or directory' });
    });
  });
});

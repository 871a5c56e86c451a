import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Interpreters, hasInThreadModuleHooks, mismatchWarning } from './interpreters.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hearth-interpreters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake interpreter that reports `version` for --version. */
function fake(name: string, version: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho ${version}\n`);
  chmodSync(file, 0o755);
  return file;
}

const host = { command: '/usr/bin/node-host', version: 'v20.20.2' };

describe('Interpreters.node', () => {
  it('runs a runtime on the host when the major versions match', () => {
    const i = new Interpreters({ configured: {}, path: '', hostNode: host }).node('nodejs20.x');
    expect(i).toMatchObject({ command: host.command, version: 'v20.20.2', source: 'host', matches: true });
    expect(i?.versionName).toBe('nodejs:20.v20.20.2');
    expect(i?.versionDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds node<major> on the PATH and checks its version', () => {
    const node22 = fake('node22', 'v22.11.0');
    fake('nodejs18', 'v16.0.0'); // named 18, is 16: not taken
    const i = new Interpreters({ configured: {}, path: dir, hostNode: host });
    expect(i.node('nodejs22.x')).toMatchObject({
      command: node22,
      version: 'v22.11.0',
      source: 'path',
      matches: true,
    });
    expect(i.node('nodejs18.x')).toMatchObject({ command: host.command, source: 'host', matches: false });
  });

  it('prefers a configured command, and refuses one that cannot run', () => {
    const mine = fake('my-node', 'v22.1.0');
    const ok = new Interpreters({ configured: { 'nodejs22.x': mine }, path: '', hostNode: host });
    ok.verifyConfigured();
    expect(ok.node('nodejs22.x')).toMatchObject({ command: mine, source: 'configured', matches: true });
    const broken = new Interpreters({
      configured: { 'nodejs22.x': path.join(dir, 'missing') },
      path: '',
      hostNode: host,
    });
    expect(() => broken.verifyConfigured()).toThrow(/nodejs22\.x → .*missing cannot be run/);
  });

  it('falls back to the host, marked as a mismatch, with a warning that says what to do', () => {
    const i = new Interpreters({ configured: {}, path: '', hostNode: host }).node('nodejs22.x');
    expect(i).toMatchObject({ command: host.command, matches: false, versionName: 'nodejs:22.v20.20.2' });
    expect(mismatchWarning('nodejs22.x', i!)).toBe(
      "nodejs22.x runs on the host's Node.js v20.20.2: no Node.js 22 was configured " +
        '(HEARTH_RUNTIME_INTERPRETERS / --runtime-interpreters) or found on the PATH as node22 or nodejs22',
    );
  });

  it('digests differ by runtime and by interpreter, and stay the same otherwise', () => {
    const a = new Interpreters({ configured: {}, path: '', hostNode: host });
    const b = new Interpreters({ configured: {}, path: '', hostNode: { ...host, version: 'v20.20.3' } });
    expect(a.node('nodejs20.x')?.versionDigest).toBe(
      new Interpreters({ configured: {}, path: '', hostNode: host }).node('nodejs20.x')?.versionDigest,
    );
    expect(a.node('nodejs20.x')?.versionDigest).not.toBe(b.node('nodejs20.x')?.versionDigest);
    expect(a.node('nodejs20.x')?.versionDigest).not.toBe(a.node('nodejs22.x')?.versionDigest);
    expect(a.node('provided.al2023')).toBeUndefined();
  });
});

describe('hasInThreadModuleHooks', () => {
  it.each([
    ['v20.20.2', false],
    ['v22.14.0', false],
    ['v22.15.0', true],
    ['v23.4.1', false],
    ['v23.5.0', true],
    ['v24.0.0', true],
  ])('%s → %s', (version, expected) => {
    expect(hasInThreadModuleHooks(version)).toBe(expected);
  });
});

describe('Interpreters.of (Python)', () => {
  const probed: string[] = [];
  const fakeProbe =
    (versions: Record<string, { version: string; executable?: string }>) =>
    (family: string, command: string) => {
      probed.push(`${family}:${path.basename(command)}`);
      const found = versions[path.basename(command)];
      if (found === undefined) {
        throw new Error('not python');
      }
      return found;
    };

  it('runs on the host python3 when its version matches, resolving a shim to the interpreter', () => {
    fake('python3', '3.12.4');
    const i = new Interpreters({
      configured: {},
      path: dir,
      hostNode: host,
      probe: fakeProbe({ python3: { version: '3.12.4', executable: '/opt/py/bin/python3.12' } }),
    }).of('python3.12');
    expect(i).toMatchObject({
      command: '/opt/py/bin/python3.12',
      version: '3.12.4',
      source: 'host',
      matches: true,
    });
    expect(i?.versionName).toBe('python:3.12.v3.12.4');
  });

  it('prefers python3.X on the PATH over a host of another version, and probes the host once', () => {
    fake('python3', '3.11.7');
    fake('python3.13', '3.13.1');
    probed.length = 0;
    const interpreters = new Interpreters({
      configured: {},
      path: dir,
      hostNode: host,
      probe: fakeProbe({ python3: { version: '3.11.7' }, 'python3.13': { version: '3.13.1' } }),
    });
    expect(interpreters.of('python3.13')).toMatchObject({
      command: path.join(dir, 'python3.13'),
      source: 'path',
    });
    const py39 = interpreters.of('python3.9');
    expect(py39).toMatchObject({ version: '3.11.7', source: 'host', matches: false });
    expect(mismatchWarning('python3.9', py39!)).toBe(
      "python3.9 runs on the host's Python 3.11.7: no Python 3.9 was configured " +
        '(HEARTH_RUNTIME_INTERPRETERS / --runtime-interpreters) or found on the PATH as python3.9',
    );
    expect(probed.filter((p) => p === 'python:python3')).toHaveLength(1);
  });
});

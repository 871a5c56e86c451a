import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareSandboxEtc, sandboxNsswitch, sweepSandboxEtc } from './sandbox-etc.js';

const root = mkdtempSync(path.join(tmpdir(), 'hearth-etc-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sandboxNsswitch', () => {
  it('users and groups from files only; other databases as the host has them', () => {
    const host = [
      '# comment',
      'passwd:         files systemd',
      'group:          files systemd',
      'shadow:         files systemd',
      'hosts:          files mdns4_minimal [NOTFOUND=return] dns',
      '',
    ].join('\n');
    expect(sandboxNsswitch(host)).toBe(
      'passwd: files\ngroup: files\nhosts:          files mdns4_minimal [NOTFOUND=return] dns\n',
    );
    expect(sandboxNsswitch(undefined)).toBe('passwd: files\ngroup: files\n');
  });
});

describe('prepareSandboxEtc', () => {
  const etc = path.join(root, 'etc');
  mkdirSync(path.join(etc, 'ssl', 'certs'), { recursive: true });
  mkdirSync(path.join(etc, 'ssl', 'private'), { recursive: true });
  writeFileSync(path.join(etc, 'ssl', 'private', 'key.pem'), 'secret');
  symlinkSync('/usr/share/ca-certificates/x.crt', path.join(etc, 'ssl', 'certs', 'x.pem'));
  writeFileSync(path.join(etc, 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(path.join(etc, 'shadow'), 'root:$6$secret:::::::\n');
  writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 10.0.0.1\n');
  writeFileSync(path.join(etc, 'nsswitch.conf'), 'passwd: files systemd\nhosts: files dns\n');

  it('copies what runtimes need, keeps out shadow and private keys, leaves live files to binds', () => {
    const prepared = prepareSandboxEtc(root);
    try {
      const at = (p: string) => path.join(prepared.dir, p);
      expect(statSync(prepared.dir).mode & 0o777).toBe(0o755);
      expect(readFileSync(at('passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
      expect(existsSync(at('shadow'))).toBe(false);
      expect(existsSync(at('ssl/private'))).toBe(false);
      // Symlinks into /usr stay symlinks (the sandbox has /usr).
      expect(readFileSync(at('nsswitch.conf'), 'utf8')).toBe(
        'passwd: files\ngroup: files\nhosts: files dns\n',
      );
      expect(prepared.live).toEqual([[path.join(etc, 'resolv.conf'), '/etc/resolv.conf']]);
      // A placeholder to bind the live file over.
      expect(readFileSync(at('resolv.conf'), 'utf8')).toBe('');
    } finally {
      prepared.dispose();
    }
    expect(existsSync(prepared.dir)).toBe(false);
  });
});

describe('sweepSandboxEtc', () => {
  it("removes the directories of hearths that are gone, keeps the living ones'", async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'hearth-etc-sweep-'));
    try {
      // A pid that existed and is gone: a child that has exited and been reaped.
      const child = spawn(process.execPath, ['-e', '0']);
      await once(child, 'exit');
      const gone = path.join(tmp, `hearth-sandbox-etc-${child.pid ?? 0}-abc`);
      const living = path.join(tmp, `hearth-sandbox-etc-${process.ppid}-def`);
      const other = path.join(tmp, 'unrelated-1-x');
      for (const d of [gone, living, other]) {
        mkdirSync(d);
      }
      sweepSandboxEtc(tmp);
      expect([existsSync(gone), existsSync(living), existsSync(other)]).toEqual([false, true, true]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { connectionUid, exitOfBwrap, sandboxCommandLine } from './sandbox-launcher.js';

const merged = (p: string): 'dir' | 'file' | { link: string } | undefined =>
  ({
    '/bin': { link: 'usr/bin' },
    '/lib': { link: 'usr/lib' },
    '/lib64': { link: 'usr/lib64' },
    '/etc/ssl': 'dir',
    '/etc/resolv.conf': 'file',
    '/srv/hearth/runtimes/node/bootstrap.cjs': 'file',
  })[p] as 'dir' | 'file' | { link: string } | undefined;

const base = {
  bwrap: '/usr/bin/bwrap',
  setpriv: '/usr/bin/setpriv',
  chrt: '/usr/bin/chrt',
  uid: 200_007,
  blockFds: true,
  probe: merged,
  realpath: (p: string) => p,
};

describe('sandboxCommandLine', () => {
  const req = {
    command: '/opt/node22/bin/node',
    args: ['--v8-pool-size=1', '/srv/hearth/runtimes/node/bootstrap.cjs'],
    cwd: '/var/lib/hearth/packages/unpacked/abc',
    batchScheduling: true,
    tmpSizeMb: 1024,
  };
  const { command, args } = sandboxCommandLine(req, base);
  const joined = args.join(' ');

  it('runs bwrap with new PID, IPC and UTS namespaces, dying with hearth', () => {
    expect(command).toBe('/usr/bin/bwrap');
    for (const flag of [
      '--die-with-parent',
      '--new-session',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args).not.toContain('--share-net');
    expect(args).not.toContain('--unshare-net');
  });

  it('shows /usr, the merged-usr links and listed /etc entries only', () => {
    expect(joined).toContain('--ro-bind /usr /usr');
    expect(joined).toContain('--symlink usr/bin /bin');
    expect(joined).toContain('--ro-bind /etc/ssl /etc/ssl');
    expect(joined).toContain('--ro-bind /etc/resolv.conf /etc/resolv.conf');
    expect(joined).not.toContain('/etc/shadow');
    expect(joined).not.toContain('--ro-bind /etc /etc');
  });

  it('a private /tmp of EphemeralStorage, the code and the runtime read-only, parents traversable', () => {
    expect(joined).toContain(`--perms 1777 --size ${1024 * 1024 * 1024} --tmpfs /tmp`);
    expect(joined).toContain(`--ro-bind ${req.cwd} ${req.cwd}`);
    expect(joined).toContain('--ro-bind /opt/node22 /opt/node22');
    expect(joined).toContain('--ro-bind /srv/hearth/runtimes/node /srv/hearth/runtimes/node');
    expect(joined).toContain('--perms 0755 --dir /var/lib/hearth/packages/unpacked');
    expect(joined).not.toContain('--ro-bind /var/lib/hearth /var/lib/hearth');
    expect(joined).not.toMatch(/--bind /);
  });

  it('drops to the uid with no capabilities, then SCHED_BATCH, then the command', () => {
    const at = args.indexOf('/usr/bin/setpriv');
    expect(args.slice(at)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=200007',
      '--regid=200007',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      '/usr/bin/chrt',
      '--batch',
      '0',
      req.command,
      ...req.args,
    ]);
  });

  it("without setpriv (hearth not root) the command runs as hearth's uid, no capability added", () => {
    const r = sandboxCommandLine(
      { ...req, batchScheduling: false },
      { ...base, setpriv: undefined, uid: undefined },
    );
    expect(r.args).not.toContain('--cap-add');
    expect(r.args.slice(-3)).toEqual([req.command, ...req.args]);
  });
});

describe('connectionUid', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0100007F:D431 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 200007        0 2 1',
    '   2: 0100007F:9C40 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
  ].join('\n');

  it("is the owner of the client's end", () => {
    expect(connectionUid(table, 0x9c40, 0xd431)).toBe(200_007);
    expect(connectionUid(table, 0x9c40, 0x1234)).toBeUndefined();
  });
});

describe('exitOfBwrap', () => {
  it('gives back the signal bwrap reports as 128+N', () => {
    expect(exitOfBwrap(137, null)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitOfBwrap(139, null)).toEqual({ code: null, signal: 'SIGSEGV' });
    expect(exitOfBwrap(7, null)).toEqual({ code: 7, signal: null });
    expect(exitOfBwrap(null, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

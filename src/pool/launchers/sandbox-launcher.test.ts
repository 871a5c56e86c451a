import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../launch.js';
import { sandboxCommandLine } from './sandbox-command-line.js';
import { exitOfBwrap, openSandboxLauncher } from './sandbox-launcher.js';
import { optMounts, type TreeEntry } from './sandbox-opt.js';
import { bubblewrapUsable } from '../../../test/helpers/bubblewrap.js';

const usable = bubblewrapUsable();

const merged = (p: string): 'dir' | 'file' | { link: string } | undefined =>
  ({
    '/bin': { link: 'usr/bin' },
    '/lib': { link: 'usr/lib' },
    '/lib64': { link: 'usr/lib64' },
    '/srv/hearth/runtimes/node/bootstrap.cjs': 'file',
    '/opt/node22/bin/node': 'file',
  })[p] as 'dir' | 'file' | { link: string } | undefined;

const base = {
  bwrap: '/usr/bin/bwrap',
  setpriv: '/usr/bin/setpriv',
  chrt: '/usr/bin/chrt',
  uid: 200_007,
  blockFds: true,
  etc: { dir: '/tmp/hearth-sandbox-etc-1', live: [['/etc/resolv.conf', '/etc/resolv.conf']] as const },
  probe: merged,
  realpath: (p: string) => p,
  opt: (layers: readonly string[], extra: readonly string[]) =>
    optMounts(layers, () => new Map<string, TreeEntry>(), extra),
};

describe('sandboxCommandLine', () => {
  const req = {
    command: '/opt/node22/bin/node',
    args: ['--v8-pool-size=1', '/srv/hearth/runtimes/node/bootstrap.cjs'],
    cwd: '/var/lib/hearth/packages/unpacked/abc',
    hostPaths: ['/opt/node22/bin/node', '/srv/hearth/runtimes/node/bootstrap.cjs'],
    layerDirs: ['/var/lib/hearth/packages/unpacked/layer1'],
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

  it("shows /usr, the merged-usr links and the prepared /etc, the host's live files over it", () => {
    expect(joined).toContain('--ro-bind /usr /usr');
    expect(joined).toContain('--symlink usr/bin /bin');
    expect(joined).toContain(
      '--ro-bind /tmp/hearth-sandbox-etc-1 /etc --ro-bind /etc/resolv.conf /etc/resolv.conf',
    );
    expect(joined).not.toContain('--ro-bind /etc /etc');
  });

  it('a private /tmp of EphemeralStorage, the code and the runtime read-only, parents traversable', () => {
    expect(joined).toContain(`--perms 1777 --size ${1024 * 1024 * 1024} --tmpfs /tmp`);
    expect(joined).toContain(`--perms 0755 --dir /var --ro-bind ${req.cwd} /var/task`);
    expect(joined).toContain('--ro-bind /srv/hearth/runtimes/node /srv/hearth/runtimes/node');
    expect(joined).not.toContain('/var/lib/hearth/packages/unpacked/abc /var/lib');
    expect(joined).not.toContain('--ro-bind /var/lib/hearth /var/lib/hearth');
    expect(joined).not.toMatch(/--bind /);
    // Read-only everywhere but /tmp; the command starts in /var/task.
    expect(joined).toContain('--remount-ro / --chdir /var/task');
  });

  it("an interpreter in the host's /opt joins the layers' /opt at its own path", () => {
    expect(joined).toContain('--perms 0755 --tmpfs /opt --ro-bind /opt/node22 /opt/node22 --remount-ro /opt');
  });

  it('one layer, no host path under /opt: the layer is /opt', () => {
    const r = sandboxCommandLine(
      { ...req, hostPaths: ['/srv/hearth/runtimes/node/bootstrap.cjs'] },
      base,
    ).args.join(' ');
    expect(r).toContain('--ro-bind /var/lib/hearth/packages/unpacked/layer1 /opt');
    expect(r).not.toContain('--tmpfs /opt');
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

describe('exitOfBwrap', () => {
  it('gives back the signal bwrap reports as 128+N', () => {
    expect(exitOfBwrap(137, null)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exitOfBwrap(139, null)).toEqual({ code: null, signal: 'SIGSEGV' });
    expect(exitOfBwrap(7, null)).toEqual({ code: 7, signal: null });
    expect(exitOfBwrap(null, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe.skipIf(!usable)('SandboxLauncher.ownsConnection (real bubblewrap)', () => {
  it("admits the sandbox's connections, a later child's too, and no one else's", async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const connections: net.Socket[] = [];
    const two = new Promise<void>((resolve) =>
      server.on('connection', (s: net.Socket) => {
        connections.push(s);
        if (connections.length === 2) {
          resolve();
        }
      }),
    );
    const code = mkdtempSync(path.join(tmpdir(), 'hearth-sandbox-owner-'));
    const launcher = openSandboxLauncher({
      setting: 'bubblewrap',
      bwrap: findOnPath('bwrap', process.env.PATH ?? ''),
      setpriv: undefined,
      chrt: undefined,
      cgroups: undefined,
      log: { warn: () => undefined, info: () => undefined },
    });
    if (launcher === undefined) {
      throw new Error('bubblewrap is usable but the launcher did not open');
    }
    const connect = `require('net').connect(${port}, '127.0.0.1')`;
    // The runtime connects, then starts a child that connects (a process the tree did not
    // have at the first connection).
    const script = `${connect}; setTimeout(() => require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(
      `${connect}; setInterval(() => {}, 1e6)`,
    )}], { stdio: 'ignore' }), 200); setInterval(() => {}, 1e6);`;
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    const proc = await launcher.launch(
      {
        id: 1,
        command: process.execPath,
        args: ['-e', script],
        env: { PATH: '/usr/bin:/bin' },
        cwd: code,
        hostPaths: [process.execPath],
        layerDirs: [],
        privateChannel: false,
        memoryMb: 128,
        batchScheduling: false,
      },
      { onOutput: () => undefined, onSpawnError: () => undefined, onClose: () => closed() },
    );
    let outsider: net.Socket | undefined;
    try {
      await two;
      outsider = net.connect(port, '127.0.0.1');
      const outsiderConnected = once(outsider, 'connect');
      const owns = proc.ownsConnection?.bind(proc);
      expect(owns).toBeDefined();
      const [first, second] = connections;
      expect(await owns?.(port, first?.remotePort ?? 0)).toBe(true);
      expect(await owns?.(port, second?.remotePort ?? 0)).toBe(true);
      await outsiderConnected;
      expect(await owns?.(port, outsider.localPort ?? 0)).toBe(false);
      expect(await owns?.(port, 1)).toBe(false);
    } finally {
      outsider?.destroy();
      proc.kill();
      await gone;
      for (const s of connections) {
        s.destroy();
      }
      server.close();
      await launcher.dispose();
      rmSync(code, { recursive: true, force: true });
    }
  });
});

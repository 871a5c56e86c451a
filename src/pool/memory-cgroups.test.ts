import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryCgroups } from './memory-cgroups.js';

/** A directory tree shaped like /proc/self and a cgroup mount. */
function fakeRoot(opts: { v1?: boolean; v2Memory?: boolean }): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hearth-cgroup-'));
  mkdirSync(path.join(root, 'proc/self'), { recursive: true });
  const mounts = [
    '25 1 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    ...(opts.v1 === true ? ['30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory'] : []),
    '33 25 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ];
  writeFileSync(path.join(root, 'proc/self/mountinfo'), `${mounts.join('\n')}\n`);
  writeFileSync(
    path.join(root, 'proc/self/cgroup'),
    `${opts.v1 === true ? '4:memory:/box\n' : ''}1:cpu:/\n0::/svc\n`,
  );
  mkdirSync(path.join(root, 'sys/fs/cgroup/memory/box'), { recursive: true });
  mkdirSync(path.join(root, 'sys/fs/cgroup/unified/svc'), { recursive: true });
  writeFileSync(
    path.join(root, 'sys/fs/cgroup/unified/cgroup.controllers'),
    opts.v2Memory === true ? 'cpu io memory pids\n' : 'cpu pids\n',
  );
  return root;
}

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) {
    rmSync(r, { recursive: true, force: true });
  }
});

describe('openMemoryCgroups', () => {
  it('cgroup v1: one cgroup per environment under hearth-<pid>-<n>, limit and process written', async () => {
    const root = fakeRoot({ v1: true });
    roots.push(root);
    const cg = openMemoryCgroups({ root, pid: 4242 });
    expect(cg?.version).toBe(1);
    expect(cg?.base).toMatch(/sys\/fs\/cgroup\/memory\/box\/hearth-4242-\d+$/);
    const env = cg?.place(7, 999, 256);
    expect(env).toBeDefined();
    expect(await env?.placed).toBe(true);
    const dir = path.join(cg?.base ?? '', 'env-7');
    expect(readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8')).toBe(String(256 * 1024 * 1024));
    expect(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')).toBe('999');
    expect(env?.oomKilled()).toBe(false);
    writeFileSync(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    expect(env?.oomKilled()).toBe(true);
  });

  it('kills what is left in the cgroup before removing it', async () => {
    const root = fakeRoot({ v1: true });
    roots.push(root);
    const killed: number[] = [];
    const cg = openMemoryCgroups({ root, pid: 1, kill: (p) => killed.push(p) });
    const env = cg?.place(1, 50, 128);
    await env?.placed;
    const dir = path.join(cg?.base ?? '', 'env-1');
    writeFileSync(path.join(dir, 'cgroup.procs'), '50\n51\n');
    env?.killAll();
    expect(killed).toEqual([50, 51]);
    // A real cgroup directory holds only kernel files; the fake one must be emptied first.
    rmSync(path.join(dir, 'cgroup.procs'));
    rmSync(path.join(dir, 'memory.limit_in_bytes'));
    await env?.remove();
    expect(existsSync(dir)).toBe(false);
  });

  it('cgroup v2: not used when hearth’s cgroup does not delegate memory, with the reason', () => {
    const root = fakeRoot({ v2Memory: true });
    roots.push(root);
    let reason = '';
    expect(openMemoryCgroups({ root, pid: 9, onUnavailable: (r) => (reason = r) })).toBeUndefined();
    expect(reason).toMatch(/svc does not delegate the memory controller/);
  });

  it('cgroup v2: used when hearth’s cgroup delegates the memory controller', async () => {
    const root = fakeRoot({ v2Memory: true });
    roots.push(root);
    writeFileSync(path.join(root, 'sys/fs/cgroup/unified/svc/cgroup.subtree_control'), 'cpu memory\n');
    const cg = openMemoryCgroups({ root, pid: 9 });
    expect(cg?.version).toBe(2);
    expect(readFileSync(path.join(cg?.base ?? '', 'cgroup.subtree_control'), 'utf8')).toBe('+memory');
    expect(await cg?.place(3, 77, 512).placed).toBe(true);
    expect(readFileSync(path.join(cg?.base ?? '', 'env-3/memory.max'), 'utf8')).toBe(
      String(512 * 1024 * 1024),
    );
  });

  it('`placed` tells when the process is in; a failure is told, and the environment runs on', async () => {
    const root = fakeRoot({ v1: true });
    roots.push(root);
    const errors: string[] = [];
    const cg = openMemoryCgroups({ root, pid: 5, onError: (m) => errors.push(m) });
    const env = cg?.place(2, 60, 128);
    const dir = path.join(cg?.base ?? '', 'env-2');
    expect(await env?.placed).toBe(true);
    expect(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')).toBe('60');
    // hearth's directory gone (say, removed by hand): not placed, and it says why.
    rmSync(cg?.base ?? '', { recursive: true });
    const again = cg?.place(3, 61, 128);
    expect(await again?.placed).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/^environment 3 runs without a memory cgroup: .*ENOENT/)]);
    expect(again?.oomKilled()).toBe(false);
    again?.killAll();
    await again?.remove();
  });

  it('is unavailable, with a reason, when no memory controller is mounted', () => {
    const root = fakeRoot({});
    roots.push(root);
    let reason = '';
    expect(openMemoryCgroups({ root, onUnavailable: (r) => (reason = r) })).toBeUndefined();
    expect(reason).toBe('no memory cgroup controller is mounted');
  });

  it('sweeps the cgroups of a hearth that is gone, and only those', () => {
    const root = fakeRoot({ v1: true });
    roots.push(root);
    const box = path.join(root, 'sys/fs/cgroup/memory/box');
    mkdirSync(path.join(box, 'hearth-100-1/env-4'), { recursive: true });
    mkdirSync(path.join(box, 'hearth-200-1/env-5'), { recursive: true });
    const killed: number[] = [];
    writeFileSync(path.join(box, 'hearth-100-1/env-4/cgroup.procs'), '555\n');
    openMemoryCgroups({ root, pid: 300, alive: (p) => p === 200, kill: (p) => killed.push(p) });
    expect(killed).toEqual([555]);
    expect(existsSync(path.join(box, 'hearth-200-1/env-5'))).toBe(true);
  });
});

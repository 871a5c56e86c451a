/**
 * MemorySize as a limit on the whole environment (memory-cgroups.ts): where the machine
 * allows a memory cgroup, memory outside the V8 heap counts too, and going over it is
 * Lambda's out-of-memory kill. Skipped, with the reason, where no cgroup can be created.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthPool } from '../../src/pool/index.js';
import { openMemoryCgroups, type MemoryCgroups } from '../../src/pool/memory-cgroups.js';
import { json, makeRequest, makeSpec, pidOf, testPool } from './pool-helpers.js';

/** The directory of a process's memory cgroup (v1 memory hierarchy, else v2). */
function cgroupDirOf(pid: number): string {
  const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const v1 = own.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  if (v1 !== undefined) {
    const mount = mounts.find((l) => / - cgroup /.test(l) && /[ ,]memory(,|$)/.test(l))?.split(' ')[4];
    return `${mount ?? ''}${v1.split(':')[2] ?? ''}`;
  }
  const mount = mounts.find((l) => / - cgroup2 /.test(l))?.split(' ')[4];
  return `${mount ?? ''}${own.find((l) => l.startsWith('0::'))?.slice(3) ?? ''}`;
}

// Probe once with the real machine: the pool makes the same decision.
let unavailable: string | undefined = process.platform === 'linux' ? undefined : 'not Linux';
if (unavailable === undefined) {
  const probe = openMemoryCgroups({ onUnavailable: (r) => (unavailable = r) });
  await probe?.dispose();
}

describe.skipIf(unavailable !== undefined)(`memory cgroups (${unavailable ?? 'available'})`, () => {
  const lines: string[] = [];
  let pool: HearthPool;
  beforeAll(() => {
    pool = testPool({ onFunctionLog: (e) => lines.push(e.text) });
  });
  afterAll(() => pool.dispose());

  it('runs each environment in its own cgroup limited to MemorySize', async () => {
    const spec = makeSpec('memory-hog', { memoryMb: 160 });
    const o = await pool.invoke(makeRequest(spec, { event: { mb: 8 } }));
    expect(o.kind).toBe('success');
    const pid = pidOf(pool, spec);
    expect(pid).toBeGreaterThan(0);
    const dir = cgroupDirOf(pid);
    expect(dir).toMatch(/hearth-\d+-\d+\/env-\d+$/);
    const limit = ['memory.max', 'memory.limit_in_bytes']
      .map((f) => `${dir}/${f}`)
      .find((f) => existsSync(f));
    expect(Number(readFileSync(limit ?? '', 'utf8'))).toBe(160 * 1024 * 1024);
  });

  it('memory outside the V8 heap over MemorySize is an out-of-memory kill, and the environment is replaced', async () => {
    const spec = makeSpec('memory-hog', { memoryMb: 128, version: 'oom' });
    const ok = await pool.invoke(makeRequest(spec, { event: { mb: 16 } }));
    expect(ok.kind).toBe('success');
    const dead = await pool.invoke(makeRequest(spec, { event: { mb: 200 } }));
    expect(dead.kind).toBe('function-error');
    const doc = json(dead.payload) as { errorType: string; errorMessage: string };
    expect(doc.errorType).toBe('Runtime.ExitError');
    expect(doc.errorMessage).toMatch(/^RequestId: \S+ Error: Runtime exited with error: signal: killed$/);
    expect(lines.join('')).toMatch(/Status: error\tError Type: Runtime\.OutOfMemory/);
    // A new environment serves the next invocation, from scratch.
    const again = await pool.invoke(makeRequest(spec, { event: { mb: 1 } }));
    expect(json(again.payload)).toMatchObject({ heldMb: 1 });
  });

  it('leaves no cgroup behind once the pool is disposed', async () => {
    const other = testPool();
    await other.invoke(makeRequest(makeSpec('memory-hog', { version: 'gone' }), { event: { mb: 1 } }));
    const pid = other.environments()[0]?.pid;
    const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    await other.dispose();
    const m = /:(\/[^\n]*hearth-\d+-\d+)\/env-\d+/.exec(own);
    expect(m).not.toBeNull();
    // The hierarchy's mount point + that path no longer exists.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const mountPoints = mounts
      .split('\n')
      .filter((l) => / - cgroup2? /.test(l) && (/ - cgroup2 /.test(l) || /[ ,]memory(,|$)/.test(l)))
      .map((l) => l.split(' ')[4] ?? '');
    for (const mp of mountPoints) {
      expect(existsSync(`${mp}${m?.[1] ?? ''}`)).toBe(false);
    }
  });
});

describe.skipIf(process.platform !== 'linux')('an environment is ready only once it is in its cgroup', () => {
  it('waits for the move (done off hearth’s thread) before its first invocation', async () => {
    // Cgroups whose move is held until the test lets it go (no kernel cgroup is touched).
    let release: (placed: boolean) => void = () => undefined;
    const gate = new Promise<boolean>((resolve) => (release = resolve));
    let placedPid: (pid: number) => void = () => undefined;
    const asked = new Promise<number>((resolve) => (placedPid = resolve));
    const cgroups: MemoryCgroups = {
      version: 1,
      base: '/nonexistent',
      place: (_id, pid) => {
        placedPid(pid);
        return { placed: gate, oomKilled: () => false, killAll: () => undefined, remove: async () => {} };
      },
      dispose: async () => {},
    };
    const pool = testPool({ memoryCgroups: cgroups });
    try {
      const running = pool.invoke(makeRequest(makeSpec('echo'), { event: 'placed first' }));
      const pid = await asked;
      // The runtime has finished its init and waits for work: blocked in read(2) on the
      // private channel (fd 3), the NEXT sent.
      const waiting = () => /^0 0x3 /.test(readFileSync(`/proc/${pid}/syscall`, 'utf8'));
      const deadline = Date.now() + 20_000;
      while (!waiting()) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // One more turn of the event loop: its poll phase reads the NEXT already in the socket.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(pool.environments().find((e) => e.pid === pid)?.state).toBe('starting');
      release(true);
      const o = await running;
      expect(json(o.payload)).toBe('placed first');
    } finally {
      release(false);
      await pool.dispose();
    }
  });
});

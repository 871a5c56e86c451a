/**
 * MemorySize as a limit on the whole environment (memory-cgroups.ts): where the machine
 * allows a memory cgroup, memory outside the V8 heap counts too, and going over it is
 * Lambda's out-of-memory kill. Skipped, with the reason, where no cgroup can be created.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HearthPool } from '../../src/pool/index.js';
import { openMemoryCgroups } from '../../src/pool/memory-cgroups.js';
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

/**
 * MemorySize as a limit on the whole environment (memory-cgroups.ts): where the machine
 * allows a memory cgroup, memory outside the V8 heap counts too, and going over it is
 * Lambda's out-of-memory kill. Skipped, with the reason, where no cgroup can be created.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openMemoryCgroups } from '../../src/pool/memory-cgroups.js';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

// Probe once with the real machine: the pool makes the same decision.
let unavailable: string | undefined = process.platform === 'linux' ? undefined : 'not Linux';
if (unavailable === undefined) {
  const probe = openMemoryCgroups({ onUnavailable: (r) => (unavailable = r) });
  probe?.dispose();
}

describe.skipIf(unavailable !== undefined)(`memory cgroups (${unavailable ?? 'available'})`, () => {
  const lines: string[] = [];
  const pool = testPool({ onFunctionLog: (e) => lines.push(e.text) });
  afterAll(() => pool.dispose());

  it('runs each environment in its own cgroup limited to MemorySize', async () => {
    const spec = makeSpec('memory-hog', { memoryMb: 160 });
    const o = await pool.invoke(makeRequest(spec, { event: { mb: 8 } }));
    expect(o.kind).toBe('success');
    const env = pool.environments().find((e) => e.specKey === spec.key);
    const pid = env?.pid;
    expect(pid).toBeDefined();
    const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    const line = own.split('\n').find((l) => /(^0::|memory)/.test(l) && /hearth-\d+-\d+\/env-\d+/.test(l));
    expect(line).toBeDefined();
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

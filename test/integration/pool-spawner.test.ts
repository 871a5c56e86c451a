/**
 * The pool with `spawner: true` (src/pool/launchers/spawner.ts): provisioned environments
 * forked by the spawner serve, are its children, and when the spawner dies they are killed
 * and the reconciler replaces them through a new spawner. (launchers/spawner.test.ts tests
 * the launcher itself; this is the contract seen from the pool.)
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { HearthPool } from '../../src/pool/index.js';
import { childPids, json, makeRequest, makeSpec, testPool, until } from './pool-helpers.js';

let pool: HearthPool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
});

const KEY = '123456789012/us-east-1/default/fn#live';
const spec = makeSpec('sleeper', {
  functionName: 'fn',
  version: '1',
  handler: 'index.handler',
  key: 'fn/1@r',
});

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe.skipIf(process.platform !== 'linux')('a pool whose environments a spawner forks', () => {
  it('serves from them, and replaces them when the spawner dies', async () => {
    const p = testPool({ spawner: true });
    pool = p;
    const ready = () =>
      until(p, () => p.provisionedStatus(KEY).status === 'READY' && p.provisionedStatus(KEY).available === 2);
    p.setProvisioned(KEY, spec, 2);
    await ready();
    const first = p.environments().map((e) => e.pid);
    expect(first).toHaveLength(2);
    const spawner = parentOf(first[0]!);
    expect(spawner).not.toBe(process.pid);
    expect(parentOf(first[1]!)).toBe(spawner);
    expect(childPids().sort()).toEqual([...first].sort());

    const o = await p.invoke(makeRequest(spec, { event: { ms: 0 }, provisionedKey: KEY }));
    expect(o.kind).toBe('success');
    expect(first).toContain((json(o.payload) as { pid: number }).pid);

    // Its environments die with it (reported as killed) and are started again elsewhere.
    const dead = until(p, () => !p.environments().some((e) => first.includes(e.pid)));
    process.kill(spawner, 'SIGKILL');
    await dead;
    await ready();
    const second = p.environments().map((e) => e.pid);
    expect(second.some((pid) => first.includes(pid))).toBe(false);
    expect(parentOf(second[0]!)).not.toBe(spawner);
    expect(childPids().sort()).toEqual([...second].sort());

    await p.dispose();
    pool = undefined;
    expect(childPids()).toEqual([]);
  });
});

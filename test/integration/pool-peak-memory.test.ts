/**
 * Max Memory Used (the REPORT line, SCF's MemUsage) from the bundled Node.js runtime's own
 * report (the private channel's PEAK frame: runtimes/node/channel-fd.cjs), and from
 * /proc/<pid>/status where the runtime cannot report it exactly.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bubblewrapUsable } from '../helpers/bubblewrap.js';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import { PeakReader } from '../../src/pool/launchers/proc-status.js';
import { json, makeRequest, makeSpec, pidOf, testPool } from './pool-helpers.js';

/** VmHWM of a live process, MB rounded up as the REPORT line rounds it. */
function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.ceil(Number(m?.[1]) / 1024);
}

/**
 * A function log sink, and Max Memory Used of an invocation's REPORT line once it is
 * written (it follows the answer).
 */
function reports() {
  let text = '';
  const waiting = new Set<() => void>();
  const find = (requestId: string): string | undefined =>
    text.split('\n').find((l) => l.startsWith(`REPORT RequestId: ${requestId}`));
  return {
    sink: (e: { text: string }) => {
      text += e.text;
      for (const w of waiting) {
        w();
      }
    },
    async maxMemoryUsed(requestId: string): Promise<number> {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (find(requestId) !== undefined) {
            waiting.delete(check);
            resolve();
          }
        };
        waiting.add(check);
        check();
      });
      const m = /\tMax Memory Used: (\d+) MB/.exec(find(requestId) ?? '');
      expect(m, `Max Memory Used for ${requestId}`).not.toBeNull();
      return Number(m?.[1]);
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(process.platform !== 'linux')('peak memory of the bundled Node.js runtime', () => {
  const log = reports();
  const pool = testPool({ onFunctionLog: log.sink });
  afterAll(() => pool.dispose());

  it('comes with its answer: the REPORT line follows the memory held, and hearth reads no /proc file for it', async () => {
    const spec = makeSpec('memory-hog', { memoryMb: 512, version: 'reports' });
    await pool.invoke(makeRequest(spec, { event: { mb: 0 } }));
    const pid = pidOf(pool, spec);
    const reads = vi.spyOn(PeakReader.prototype, 'read');
    const before = makeRequest(spec, { event: { mb: 0 } });
    const o1 = await pool.invoke(before);
    expect(o1.kind).toBe('success');
    const held = makeRequest(spec, { event: { mb: 64 } });
    const o2 = await pool.invoke(held);
    expect(json(o2.payload)).toMatchObject({ heldMb: 64 });
    const base = await log.maxMemoryUsed(before.requestId);
    const grown = await log.maxMemoryUsed(held.requestId);
    expect(grown - base).toBeGreaterThanOrEqual(64);
    // The kernel's peak, as /proc reads it now (the counters behind getrusage(2) may lag it
    // by their per-CPU batches).
    expect(Math.abs(vmHwmMb(pid) - grown)).toBeLessThanOrEqual(1);
    // SCF's MemUsage and the outcome carry the same figure.
    expect(o2.kind === 'success' ? o2.maxMemoryUsedMb : undefined).toBe(grown);
    expect(reads).not.toHaveBeenCalled();
  });
});

describe.skipIf(process.platform !== 'linux')(
  'peak memory of a runtime forked from a larger process than itself',
  () => {
    // getrusage(2) would report the forking process's size for the child: the test's
    // process holds 300 MB (every page written) and forks the environment itself.
    let ballast: Buffer | undefined = Buffer.alloc(300 * 1024 * 1024, 1);
    const log = reports();
    const pool = testPool({ spawner: false, onFunctionLog: log.sink });
    afterAll(async () => {
      await pool.dispose();
      ballast = undefined;
    });

    it('is read from /proc by hearth, not taken from the runtime', async () => {
      const spec = makeSpec('memory-hog', { memoryMb: 512, version: 'inflated' });
      expect(ballast?.length).toBe(300 * 1024 * 1024);
      await pool.invoke(makeRequest(spec, { event: { mb: 0 } }));
      const pid = pidOf(pool, spec);
      const reads = vi.spyOn(PeakReader.prototype, 'read');
      const r = makeRequest(spec, { event: { mb: 8 } });
      const o = await pool.invoke(r);
      expect(o.kind).toBe('success');
      const reported = await log.maxMemoryUsed(r.requestId);
      expect(reads).toHaveBeenCalled();
      // The environment's own peak, far below the 300 MB getrusage(2) would have said.
      expect(reported).toBeLessThan(250);
      expect(Math.abs(vmHwmMb(pid) - reported)).toBeLessThanOrEqual(1);
    });
  },
);

// The bundled Python runtime follows the same rule (hearth_channel.py): forked inside
// bubblewrap's sandbox (whose forking process is small), it reports its peak.
// The runtime of the machine's python3, which the pool finds on the PATH (interpreters.ts).
const PYTHON_RUNTIME = execFileSync(
  'python3',
  ['-c', 'import sys; print("python%d.%d" % sys.version_info[:2])'],
  { encoding: 'utf8' },
).trim();
const sandboxUsable = bubblewrapUsable();

function pythonSpec(version: string): EnvironmentSpec {
  return makeSpec('echo', {
    runtime: PYTHON_RUNTIME,
    handler: 'app.handler',
    codeDir: fileURLToPath(new URL('../fixtures/python/echo', import.meta.url)),
    functionName: 'py-echo',
    version,
  });
}

describe.skipIf(process.platform !== 'linux')('peak memory of the bundled Python runtime', () => {
  it('unsandboxed: the REPORT line has its own peak, whoever reads it', async () => {
    const log = reports();
    const pool = testPool({ onFunctionLog: log.sink });
    try {
      const spec = pythonSpec('spawned');
      await pool.invoke(makeRequest(spec, { event: { a: 1 } }));
      const pid = pidOf(pool, spec);
      const r = makeRequest(spec, { event: { a: 2 } });
      expect(json((await pool.invoke(r)).payload)).toMatchObject({ event: { a: 2 } });
      const reported = await log.maxMemoryUsed(r.requestId);
      expect(Math.abs(vmHwmMb(pid) - reported)).toBeLessThanOrEqual(1);
    } finally {
      await pool.dispose();
    }
  });

  it.skipIf(!sandboxUsable)('in a bubblewrap sandbox: reported by the runtime', async () => {
    const log = reports();
    const pool = testPool({ sandbox: 'bubblewrap', onFunctionLog: log.sink });
    try {
      const spec = pythonSpec('sandboxed');
      await pool.invoke(makeRequest(spec, { event: { a: 1 } }));
      const reads = vi.spyOn(PeakReader.prototype, 'read');
      const r = makeRequest(spec, { event: { a: 2 } });
      expect(json((await pool.invoke(r)).payload)).toMatchObject({ event: { a: 2 } });
      const reported = await log.maxMemoryUsed(r.requestId);
      expect(reads).not.toHaveBeenCalled();
      // A Python interpreter's own size, not the spawner's or hearth's.
      expect(reported).toBeGreaterThan(4);
      expect(reported).toBeLessThan(40);
    } finally {
      await pool.dispose();
    }
  });
});

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FrameType } from '../runtime-channel/frames.js';
import type { LaunchHandlers, LaunchRequest, LaunchedProcess } from './launcher.js';
import { BLANK_VARIABLE, PrestartedRuntimes, blankKey, processAlive } from './prestarted.js';

const NODE = /^NODE_(?!PATH$)|^TZ$/;

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    id: 1,
    command: '/usr/bin/node',
    args: ['--max-old-space-size=115', 'bootstrap.cjs'],
    env: { PATH: '/usr/bin', _HANDLER: 'index.handler', MY_VAR: '1', _HEARTH_RUNTIME_FD: '3' },
    cwd: '/code/fn',
    hostPaths: [],
    layerDirs: [],
    privateChannel: true,
    memoryMb: 128,
    batchScheduling: true,
    startVariables: NODE,
    ...overrides,
  };
}

interface Started {
  readonly req: LaunchRequest;
  readonly handlers: LaunchHandlers;
  readonly cgroupName: string;
  readonly written: Buffer[];
  killed: boolean;
  readonly proc: LaunchedProcess;
}

function harness(max: number, async = false) {
  const started: Started[] = [];
  const dead = new Set<number>();
  let now = 0;
  const errors: string[] = [];
  let pid = 100;
  const rt = new PrestartedRuntimes({
    max,
    now: () => now,
    reassignAfterMs: 1000,
    onError: (m) => errors.push(m),
    alive: (p) => !dead.has(p),
    start: (req, handlers, cgroupName) => {
      const written: Buffer[] = [];
      const s: Started = {
        req,
        handlers,
        cgroupName,
        written,
        killed: false,
        proc: {
          pid: ++pid,
          privateSocket: { write: (b: Buffer) => written.push(b) } as unknown as Socket,
          kill: () => {
            s.killed = true;
          },
          oomKilled: () => false,
          peakMemoryMb: () => undefined,
          readPeakMemoryMb: () => Promise.resolve(undefined),
        },
      };
      started.push(s);
      return async ? Promise.resolve(s.proc) : s.proc;
    },
  });
  const handlers = (): LaunchHandlers & { output: Buffer[]; closed: unknown[] } => {
    const output: Buffer[] = [];
    const closed: unknown[] = [];
    return {
      output,
      closed,
      onOutput: (c) => output.push(c),
      onSpawnError: () => undefined,
      onClose: (code, signal) => closed.push([code, signal]),
    };
  };
  return { rt, started, errors, handlers, dead, tick: (ms: number) => (now += ms) };
}

function assignment(buf: Buffer | undefined): unknown {
  expect(buf?.[4]).toBe(FrameType.ASSIGN);
  expect(buf?.readUInt32LE(0)).toBe((buf?.length ?? 0) - FRAME_HEADER_BYTES);
  return JSON.parse(buf?.subarray(FRAME_HEADER_BYTES).toString('utf8') ?? '');
}

describe('blankKey', () => {
  it('is the command, arguments, MemorySize, scheduling and start variables', () => {
    const a = blankKey(request());
    expect(a).toBeDefined();
    expect(blankKey(request({ env: { ...request().env, MY_VAR: '2', PATH: '/bin' } }))).toBe(a);
    expect(blankKey(request({ env: { ...request().env, TZ: 'Europe/Paris' } }))).not.toBe(a);
    expect(blankKey(request({ env: { ...request().env, NODE_OPTIONS: '--x' } }))).not.toBe(a);
    expect(blankKey(request({ memoryMb: 256 }))).not.toBe(a);
    expect(blankKey(request({ args: ['bootstrap.cjs'] }))).not.toBe(a);
    expect(blankKey(request({ batchScheduling: false }))).not.toBe(a);
  });

  it('is undefined for a process that cannot be pre-started', () => {
    const { startVariables: _, ...plain } = request();
    expect(blankKey(plain)).toBeUndefined();
    expect(blankKey(request({ privateChannel: false }))).toBeUndefined();
  });
});

describe('processAlive', () => {
  it('is true for a running process, false for one that is not there', () => {
    expect(processAlive(process.pid)).toBe(true);
    // Above any pid_max Linux allows (2^22).
    expect(processAlive(4_194_305)).toBe(false);
  });
});

describe('PrestartedRuntimes', () => {
  it('starts one once the pool is quiet after a miss, gives it to the next launch with its function, and starts another', () => {
    const h = harness(2);
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBeUndefined();
    expect(h.started).toHaveLength(0);
    h.rt.quiet();
    expect(h.started).toHaveLength(1);
    const blank = h.started[0];
    expect(blank?.cgroupName).toBe('blank-1');
    expect(blank?.req.cwd).toBe('/');
    expect(blank?.req.env).toEqual({ PATH: '/usr/bin', _HEARTH_RUNTIME_FD: '3', [BLANK_VARIABLE]: '1' });
    expect(h.rt.pids()).toEqual([blank?.proc.pid]);

    const req = request({ env: { ...request().env, MY_VAR: '2' }, cwd: '/code/other' });
    const hs = h.handlers();
    const got = h.rt.take(req, () => ({ ...req.env, OWNER: 'x' }), hs);
    expect(got).toBe(blank?.proc);
    expect(assignment(blank?.written[0])).toEqual({ env: { ...req.env, OWNER: 'x' }, cwd: '/code/other' });
    // Its output and its end are the new environment's now.
    blank?.handlers.onOutput(Buffer.from('hello'));
    blank?.handlers.onClose(0, null);
    expect(hs.output.map(String)).toEqual(['hello']);
    expect(hs.closed).toEqual([[0, null]]);
    expect(h.started).toHaveLength(1);
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
    expect(h.rt.pids()).toEqual([h.started[1]?.proc.pid]);
  });

  it('hands what a blank wrote before it was taken to the environment that takes it', async () => {
    const h = harness(1);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    h.started[0]?.handlers.onOutput(Buffer.from('warning at start\n'));
    const hs = h.handlers();
    h.rt.take(request(), () => request().env, hs);
    expect(hs.output).toEqual([]);
    await Promise.resolve();
    expect(hs.output.map(String)).toEqual(['warning at start\n']);
  });

  it('keeps one per key, at most max, and gives a slot to a new key once a blank has waited long enough', () => {
    const h = harness(2);
    const a = request();
    const b = request({ memoryMb: 256 });
    const c = request({ memoryMb: 512 });
    h.rt.take(a, () => a.env, h.handlers());
    h.rt.quiet();
    h.rt.take(a, () => a.env, h.handlers()); // takes a's, another at the next quiet
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
    h.rt.take(b, () => b.env, h.handlers());
    h.rt.quiet();
    expect(h.started).toHaveLength(3);
    // Full: c's miss starts nothing while the others are young.
    h.rt.take(c, () => c.env, h.handlers());
    h.rt.quiet();
    expect(h.started).toHaveLength(3);
    h.tick(1000);
    h.rt.take(c, () => c.env, h.handlers());
    h.rt.quiet();
    expect(h.started).toHaveLength(4);
    // a's blank (the oldest) made room.
    expect(h.started[1]?.killed).toBe(true);
    expect(h.started[2]?.killed).toBe(false);
    expect(h.rt.pids()).toEqual([h.started[2]?.proc.pid, h.started[3]?.proc.pid]);
    expect(h.errors).toEqual([]);
  });

  it('gives a new key the slot of the key launched least recently, not of the oldest blank', () => {
    const h = harness(2);
    const a = request();
    const b = request({ memoryMb: 256 });
    const c = request({ memoryMb: 512 });
    h.rt.take(b, () => b.env, h.handlers());
    h.rt.take(a, () => a.env, h.handlers());
    h.rt.quiet(); // b's (started[0]), then a's (started[1])
    h.tick(1000);
    expect(h.rt.take(a, () => a.env, h.handlers())).toBe(h.started[1]?.proc);
    h.rt.quiet(); // a's again (started[2])
    h.rt.take(c, () => c.env, h.handlers());
    h.rt.quiet();
    expect(h.started[0]?.killed).toBe(true);
    expect(h.started[2]?.killed).toBe(false);
    expect(h.rt.pids()).toEqual([h.started[2]?.proc.pid, h.started[3]?.proc.pid]);
  });

  it('takes nothing and starts nothing for a launch that cannot use one, or with max 0', () => {
    const h = harness(2);
    expect(h.rt.take(request({ privateChannel: false }), () => ({}), h.handlers())).toBeUndefined();
    h.rt.quiet();
    expect(h.started).toHaveLength(0);
    const off = harness(0);
    expect(off.rt.take(request(), () => request().env, off.handlers())).toBeUndefined();
    off.rt.quiet();
    expect(off.started).toHaveLength(0);
  });

  it('drops one that ends while waiting, and reports it', async () => {
    const h = harness(1);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    h.started[0]?.handlers.onClose(null, 'SIGKILL');
    expect(h.rt.pids()).toEqual([]);
    expect(h.errors).toEqual(['a pre-started runtime ended while waiting (SIGKILL)']);
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBeUndefined();
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
    expect(await h.rt.settled()).toEqual([h.started[1]?.proc.pid]);
  });

  it('gives no function to one that has died but whose end is not reported yet', () => {
    const h = harness(1);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    const pid = h.started[0]?.proc.pid ?? 0;
    h.dead.add(pid);
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBeUndefined();
    expect(h.started[0]?.killed).toBe(true);
    expect(h.rt.pids()).toEqual([]);
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
  });

  it('waits for a spawner to answer before a blank can be taken', async () => {
    const h = harness(1, true);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBeUndefined();
    h.rt.quiet();
    expect(h.started).toHaveLength(1);
    expect(await h.rt.settled()).toEqual([h.started[0]?.proc.pid]);
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBe(h.started[0]?.proc);
  });

  it('kills the waiting ones on dispose and starts no more', async () => {
    const h = harness(2);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    h.rt.take(request({ memoryMb: 256 }), () => request().env, h.handlers());
    const disposed = h.rt.dispose();
    expect(h.started[0]?.killed).toBe(true);
    h.started[0]?.handlers.onClose(null, 'SIGKILL');
    await disposed;
    expect(h.errors).toEqual([]);
    expect(h.rt.take(request(), () => request().env, h.handlers())).toBeUndefined();
    h.rt.quiet();
    expect(h.started).toHaveLength(1);
  });

  it('starts none during a burst: a burst takes the one blank of its key and leaves one behind', () => {
    const h = harness(2);
    h.rt.take(request(), () => request().env, h.handlers());
    h.rt.quiet();
    const taken = [];
    for (let i = 0; i < 10; i++) {
      taken.push(h.rt.take(request(), () => request().env, h.handlers()));
    }
    expect(taken.filter((t) => t !== undefined)).toHaveLength(1);
    expect(h.started).toHaveLength(1);
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
    h.rt.quiet();
    expect(h.started).toHaveLength(2);
  });
});

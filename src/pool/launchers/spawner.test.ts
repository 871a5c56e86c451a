import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OWNER_VARIABLE, ownerMark, sweepOrphans } from '../orphans.js';
import type { LaunchRequest, LaunchedProcess } from './launcher.js';
import { ProcessLauncher } from './process-launcher.js';
import { Spawner } from './spawner.js';

const NODE = process.execPath;

interface Run {
  readonly proc: LaunchedProcess;
  output(): string;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  readonly spawnError: Promise<string>;
}

let spawner: Spawner;
let launcher: ProcessLauncher;
const procs: LaunchedProcess[] = [];

function open(): void {
  spawner = new Spawner({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  launcher = new ProcessLauncher({ cgroups: undefined, chrt: undefined, spawner });
}
open();

afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill();
  }
  await launcher.dispose();
  open();
});

function request(command: string, args: readonly string[], privateChannel = false): LaunchRequest {
  return {
    id: 1,
    command,
    args,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: process.cwd(),
    hostPaths: [],
    layerDirs: [],
    privateChannel,
    memoryMb: 128,
    batchScheduling: false,
  };
}

async function run(req: LaunchRequest): Promise<Run> {
  let text = '';
  let spawnError: (m: string) => void = () => undefined;
  let closed: (c: { code: number | null; signal: NodeJS.Signals | null; output: string }) => void = () =>
    undefined;
  const r = {
    output: () => text,
    closed: new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
      closed = resolve;
    }),
    spawnError: new Promise<string>((resolve) => {
      spawnError = resolve;
    }),
  };
  const launched = launcher.launch(req, {
    onOutput: (c) => {
      text += c.toString();
    },
    onSpawnError: (m) => spawnError(m),
    onClose: (code, signal) => closed({ code, signal, output: text }),
  });
  expect(launched).toBeInstanceOf(Promise);
  const proc = await launched;
  procs.push(proc);
  return { ...r, proc };
}

/**
 * Whether `pid` has ended: gone, a zombie, or past the point of its exit where the kernel
 * has closed its files (a close seen through its pipes can come a moment before the task
 * is a zombie).
 */
function ended(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
    return state === 'Z' || state === 'X' || readdirSync(`/proc/${pid}/fd`).length === 0;
  } catch {
    return true;
  }
}

describe.skipIf(process.platform !== 'linux')('ProcessLauncher with a spawner', () => {
  it('passes stdout and stderr, all of them before the close, and the exit code', async () => {
    const r = await run(
      request(NODE, [
        '-e',
        "process.stdout.write('x'.repeat(1 << 20)); process.stderr.write('<err>'); process.exitCode = 3",
      ]),
    );
    expect(r.proc.pid).toBeGreaterThan(0);
    expect(r.proc.pid).not.toBe(spawner.pid);
    const end = await r.closed;
    expect(end).toMatchObject({ code: 3, signal: null });
    expect(end.output.length).toBe((1 << 20) + '<err>'.length);
    expect(end.output).toContain('<err>');
  });

  it('gives the process fd 3 as the private channel', async () => {
    const r = await run(
      request(
        NODE,
        [
          '-e',
          "const s = new (require('net').Socket)({ fd: 3 }); s.once('data', (d) => s.end('echo:' + d));",
        ],
        true,
      ),
    );
    const socket = r.proc.privateSocket;
    expect(socket).toBeDefined();
    socket?.write('ping');
    const [answer] = (await once(socket!, 'data')) as [Buffer];
    expect(answer.toString()).toBe('echo:ping');
    expect(await r.closed).toMatchObject({ code: 0, signal: null });
  });

  it('reports the signal that ended it', async () => {
    const r = await run(
      request(NODE, ['-e', "process.kill(process.pid, 'SIGTERM'); setInterval(() => {}, 1000)"]),
    );
    expect(await r.closed).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('reports an executable that cannot run as a spawn error, with no process', async () => {
    const r = await run(request('/nonexistent/bootstrap', []));
    expect(await r.spawnError).toMatch(/ENOENT/);
    expect(r.proc.pid).toBeUndefined();
  });

  it('kill() reaches what the process started (its group)', async () => {
    const r = await run(request('/bin/sh', ['-c', 'sleep 1000 & echo $!; wait']));
    while (!r.output().includes('\n')) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const grandchild = Number(r.output().trim());
    r.proc.kill();
    expect(await r.closed).toMatchObject({ code: null, signal: 'SIGKILL' });
    // The close waited for the sleep's copy of stdout: it has exited.
    expect(ended(grandchild)).toBe(true);
  });

  it('when the spawner dies, its processes are killed and reported, and the next start gets a new spawner', async () => {
    const r = await run(request(NODE, ['-e', 'setInterval(() => {}, 1000)']));
    const first = spawner.pid;
    const pid = r.proc.pid!;
    process.kill(first!, 'SIGKILL');
    expect(await r.closed).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(ended(pid)).toBe(true);
    const again = await run(request(NODE, ['-e', "process.stdout.write('again')"]));
    expect(await again.closed).toMatchObject({ code: 0, output: 'again' });
    expect(spawner.pid).toBeDefined();
    expect(spawner.pid).not.toBe(first);
  });

  it('forks directly when the spawner dies before it answers, and for good once it keeps dying', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hearth-spawner-'));
    const script = path.join(dir, 'crash.cjs');
    writeFileSync(script, 'process.exit(70);\n');
    const crashing = new Spawner({ env: {}, script });
    const direct = new ProcessLauncher({ cgroups: undefined, chrt: undefined, spawner: crashing });
    try {
      const start = (
        code: number,
      ): { launched: LaunchedProcess | Promise<LaunchedProcess>; closed: Promise<number | null> } => {
        let closed: (c: number | null) => void = () => undefined;
        const done = new Promise<number | null>((resolve) => {
          closed = resolve;
        });
        const launched = direct.launch(request(NODE, ['-e', `process.exitCode = ${code}`]), {
          onOutput: () => undefined,
          onSpawnError: () => undefined,
          onClose: (c) => closed(c),
        });
        return { launched, closed: done };
      };
      for (let i = 0; i < 3; i++) {
        const s = start(i);
        expect(s.launched).toBeInstanceOf(Promise);
        expect((await s.launched).pid).toBeGreaterThan(0);
        expect(await s.closed).toBe(i);
      }
      expect(crashing.broken).toBe(true);
      const s = start(4);
      expect(s.launched).not.toBeInstanceOf(Promise);
      expect(await s.closed).toBe(4);
    } finally {
      await direct.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not swept as an orphan while its hearth lives, nor are the processes it started', async () => {
    const token = `spawner-test-${process.pid}`;
    const mark = ownerMark(token);
    const marked = new Spawner({
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [OWNER_VARIABLE]: mark },
    });
    const owned = new ProcessLauncher({ cgroups: undefined, chrt: undefined, owner: mark, spawner: marked });
    let closed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      closed = resolve;
    });
    try {
      const proc = await owned.launch(request(NODE, ['-e', 'setInterval(() => {}, 1000)']), {
        onOutput: () => undefined,
        onSpawnError: () => undefined,
        onClose: () => closed(),
      });
      procs.push(proc);
      expect(await sweepOrphans(token)).toEqual([]);
      expect(ended(proc.pid!)).toBe(false);
      proc.kill();
      await done;
    } finally {
      await owned.dispose();
    }
  });

  it('under chrt, what it forks inherits SCHED_BATCH, and a process asked not to be is not', async () => {
    const chrt = ['/usr/bin/chrt', '/bin/chrt'].find((c) => existsSync(c));
    if (chrt === undefined) {
      throw new Error('util-linux chrt is missing (Debian: util-linux)');
    }
    const batch = new Spawner({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, chrt });
    const launcherB = new ProcessLauncher({ cgroups: undefined, chrt, spawner: batch });
    const policyOf = async (batchScheduling: boolean): Promise<string> => {
      let out = '';
      let closed: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        closed = resolve;
      });
      const req = {
        ...request('/bin/sh', ['-c', "grep '^policy' /proc/self/sched | tr -s ' '"]),
        batchScheduling,
      };
      await launcherB.launch(req, {
        onOutput: (c) => {
          out += c.toString();
        },
        onSpawnError: () => undefined,
        onClose: () => closed(),
      });
      await done;
      return out.trim();
    };
    try {
      expect(await policyOf(true)).toBe('policy : 3'); // SCHED_BATCH
      expect(await policyOf(false)).toBe('policy : 0'); // SCHED_OTHER
      expect(readFileSync(`/proc/${batch.pid}/sched`, 'latin1')).toMatch(/^policy\s+:\s+3$/m);
    } finally {
      await launcherB.dispose();
    }
  });

  it('on SIGTERM (its parent-death signal) the spawner kills what it started and exits', async () => {
    const r = await run(request(NODE, ['-e', 'setInterval(() => {}, 1000)']));
    const pid = spawner.pid!;
    process.kill(pid, 'SIGTERM');
    expect(await r.closed).toMatchObject({ signal: 'SIGKILL' });
    expect(ended(pid)).toBe(true);
    expect(ended(r.proc.pid!)).toBe(true);
  });

  it('dispose stops the spawner and what it started', async () => {
    const r = await run(request(NODE, ['-e', 'setInterval(() => {}, 1000)']));
    const pid = spawner.pid!;
    await launcher.dispose();
    expect(await r.closed).toMatchObject({ signal: 'SIGKILL' });
    expect(ended(pid)).toBe(true);
    expect(ended(r.proc.pid!)).toBe(true);
  });
});

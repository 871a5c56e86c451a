/**
 * Pre-started runtimes (src/pool/launchers/prestarted.ts, src/runtimes/node/blank.cjs): a
 * cold start takes a Node.js process started before its function existed, and the
 * function sees what it would have seen in a process started for it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import { codeCacheFolder } from '../../src/pool/code-cache.js';
import type { HearthPool } from '../../src/pool/index.js';
import { fixtureDir, json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

interface Report {
  pid: number;
  env: Record<string, string>;
  childEnv: string[];
  cwd: string;
  argv: string[];
  execArgv: string[];
  globalPaths: string[];
  heapLimit: number;
  timezoneOffset: number;
  layerModule: string | null;
}

const { entryName } = (
  (await import(new URL('../../src/runtimes/node/code-cache.cjs', import.meta.url).href)) as {
    default: { entryName: (file: string) => string };
  }
).default;

const pools: HearthPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

let layer = '';
beforeAll(() => {
  layer = mkdtempSync(path.join(tmpdir(), 'hearth-prestart-layer-'));
  const mod = path.join(layer, 'nodejs', 'node_modules', 'layer-module');
  mkdirSync(mod, { recursive: true });
  writeFileSync(path.join(mod, 'index.js'), "exports.name = 'from the layer';\n");
  mkdirSync(path.join(layer, 'python'), { recursive: true });
  writeFileSync(path.join(layer, 'python', 'layer_module.py'), "NAME = 'from the layer'\n");
});
afterAll(() => rmSync(layer, { recursive: true, force: true }));

function pool(prestartedRuntimes: number, logger = pino({ level: 'silent' }), spawner = false): HearthPool {
  const p = testPool({ prestartedRuntimes, spawner, logger });
  pools.push(p);
  return p;
}

function spec(name: string, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return makeSpec('start-reporter', { functionName: name, key: `${name}/$LATEST@r`, ...overrides });
}

async function report<R = Report>(p: HearthPool, s: EnvironmentSpec): Promise<R> {
  const o = await p.invoke(makeRequest(s, { event: { n: 1 } }));
  if (o.kind !== 'success') {
    throw new Error(`invoke failed: ${JSON.stringify(o)}`);
  }
  return json(o.payload) as R;
}

/** A report without what differs between any two starts (the log stream's random name, pid). */
function comparable<R extends { pid: number; env: Record<string, string>; childEnv: string[] }>(
  r: R,
): Omit<R, 'pid'> {
  const { pid: _pid, ...rest } = r;
  const stream = (v: string): string => v.replace(/\][0-9a-f]{32}$/, ']<random>');
  return {
    ...rest,
    env: Object.fromEntries(Object.entries(r.env).map(([k, v]) => [k, stream(v)])),
    childEnv: r.childEnv.map(stream).sort(),
  };
}

// The runtime of the machine's python3, which the pool finds on the PATH (interpreters.ts).
const PYTHON_RUNTIME = execFileSync(
  'python3',
  ['-c', 'import sys; print("python%d.%d" % sys.version_info[:2])'],
  { encoding: 'utf8' },
).trim();

function pySpec(name: string, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return makeSpec('start-reporter', {
    functionName: name,
    key: `${name}/$LATEST@py`,
    runtime: PYTHON_RUNTIME,
    handler: 'app.handler',
    codeDir: fileURLToPath(new URL('../fixtures/python/start-reporter', import.meta.url)),
    ...overrides,
  });
}

interface PyReport {
  pid: number;
  env: Record<string, string>;
  childEnv: string[];
  cwd: string;
  argv: string[];
  path: string[];
  timezone: number;
  layerModule: string | null;
}

describe.skipIf(process.platform !== 'linux')('pre-started Python runtimes', () => {
  it('give a cold start a process started before its function, which sees what a fresh one sees', async () => {
    const p = pool(2);
    const b = pySpec('b', { environment: { MY_VAR: 'b', OTHER: 'x' }, layerDirs: [layer] });
    await report<PyReport>(p, pySpec('a'));
    const [blank] = await p.prestartedRuntimes();
    const taken = await report<PyReport>(p, b);
    expect(taken.pid).toBe(blank);
    const fresh = await report<PyReport>(pool(0), b);
    expect(comparable(taken)).toEqual(comparable(fresh));
    expect(taken.env.MY_VAR).toBe('b');
    expect(taken.childEnv).toContain('OTHER=x');
    expect(taken.childEnv.some((l) => l.startsWith('_HEARTH_BLANK') || l.startsWith('_HEARTH_RUNTIME'))).toBe(
      false,
    );
    expect(taken.layerModule).toBe('from the layer');
  });

  it('are not given a function whose start variables differ from theirs', async () => {
    const p = pool(2);
    await p.invoke(makeRequest(pySpec('a')));
    const [blank] = await p.prestartedRuntimes();
    const o = await p.invoke(makeRequest(pySpec('hash', { environment: { PYTHONHASHSEED: '7' } })));
    expect(o.kind).toBe('success');
    expect((json(o.kind === 'success' ? o.payload : Buffer.from('{}')) as PyReport).pid).not.toBe(blank);
  });
});

describe.skipIf(process.platform !== 'linux')('pre-started Node.js runtimes', () => {
  it.each([
    ['forked by the pool', false],
    ['forked by the spawner', true],
  ])(
    'give a cold start a process started before its function, which sees what a fresh one sees (%s)',
    async (_, spawner) => {
      const p = pool(2, undefined, spawner);
      const a = spec('a', { environment: { MY_VAR: 'a' } });
      const b = spec('b', { environment: { MY_VAR: 'b', OTHER: 'x' }, layerDirs: [layer] });

      const first = await report(p, a);
      const [blank, ...more] = await p.prestartedRuntimes();
      expect(blank).toBeGreaterThan(0);
      expect(more).toEqual([]);
      expect(blank).not.toBe(first.pid);

      const taken = await report(p, b);
      expect(taken.pid).toBe(blank);
      // Another one waits for the next cold start.
      const next = await p.prestartedRuntimes();
      expect(next).toHaveLength(1);
      expect(next).not.toContain(blank);

      // The same function started without pre-started runtimes.
      const fresh = await report(pool(0, undefined, spawner), b);
      expect(await pools[1]?.prestartedRuntimes()).toEqual([]);
      expect(comparable(taken)).toEqual(comparable(fresh));
      expect(taken.env.MY_VAR).toBe('b');
      expect(taken.env._HEARTH_BLANK).toBeUndefined();
      expect(taken.childEnv).toContain('OTHER=x');
      expect(
        taken.childEnv.some((l) => l.startsWith('_HEARTH_BLANK') || l.startsWith('_HEARTH_RUNTIME')),
      ).toBe(false);
      // NODE_PATH from the layer, as at start: the module paths were computed again.
      expect(taken.layerModule).toBe('from the layer');
      expect(taken.globalPaths.some((g) => g.startsWith(layer))).toBe(true);
    },
  );

  it('are not given a function whose start variables differ from theirs', async () => {
    const p = pool(2);
    await report(p, spec('a'));
    const [blank] = await p.prestartedRuntimes();
    const paris = await report(p, spec('tz', { environment: { TZ: 'Europe/Paris' } }));
    expect(paris.pid).not.toBe(blank);
    expect(paris.timezoneOffset).toBe(-120);
    const heap = await report(p, spec('big', { memoryMb: 512 }));
    expect(heap.pid).not.toBe(blank);
    // Each of those keys now has its own (two at most): the first one is still waiting.
    const waiting = await p.prestartedRuntimes();
    expect(waiting).toContain(blank);
    expect(waiting).toHaveLength(2);
    // And a function with the first key still takes it.
    expect((await report(p, spec('c'))).pid).toBe(blank);
  });

  it('are ready at start for the usual first launch: a 128 MB function without variables of its own', async () => {
    const p = pool(2);
    await p.start();
    const ready = await p.prestartedRuntimes();
    // One for Node.js, one for Python where the machine has it.
    expect(ready.length).toBeGreaterThanOrEqual(1);
    const first = await report(p, spec('first'));
    expect(ready).toContain(first.pid);
    // A function whose start variables differ does not take one.
    const other = await report(p, spec('tz', { environment: { TZ: 'Asia/Tokyo' } }));
    expect(ready).not.toContain(other.pid);
  });

  it('load the function from its code cache like a fresh runtime', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'hearth-prestart-cache-'));
    try {
      const p = testPool({ prestartedRuntimes: 2, spawner: false, codeCacheDir: cacheDir });
      pools.push(p);
      // The same function's code, a new environment each time (its variables changed).
      const first = await report(p, spec('cached', { environment: { RUN: '1' } }));
      const written = (): string[] =>
        readdirSync(cacheDir, { recursive: true, encoding: 'utf8' })
          // (modules' entries: each init also leaves its own marker, small-init.cjs)
          .filter((f) => f.endsWith('.v8') && !path.basename(f).startsWith('small-'))
          .map((f) => `${f} ${statSync(path.join(cacheDir, f)).mtimeMs}`)
          .sort();
      // (written after the first answer: the next invocation waits for it)
      await report(p, spec('cached', { environment: { RUN: '1' } }));
      const before = written();
      expect(before.length).toBeGreaterThanOrEqual(1);
      const [blank] = await p.prestartedRuntimes();
      // The function's own module's entry removed: the next cold start writes it again
      // only if its runtime compiles through the cache.
      const folder = path.join(cacheDir, codeCacheFolder(spec('cached')));
      const entry = path.join(folder, entryName(path.join(fixtureDir('start-reporter'), 'index.js')));
      expect(existsSync(entry)).toBe(true);
      rmSync(entry);
      const again = await report(p, spec('cached', { key: 'cached/$LATEST@r2', environment: { RUN: '2' } }));
      expect(again.pid).toBe(blank);
      expect(again.pid).not.toBe(first.pid);
      // (written after its first answer: the next invocation waits for it)
      await report(p, spec('cached', { key: 'cached/$LATEST@r2', environment: { RUN: '2' } }));
      expect(existsSync(entry)).toBe(true);
      // The others came from the cache: none rewritten.
      expect(written().filter((w) => !w.startsWith(path.relative(cacheDir, entry)))).toEqual(
        before.filter((w) => !w.startsWith(path.relative(cacheDir, entry))),
      );
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('replace one that dies while waiting, and end with the pool', async () => {
    let died: () => void = () => undefined;
    const gone = new Promise<void>((r) => (died = r));
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          if (line.includes('a pre-started runtime ended while waiting')) {
            died();
          }
        },
      },
    );
    const p = pool(1, logger);
    await report(p, spec('a'));
    const [blank] = await p.prestartedRuntimes();
    process.kill(blank ?? 0, 'SIGKILL');
    await gone;
    expect(await p.prestartedRuntimes()).toEqual([]);
    // The next cold start starts its own process, and a new blank for the one after.
    expect((await report(p, spec('b'))).pid).not.toBe(blank);
    const [again] = await p.prestartedRuntimes();
    expect(again).toBeGreaterThan(0);
    expect((await report(p, spec('c'))).pid).toBe(again);
    const [last] = await p.prestartedRuntimes();
    await p.dispose();
    expect(() => process.kill(last ?? 0, 0)).toThrow();
  });
});

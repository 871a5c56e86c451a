/**
 * Pre-started runtimes in bubblewrap sandboxes (src/pool/launchers/sandbox-launcher.ts,
 * task-links.ts): a sandbox started before its function exists has an empty /var/task of
 * its own; a cold start fills it with links to the function's code and takes the sandbox,
 * and the function sees what it would have seen in a sandbox started for it.
 *
 * Needs Debian's `bubblewrap` (.ci/run installs it; test/integration/sandbox.test.ts fails
 * in CI without it), skipped elsewhere.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSpec } from '../../src/core/ports.js';
import type { HearthPool } from '../../src/pool/index.js';
import { MAX_LINKED_ENTRIES } from '../../src/pool/launchers/sandbox-blanks.js';
import { bubblewrapUsable } from '../helpers/bubblewrap.js';
import { fixtureDir, json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const usable = bubblewrapUsable();

/** Reports the start-reporter's facts, plus the uid and every entry under /var/task. */
const TREE_REPORTER = `
const fs = require('node:fs');
const path = require('node:path');
const start = require('./start-reporter.js');
const helper = require('./via-link.js');
function walk(dir, out) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    const entry = { path: p, mode: st.mode, size: st.size, mtimeMs: st.mtimeMs, uid: st.uid };
    if (st.isSymbolicLink()) entry.link = fs.readlinkSync(p);
    out.push(entry);
    if (st.isDirectory()) walk(p, out);
  }
  return out;
}
const attempt = (f) => { try { f(); return 'written'; } catch (e) { return e.code; } };
exports.handler = async (event) => ({
  ...(await start.handler(event)),
  uid: process.getuid(),
  helper: helper.name,
  root: { mode: fs.statSync('/var/task').mode, uid: fs.statSync('/var/task').uid },
  tree: walk('/var/task', []),
  write: attempt(() => fs.writeFileSync('/var/task/new.txt', 'x')),
  overwrite: attempt(() => fs.writeFileSync('/var/task/index.js', 'x')),
});
`;

interface TreeReport {
  pid: number;
  uid: number;
  env: Record<string, string>;
  childEnv: string[];
  cwd: string;
  helper: string;
  root: { mode: number; uid: number };
  tree: { path: string; mode: number; mtimeMs: number; link?: string }[];
  write: string;
  overwrite: string;
}

const pools: HearthPool[] = [];
let base = '';
let code = '';
let tasks = '';

/** A code root as the package store leaves one: read-only files and folders, a symlink. */
function codeRoot(dir: string, extraFiles = 0): string {
  mkdirSync(path.join(dir, 'lib'), { recursive: true });
  copyFileSync(path.join(fixtureDir('start-reporter'), 'index.js'), path.join(dir, 'start-reporter.js'));
  writeFileSync(path.join(dir, 'index.js'), TREE_REPORTER);
  writeFileSync(path.join(dir, 'lib', 'helper.js'), "exports.name = 'helper, through a symlink';\n");
  symlinkSync('lib/helper.js', path.join(dir, 'via-link.js'));
  for (let i = 0; i < extraFiles; i++) {
    writeFileSync(path.join(dir, 'lib', `f${i}.js`), '');
  }
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(dir, f);
    if (f !== 'via-link.js') {
      chmodSync(p, f === 'lib' ? 0o555 : 0o444);
    }
  }
  chmodSync(dir, 0o555);
  return dir;
}

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'hearth-prestart-sandbox-'));
  code = codeRoot(path.join(base, 'code'));
  tasks = path.join(base, 'tasks');
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+w', base]);
  rmSync(base, { recursive: true, force: true });
});

/** Sandboxes forked by the spawner, as on the platform (pool-code-cache-sandbox.test.ts forks them in the pool). */
function pool(prestartedRuntimes: number): HearthPool {
  const p = testPool({
    sandbox: 'bubblewrap',
    prestartedRuntimes,
    sandboxTaskDir: tasks,
    spawner: true,
  });
  pools.push(p);
  return p;
}

function spec(name: string, overrides: Partial<EnvironmentSpec> = {}): EnvironmentSpec {
  return makeSpec('start-reporter', {
    functionName: name,
    key: `${name}/$LATEST@s`,
    codeDir: code,
    ...overrides,
  });
}

async function invoke<R>(p: HearthPool, s: EnvironmentSpec): Promise<{ report: R; pid: number | undefined }> {
  const o = await p.invoke(makeRequest(s, { event: { n: 1 } }));
  if (o.kind !== 'success') {
    throw new Error(`invoke failed: ${JSON.stringify(o)}`);
  }
  // The host's pid of the environment's sandbox (inside, every runtime is pid 2).
  const env = p.environments().find((e) => e.specKey === s.key);
  return { report: json(o.payload) as R, pid: env?.pid };
}

/**
 * What differs between any two starts: the log stream's random name, the uid (root only);
 * the times are compared on their own (`sameTimes`).
 */
function comparable(r: TreeReport): Omit<TreeReport, 'uid' | 'pid'> {
  const { uid: _uid, pid: _pid, ...rest } = r;
  const stream = (v: string): string => v.replace(/\][0-9a-f]{32}$/, ']<random>');
  return {
    ...rest,
    tree: r.tree.map((e) => ({ ...e, mtimeMs: 0 })),
    env: Object.fromEntries(Object.entries(r.env).map(([k, v]) => [k, stream(v)])),
    childEnv: r.childEnv.map(stream).sort(),
  };
}

/** Each entry's time the same to within a microsecond (a folder's is set from a double: task-links.ts). */
function sameTimes(a: TreeReport, b: TreeReport): void {
  expect(a.tree.map((e) => e.path)).toEqual(b.tree.map((e) => e.path));
  for (const [i, e] of a.tree.entries()) {
    expect(Math.abs(e.mtimeMs - (b.tree[i]?.mtimeMs ?? 0)), e.path).toBeLessThan(0.001);
  }
}

describe.skipIf(!usable)('pre-started runtimes in sandboxes', () => {
  it('give a cold start a sandbox started before its function, which sees what a fresh one sees', async () => {
    const p = pool(2);
    const first = await invoke<TreeReport>(p, spec('a', { environment: { MY_VAR: 'a' } }));
    const [blank, ...more] = await p.prestartedRuntimes();
    expect(blank).toBeGreaterThan(0);
    expect(more).toEqual([]);
    expect(blank).not.toBe(first.pid);

    const b = spec('b', { environment: { MY_VAR: 'b', OTHER: 'x' } });
    const taken = await invoke<TreeReport>(p, b);
    expect(taken.pid).toBe(blank);
    const fresh = await invoke<TreeReport>(pool(0), b);
    expect(comparable(taken.report)).toEqual(comparable(fresh.report));
    sameTimes(taken.report, fresh.report);
    // The next blank of the same code is filled from a copy made meanwhile (TreeStock).
    const [second] = await p.prestartedRuntimes();
    const c = spec('c', { environment: { MY_VAR: 'b', OTHER: 'x' } });
    const again = await invoke<TreeReport>(p, c);
    expect(again.pid).toBe(second);
    const fresh2 = await invoke<TreeReport>(pools[1] ?? p, c);
    expect(comparable(again.report)).toEqual(comparable(fresh2.report));
    sameTimes(again.report, fresh2.report);
    // What the comparison covers, checked on its own as well.
    expect(taken.report.cwd).toBe('/var/task');
    expect(taken.report.env.LAMBDA_TASK_ROOT).toBe('/var/task');
    expect(taken.report.env.MY_VAR).toBe('b');
    expect(taken.report.helper).toBe('helper, through a symlink');
    expect(taken.report.root.mode & 0o777).toBe(0o555);
    expect(taken.report.tree.find((e) => e.path === '/var/task/via-link.js')?.link).toBe('lib/helper.js');
    expect(taken.report.tree.find((e) => e.path === '/var/task/lib')?.mode).toBe(0o40555);
    expect(taken.report.write).toBe('EROFS');
    expect(taken.report.overwrite).toBe('EROFS');
    if (process.getuid?.() === 0) {
      // A uid of its own: neither the environment that started it nor the next blank's.
      expect(taken.report.uid).not.toBe(first.report.uid);
      expect(taken.report.uid).toBeGreaterThanOrEqual(200_000);
    }
  });

  it('are not given a function with layers or a code root too large to link, nor one with another /tmp', async () => {
    const layer = mkdtempSync(path.join(base, 'layer-'));
    mkdirSync(path.join(layer, 'nodejs'));
    const large = codeRoot(path.join(base, 'large'), MAX_LINKED_ENTRIES);
    const p = pool(2);
    await invoke(p, spec('a'));
    const [blank] = await p.prestartedRuntimes();
    expect((await invoke(p, spec('layered', { layerDirs: [layer] }))).pid).not.toBe(blank);
    expect((await invoke(p, spec('large', { codeDir: large }))).pid).not.toBe(blank);
    expect((await invoke(p, spec('tmp', { ephemeralStorageMb: 1024 }))).pid).not.toBe(blank);
    expect(await p.prestartedRuntimes()).toContain(blank);
    // And a function like the first takes it.
    expect((await invoke(p, spec('c'))).pid).toBe(blank);
  });

  it('are ready at start for the usual first launch, in a sandbox too', async () => {
    const p = pool(2);
    await p.start();
    const ready = await p.prestartedRuntimes();
    expect(ready.length).toBeGreaterThanOrEqual(1);
    expect(ready).toContain((await invoke(p, spec('first'))).pid);
  });

  it('remove their /var/task folders when they end', async () => {
    const p = pool(1);
    await invoke(p, spec('a'));
    await p.prestartedRuntimes();
    await invoke(p, spec('b'));
    await p.prestartedRuntimes();
    const [run] = readdirSync(tasks);
    expect(readdirSync(path.join(tasks, run ?? '')).length).toBeGreaterThanOrEqual(2);
    await p.dispose();
    expect(readdirSync(tasks)).toEqual([]);
  });

  it('serve Python functions too', async () => {
    const python = execFileSync(
      'python3',
      ['-c', 'import sys; print("python%d.%d" % sys.version_info[:2])'],
      {
        encoding: 'utf8',
      },
    ).trim();
    const py = (name: string): EnvironmentSpec =>
      makeSpec('start-reporter', {
        functionName: name,
        key: `${name}/$LATEST@py`,
        runtime: python,
        handler: 'app.handler',
        codeDir: fileURLToPath(new URL('../fixtures/python/start-reporter', import.meta.url)),
        environment: { MY_VAR: name },
      });
    const p = pool(2);
    await invoke(p, py('a'));
    const [blank] = await p.prestartedRuntimes();
    const taken = await invoke<{ env: Record<string, string>; cwd: string; path: string[] }>(p, py('b'));
    expect(taken.pid).toBe(blank);
    const fresh = await invoke<{ env: Record<string, string>; cwd: string; path: string[] }>(
      pool(0),
      py('b'),
    );
    expect(taken.report.cwd).toBe('/var/task');
    expect(taken.report.path).toEqual(fresh.report.path);
    expect(taken.report.env.MY_VAR).toBe('b');
  });
});

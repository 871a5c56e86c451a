/**
 * The CLI as a user runs it (`hearth serve`, built into dist/ by `npm run build`): it prints
 * one ready line, serves, stops cleanly on SIGTERM/SIGINT, and refuses bad flags and an
 * unusable data dir with a clear message and a non-zero exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/hearth.js');
const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'hearth-cli-'));
  dirs.push(d);
  return d;
}

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /hearth listening on (http:\/\/\S+)\n/.exec(stdout);
      if (m?.[1] !== undefined) {
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  // Tests that expect a failure never await `ready`.
  ready.catch(() => undefined);
  return { child, ready, exited, out: () => ({ stdout, stderr }) };
}

afterAll(() => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGKILL');
    }
  }
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
  }
});

describe('hearth serve', () => {
  it('prints one ready line, serves, and stops cleanly on SIGTERM', async () => {
    const h = run([
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      tempDir(),
      '--log-level',
      'warn',
    ]);
    const url = await h.ready;
    expect(h.out().stdout).toBe(`hearth listening on ${url}\n`);
    const res = await fetch(`${url}/2015-03-31/functions`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ Functions: [] });
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
  });

  it('takes its settings from HEARTH_* variables and stops on SIGINT', async () => {
    const h = run(['serve'], {
      HEARTH_PORT: '0',
      HEARTH_DATA_DIR: tempDir(),
      HEARTH_LOG_LEVEL: 'silent',
      HEARTH_REGION: 'eu-west-1',
    });
    const url = await h.ready;
    const res = await fetch(`${url}/2016-08-19/account-settings`);
    expect(res.status).toBe(200);
    h.child.kill('SIGINT');
    expect(await h.exited).toBe(0);
  });

  it('refuses a bad flag', async () => {
    const h = run(['serve', '--bogus']);
    expect(await h.exited).toBe(2);
    expect(h.out().stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('refuses a bad value naming the key', async () => {
    const h = run(['serve', '--port', 'eighty']);
    expect(await h.exited).toBe(2);
    expect(h.out().stderr).toMatch(/port \(got "eighty"\)/);
  });

  it('takes switches as true/false and refuses anything else, naming the key', async () => {
    const h = run(['serve', '--port', '0', '--memory-cgroups', 'maybe']);
    expect(await h.exited).toBe(2);
    expect(h.out().stderr).toMatch(/memoryCgroups \(got "maybe"\): must be true or false/);
  });

  it('prints its version', async () => {
    const h = run(['--version']);
    expect(await h.exited).toBe(0);
    expect(h.out().stdout).toMatch(/^hearth \d+\.\d+\.\d+\n$/);
  });

  it('logs no second listening line beside its ready line', async () => {
    const h = run(['serve', '--port', '0', '--data-dir', tempDir(), '--log-level', 'info']);
    await h.ready;
    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
    expect(h.out().stderr).not.toMatch(/listening/i);
  });

  it('refuses a data dir that cannot be made, at once (/proc)', async () => {
    const h = run(['serve', '--port', '0', '--data-dir', '/proc/hearth-nope/data']);
    expect(await h.exited).not.toBe(0);
    expect(h.out().stderr).toMatch(/data dir \/proc\/hearth-nope\/data is not usable/);
  });

  it('refuses an unusable data dir', async () => {
    const file = path.join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const h = run(['serve', '--port', '0', '--data-dir', file]);
    expect(await h.exited).not.toBe(0);
    expect(h.out().stderr).toMatch(/data dir .*not-a-dir is not usable/);
  });
});

/**
 * `hearth serve` as a real process, for the e2e suites that kill it or run several: each
 * on port 0 with its own data dir (or a given one), a clean environment plus `env`, its
 * URL from the ready line, its stderr kept. `cleanup()` kills what is still running (and
 * waits for it), drops the suite's databases and removes the data dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve('bin/hearth.js');

export interface ServedHearth {
  readonly child: ChildProcess;
  /** Resolves with the listening URL; rejects with the exit code and stderr if it exits first. */
  readonly url: Promise<string>;
  readonly stderr: () => string;
  readonly dataDir: string;
}

export class HearthProcesses {
  readonly #children: ChildProcess[] = [];
  readonly #dirs: string[] = [];
  readonly #drops: (() => Promise<void>)[] = [];

  /** `hearth serve --port 0 --data-dir D ...args`. */
  start(
    args: readonly string[],
    opts: { env?: Record<string, string>; dataDir?: string; name?: string } = {},
  ): ServedHearth {
    const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), `hearth-${opts.name ?? 'e2e'}-`));
    this.#dirs.push(dataDir);
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    const url = new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /hearth listening on (http:\/\/\S+)\n/.exec(out);
        if (m?.[1] !== undefined) {
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`hearth exited ${code}: ${err}`)));
    });
    return { child, url, stderr: () => err, dataDir };
  }

  /** A database (or anything) to remove at cleanup. */
  onCleanup(drop: () => Promise<void>): void {
    this.#drops.push(drop);
  }

  async cleanup(): Promise<void> {
    const running = this.#children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) {
      c.kill('SIGKILL');
    }
    await Promise.all(running.map((c) => once(c, 'exit')));
    for (const drop of this.#drops) {
      await drop();
    }
    for (const d of this.#dirs) {
      rmSync(d, { recursive: true, force: true });
    }
  }
}

/**
 * Reads until `ok` (what a client does: the state is what hearth reports, not a timer),
 * with a deadline that names what it waited for.
 */
export async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = 90_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${JSON.stringify(v)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

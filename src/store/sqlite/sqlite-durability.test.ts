/**
 * A hard kill loses nothing acknowledged (ARCHITECTURE.md principle 7).
 *
 * A child process opens the store from the compiled dist/ build, writes without pause and
 * prints a line after each write's promise resolved; the test SIGKILLs it mid-stream,
 * reopens the database and checks that every write it saw acknowledged is there. Three
 * rounds on the same file, so WAL recovery after a kill is exercised too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fnKey } from '../store.contract.js';
import { openSqliteStore } from './sqlite-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const compiled = path.join(repoRoot, 'dist/store/sqlite/sqlite-store.js');
const sources = ['sqlite/sqlite-store.ts', 'sqlite/migrations.ts', 'cached-store.ts', 'frozen-json.ts'].map(
  (f) => path.join(here, '..', f),
);

/** The writer, as plain ESM so it runs on bare node: no test runner in the child. */
const writer = `
const { openSqliteStore } = await import(process.env.STORE_MODULE);
const store = await openSqliteStore(process.env.DB_FILE);
const config = {
  runtime: 'nodejs20.x', handler: 'index.handler', role: 'r', description: '', timeoutSec: 3,
  memoryMb: 128, architectures: ['x86_64'], ephemeralStorageMb: 512, tracingMode: 'PassThrough',
  logFormat: 'Text', codeSha256Hex: 'a'.repeat(64), codeSizeBytes: 1,
};
const version = (v) => ({ version: v, config, revisionId: 'r' + v, lastModifiedMs: 1 });
for (let i = Number(process.env.START); ; i++) {
  const key = { accountId: '111111111111', region: 'us-east-1', namespace: 'default', name: 'f' + i };
  await store.createFunction(
    { key, createdMs: i, latest: version('$LATEST'), lastPublishedVersion: 1, tags: {} },
    version('1'),
  );
  process.stdout.write('fn ' + i + '\\n');
  await store.putAlias(key, {
    name: 'live', functionVersion: '1', description: '', additionalVersionWeights: {},
    revisionId: 'a' + i, createdMs: 1, lastModifiedMs: 1,
  }, false);
  process.stdout.write('alias ' + i + '\\n');
  await store.putSettings({ accountId: '111111111111', region: 'us-east-1' }, { last: i });
  process.stdout.write('settings ' + i + '\\n');
}
`;

const children = new Set<ChildProcess>();

beforeAll(() => {
  // The child needs the compiled store; build it when missing or older than the sources
  // (plain \`vitest run\` does not build; \`npm test\` does).
  const builtAt = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  if (sources.some((s) => statSync(s).mtimeMs > builtAt)) {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'ignore' });
  }
  expect(existsSync(compiled), `${compiled} missing: run npm run build`).toBe(true);
}, 120_000);

afterEach(() => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
  children.clear();
});

interface Acks {
  functions: number[];
  aliases: number[];
  settings: number[];
}

/** Runs the writer from `start` and SIGKILLs it once `killAfter` acknowledgements arrived. */
function writeUntilKilled(dbFile: string, start: number, killAfter: number): Promise<Acks> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer], {
      env: {
        PATH: process.env.PATH,
        STORE_MODULE: pathToFileURL(compiled).href,
        DB_FILE: dbFile,
        START: String(start),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const acks: Acks = { functions: [], aliases: [], settings: [] };
    let count = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, n] = line.split(' ');
        const list = kind === 'fn' ? acks.functions : kind === 'alias' ? acks.aliases : acks.settings;
        list.push(Number(n));
        count += 1;
      }
      if (count >= killAfter) {
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (signal === 'SIGKILL') {
        resolve(acks);
      } else {
        reject(new Error(`writer exited early (code ${String(code)}): ${stderr}`));
      }
    });
  });
}

describe('sqlite store durability', () => {
  it('keeps every acknowledged write across SIGKILL', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hearth-durability-'));
    const dbFile = path.join(dir, 'hearth.db');
    try {
      const all: Acks = { functions: [], aliases: [], settings: [] };
      let next = 0;
      for (const killAfter of [150, 400, 75]) {
        const acks = await writeUntilKilled(dbFile, next, killAfter);
        expect(acks.functions.length).toBeGreaterThan(0);
        all.functions.push(...acks.functions);
        all.aliases.push(...acks.aliases);
        all.settings.push(...acks.settings);
        // Start the next round past anything the killed child may have committed unacknowledged.
        next = Math.max(...acks.functions) + 1_000;

        const store = await openSqliteStore(dbFile);
        try {
          for (const i of all.functions) {
            expect((await store.getFunction(fnKey(`f${i}`)))?.createdMs).toBe(i);
            expect((await store.getVersion(fnKey(`f${i}`), '1'))?.revisionId).toBe('r1');
          }
          for (const i of all.aliases) {
            expect((await store.getAlias(fnKey(`f${i}`), 'live'))?.revisionId).toBe(`a${i}`);
          }
          const last = (await store.getSettings({ accountId: '111111111111', region: 'us-east-1' })).last;
          expect(last).toBeGreaterThanOrEqual(Math.max(...acks.settings, -1));
        } finally {
          await store.close();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

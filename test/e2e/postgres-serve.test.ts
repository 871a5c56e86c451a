/**
 * `hearth serve --store postgres://…` as a user runs it: functions, aliases and provisioned
 * concurrency kept in PostgreSQL; a hard kill loses nothing acknowledged and the next
 * hearth on the database re-provisions; a second node on the same database sees the same
 * functions; an unreachable server is refused with one clear line. Needs a PostgreSQL server
 * (src/store/postgres/testing.ts says which, and when its absence fails the test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';
import { TEST_ACCOUNT, lambdaClient } from '../helpers/platform.js';
import { makeZip } from '../helpers/zip.js';

const BIN = path.resolve('bin/hearth.js');
const available = await postgresAvailable();
const dirs: string[] = [];
const children: ChildProcess[] = [];
const drops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of children) {
    c.kill('SIGKILL');
  }
  for (const drop of drops) {
    await drop();
  }
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
  }
});

function start(
  store: string,
  dataDir = mkdtempSync(path.join(tmpdir(), 'hearth-pg-')),
): { child: ChildProcess; url: Promise<string>; stderr: () => string; dataDir: string } {
  dirs.push(dataDir);
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--store', store, '--log-level', 'warn'],
    { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
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

async function waitReady(url: string): Promise<void> {
  const client = lambdaClient(url);
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      const c = await client.send(
        new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'kept', Qualifier: 'live' }),
      );
      if (c.Status === 'READY') {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`still ${c.Status}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.destroy();
  }
}

describe.skipIf(!available)('hearth serve --store postgres://', () => {
  it(
    'keeps what it acknowledged across kill -9, and a second node on the database sees it',
    { timeout: 120_000 },
    async () => {
      const db = await freshDatabase();
      drops.push(db.drop);
      const first = start(db.url);
      const url = await first.url;
      const client = lambdaClient(url);
      await client.send(
        new CreateFunctionCommand({
          FunctionName: 'kept',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
          Code: {
            ZipFile: await makeZip({
              'index.mjs': 'export const handler = async () => process.env.AWS_LAMBDA_INITIALIZATION_TYPE;',
            }),
          },
          Publish: true,
        }),
      );
      await client.send(new CreateAliasCommand({ FunctionName: 'kept', Name: 'live', FunctionVersion: '1' }));
      await client.send(
        new PutProvisionedConcurrencyConfigCommand({
          FunctionName: 'kept',
          Qualifier: 'live',
          ProvisionedConcurrentExecutions: 2,
        }),
      );
      await waitReady(url);
      client.destroy();

      // A second node on the same database serves the same functions.
      const second = start(db.url);
      const c2 = lambdaClient(await second.url);
      const seen = await c2.send(new GetFunctionCommand({ FunctionName: 'kept', Qualifier: 'live' }));
      expect(seen.Configuration?.Version).toBe('1');
      c2.destroy();
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');

      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      // Code packages stay in the data dir (one machine): the next hearth uses the same one.
      const third = start(db.url, first.dataDir);
      const url3 = await third.url;
      const c3 = lambdaClient(url3);
      const fn = await c3.send(new GetFunctionCommand({ FunctionName: 'kept', Qualifier: 'live' }));
      expect(fn.Configuration?.Version).toBe('1');
      await waitReady(url3).catch((e: unknown) => {
        throw new Error(`${String(e)}: ${third.stderr()}`);
      });
      const out = await c3.send(new InvokeCommand({ FunctionName: 'kept', Qualifier: 'live' }));
      expect(Buffer.from(out.Payload ?? []).toString()).toBe('"provisioned-concurrency"');
      c3.destroy();
      third.child.kill('SIGTERM');
      await once(third.child, 'exit');
    },
  );

  it('says in one line when PostgreSQL cannot be reached, and exits 2', async () => {
    const s = start('postgres://hearth:secret@127.0.0.1:1/none');
    await expect(s.url).rejects.toThrow();
    expect(s.child.exitCode).toBe(2);
    expect(s.stderr()).toMatch(
      /^hearth: cannot reach PostgreSQL at postgres:\/\/hearth:\*\*\*@127\.0\.0\.1:1\/none: .*\n$/,
    );
  });
});

/**
 * `hearth serve --store postgres://…` as a user runs it: functions, aliases and provisioned
 * concurrency kept in PostgreSQL; a hard kill loses nothing acknowledged and the next
 * hearth on the database re-provisions; a second node on the same database sees the same
 * functions; an unreachable server is refused with one clear line. Needs a PostgreSQL server
 * (src/store/postgres/testing.ts says which, and when its absence fails the test).
 */
import { once } from 'node:events';
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
import { HearthProcesses, until, type ServedHearth } from '../helpers/serve.js';
import { makeZip } from '../helpers/zip.js';

const available = await postgresAvailable();
const hearths = new HearthProcesses();

afterAll(() => hearths.cleanup());

const start = (store: string, dataDir?: string): ServedHearth =>
  hearths.start(['--store', store, '--log-level', 'warn'], { name: 'pg', ...(dataDir ? { dataDir } : {}) });

async function waitReady(url: string): Promise<void> {
  const client = lambdaClient(url);
  try {
    await until(
      () =>
        client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: 'kept', Qualifier: 'live' })),
      (c) => c.Status === 'READY',
      'kept:live READY',
      30_000,
    );
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
      hearths.onCleanup(db.drop);
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

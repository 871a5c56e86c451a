/**
 * The built log store (dist/) writes on its worker thread: lines appended on the main
 * thread are readable after a flush, deletions and retention run there too, and close
 * writes the rest. (Tests from sources run the same writer inline.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { SqliteLogStore as Store, LogStoreOptions } from '../../src/store/logs/sqlite-log-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hearth-log-worker-'));
const built = pathToFileURL(path.resolve('dist/store/logs/sqlite-log-store.js')).href;
const { SqliteLogStore } = (await import(built)) as { SqliteLogStore: new (o: LogStoreOptions) => Store };
const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('writes on its own thread, with read-your-writes, and keeps what close wrote', async () => {
  const file = path.join(dir, 'logs.db');
  let s = new SqliteLogStore({ file, maxBytes: 1 << 30 });
  expect(s.threaded).toBe(true);
  const write = (text: string, group = '/aws/lambda/f') =>
    s.append({ scope, group, stream: 's', functionName: 'f', text });
  const all = async (group = '/aws/lambda/f') =>
    ((await s.filter(scope, group, { limit: 100, scanLimit: 100, matches: () => true }))?.events ?? []).map(
      (e) => e.message,
    );
  write('START RequestId: r Version: 1\nhello\n');
  write(
    'END RequestId: r\nREPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\t\n',
  );
  expect(await all()).toHaveLength(4);
  expect(
    (
      await s.invocations(scope, '/aws/lambda/f', {
        functionName: 'f',
        descending: true,
        offset: 0,
        limit: 5,
      })
    ).total,
  ).toBe(1);
  write('other\n', '/g');
  expect(await s.deleteGroup(scope, '/g')).toBe(true);
  expect(await s.deleteGroup(scope, '/g')).toBe(false);
  expect(await s.setRetention(scope, '/aws/lambda/f', 7)).toBe(true);
  write('unfinished');
  await s.close();
  s = new SqliteLogStore({ file, maxBytes: 1 << 30 });
  expect((await all()).at(-1)).toBe('unfinished');
  expect((await s.getGroup(scope, '/aws/lambda/f'))?.retentionDays).toBe(7);
  await s.close();
});

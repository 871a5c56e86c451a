/**
 * The built PostgreSQL log store (dist/) writes on its worker thread: lines appended on
 * the main thread are readable after a flush, deletions and retention run there too, and
 * close writes the rest. (Tests from sources run the same writer inline.)
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Built from '../../src/store/logs/postgres-log-store.js';
import { freshDatabase, postgresAvailable } from '../../src/store/postgres/testing.js';

const available = await postgresAvailable();
const built = pathToFileURL(path.resolve('dist/store/logs/postgres-log-store.js')).href;
const { openPostgresLogStore } = (await import(built)) as typeof Built;
const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };

describe.skipIf(!available)('the built PostgreSQL log store', () => {
  let drop: () => Promise<void> = () => Promise.resolve();
  afterAll(() => drop());

  it('writes on its own thread, with read-your-writes, and keeps what close wrote', async () => {
    const db = await freshDatabase();
    drop = db.drop;
    const errors: unknown[] = [];
    let s = await openPostgresLogStore({ url: db.url, maxBytes: 1 << 30, onError: (e) => errors.push(e) });
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
    const inv = await s.invocations(scope, '/aws/lambda/f', {
      functionName: 'f',
      descending: true,
      offset: 0,
      limit: 5,
    });
    expect(inv.total).toBe(1);
    write('other\n', '/g');
    expect(await s.deleteGroup(scope, '/g')).toBe(true);
    expect(await s.deleteGroup(scope, '/g')).toBe(false);
    expect(await s.setRetention(scope, '/aws/lambda/f', 7)).toBe(true);
    expect(await s.totalBytes()).toBeGreaterThan(0);
    write('unfinished');
    await s.close();
    s = await openPostgresLogStore({ url: db.url, maxBytes: 1 << 30 });
    expect((await all()).at(-1)).toBe('unfinished');
    expect((await s.getGroup(scope, '/aws/lambda/f'))?.retentionDays).toBe(7);
    await s.close();
    expect(errors).toEqual([]);
  });
});

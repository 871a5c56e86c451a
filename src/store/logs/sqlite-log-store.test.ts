import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteLogStore, type LogStoreOptions } from './sqlite-log-store.js';

const scope = { accountId: '123456789012', region: 'us-east-1', namespace: 'default' };
const DAY = 86_400_000;
let dir: string;
let now: number;

const open = (o: Partial<LogStoreOptions> = {}) =>
  new SqliteLogStore({ file: path.join(dir, 'logs.db'), maxBytes: 1 << 30, now: () => now, ...o });

const write = (s: SqliteLogStore, text: string, stream = 's1', group = '/aws/lambda/f') =>
  s.append({ scope, group, stream, functionName: 'f', text });

const all = async (s: SqliteLogStore, group = '/aws/lambda/f') =>
  (
    (await s.filter(scope, group, { limit: 10_000, scanLimit: 10_000, matches: () => true }))?.events ?? []
  ).map((e) => e.message);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hearth-logs-'));
  now = 1_700_000_000_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteLogStore', () => {
  it('splits chunks into line events, joining a line written in pieces', async () => {
    const s = open();
    write(s, 'one\ntw');
    write(s, 'o\nthree\n');
    write(s, 'dangling');
    // A platform line ends the function's unfinished line first.
    write(s, 'END RequestId: r1\n');
    expect(await all(s)).toEqual(['one', 'two', 'three', 'dangling', 'END RequestId: r1']);
    await s.close();
  });

  it('keeps what was appended across close and reopen, and indexes invocations', async () => {
    let s = open();
    write(s, 'START RequestId: r1 Version: $LATEST\n');
    write(s, 'hello\n');
    write(
      s,
      'END RequestId: r1\nREPORT RequestId: r1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n',
    );
    await s.close();
    s = open();
    expect(await all(s)).toHaveLength(4);
    const inv = await s.invocations(scope, '/aws/lambda/f', {
      functionName: 'f',
      descending: true,
      offset: 0,
      limit: 10,
    });
    expect(inv.total).toBe(1);
    expect(inv.items[0]).toMatchObject({
      requestId: 'r1',
      version: '$LATEST',
      durationMs: 1.5,
      billedMs: 2,
      maxMemoryUsedMb: 40,
      status: 'success',
    });
    expect(inv.items[0]?.log.split('\n')).toHaveLength(4);
    await s.close();
  });

  it('drops events older than a group retention, keeping byte counts true', async () => {
    const s = open();
    write(s, 'old\n');
    await s.flush();
    now += 3 * DAY;
    write(s, 'new\n');
    expect(await s.setRetention(scope, '/aws/lambda/f', 1)).toBe(true);
    expect(await all(s)).toEqual(['new']);
    expect((await s.getGroup(scope, '/aws/lambda/f'))?.storedBytes).toBe(3);
    expect(await s.totalBytes()).toBe(3);
    expect(await s.setRetention(scope, '/aws/lambda/none', 1)).toBe(false);
    await s.close();
  });

  it('removes the oldest events across groups once the size cap is passed', async () => {
    const s = open({ maxBytes: 1000 });
    for (let i = 0; i < 30; i++) {
      write(s, `${String(i).padStart(2, '0')}${'x'.repeat(98)}\n`, 's1', i % 2 === 0 ? '/a' : '/b');
      await s.flush();
    }
    expect(await s.totalBytes()).toBeLessThanOrEqual(1000);
    const left = [...(await all(s, '/a')), ...(await all(s, '/b'))]
      .map((m) => Number(m.slice(0, 2)))
      .sort((x, y) => x - y);
    expect(left.at(-1)).toBe(29);
    expect(left[0]).toBeGreaterThanOrEqual(20);
    expect(left.length).toBeLessThanOrEqual(10);
    await s.close();
  });
});

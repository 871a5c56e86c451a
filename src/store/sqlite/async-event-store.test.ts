import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncEvent, runAsyncEventStoreContract } from '../async-event-store.contract.js';
import {
  openSqliteAsyncEventStore,
  PENDING_AFTER_SQL,
  type SqliteAsyncEventStore,
} from './async-event-store.js';

runAsyncEventStoreContract('sqlite', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hearth-events-'));
  const file = path.join(dir, 'events.db');
  return {
    store: await openSqliteAsyncEventStore(file),
    reopen: () => openSqliteAsyncEventStore(file),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

runAsyncEventStoreContract(
  'sqlite :memory:',
  async () => ({ store: await openSqliteAsyncEventStore(':memory:'), cleanup: () => Promise.resolve() }),
  {
    'persists across reopen': 'an in-memory database ends with its connection',
    'claims what an earlier open left pending, oldest first, once; never its own':
      'an in-memory database ends with its connection',
  },
);

const stores: SqliteAsyncEventStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) {
    await s.close();
  }
});

it('commits the writes of one tick in one transaction (group commit)', async () => {
  const store = await openSqliteAsyncEventStore(':memory:');
  stores.push(store);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => store.add(asyncEvent(`g${i}`))));
  expect(store.commitStats).toEqual({ transactions: 1, writes: 1000 });
  // Writes of different ticks are different transactions.
  await store.finish('g0', 'succeeded', 1, 1);
  await store.finish('g1', 'succeeded', 1, 1);
  expect(store.commitStats).toEqual({ transactions: 3, writes: 1002 });
});

it('commits every write alone when grouping is off (the benchmark baseline)', async () => {
  const store = await openSqliteAsyncEventStore(':memory:', { grouped: false });
  stores.push(store);
  await Promise.all(Array.from({ length: 10 }, (_, i) => store.add(asyncEvent(`s${i}`))));
  expect(store.commitStats).toEqual({ transactions: 10, writes: 10 });
});

describe('claimDue after a restart (one owner)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hearth-events-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A store whose previous open left `n` events pending (ids p0…, oldest first). */
  const leftPending = async (n: number): Promise<SqliteAsyncEventStore> => {
    const file = path.join(dir, 'events.db');
    const first = await openSqliteAsyncEventStore(file);
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        first.add(asyncEvent(`p${String(i).padStart(5, '0')}`, { enqueuedMs: 1_000 + Math.floor(i / 3) })),
      ),
    );
    await first.close();
    const store = await openSqliteAsyncEventStore(file);
    stores.push(store);
    return store;
  };

  it('reads each pending row once, however many pages claim them', async () => {
    const store = await leftPending(3_000);
    // This open's own events, among the old ones in time: held, never claimed.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.add(asyncEvent(`own${i}`, { enqueuedMs: 1_000 + i * 20 }))),
    );
    const claimed: string[] = [];
    for (let page = await store.claimDue(100); page.length > 0; page = await store.claimDue(100)) {
      claimed.push(...page.map((e) => e.requestId));
    }
    expect(claimed).toHaveLength(3_000);
    expect(claimed).toEqual([...claimed].sort());
    expect(new Set(claimed).size).toBe(3_000);
    // Before keyset pages: every page re-read the rows of every page before it (~46,000).
    expect(store.claimStats.rowsRead).toBeLessThanOrEqual(3_050);
    expect(await store.renewClaims()).toBe(3_050);
  });

  it('holds nothing for an add that failed: the event it duplicated is still claimed', async () => {
    const store = await leftPending(3);
    // p00001 is an earlier run's pending event: a second add of it fails, and it is still claimable.
    await expect(store.add(asyncEvent('p00001'))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await store.claimDue(10)).map((e) => e.requestId)).toEqual(['p00000', 'p00001', 'p00002']);
    expect(await store.renewClaims()).toBe(3);
  });

  it('keeps holding its own event when a duplicate add of it fails', async () => {
    const store = await leftPending(0);
    await store.add(asyncEvent('own'));
    await expect(store.add(asyncEvent('own'))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await store.claimDue(10)).toEqual([]);
    expect(await store.renewClaims()).toBe(1);
  });

  it('claims an earlier pending event skipped while a failed add held its id', async () => {
    const store = await leftPending(3);
    const dup = store.add(asyncEvent('p00002'));
    // Claimed while the add is in flight: p00002 is held by it and passed over.
    expect((await store.claimDue(10)).map((e) => e.requestId)).toEqual(['p00000', 'p00001']);
    await expect(dup).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await store.claimDue(10)).map((e) => e.requestId)).toEqual(['p00002']);
  });
});

it("claimDue's page starts at its place in the pending index (a search, not a scan)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hearth-events-'));
  try {
    const file = path.join(dir, 'events.db');
    await (await openSqliteAsyncEventStore(file)).close();
    const db = new Database(file, { readonly: true });
    try {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${PENDING_AFTER_SQL}`).all(0, '', 10) as {
        detail: string;
      }[];
      expect(plan.map((r) => r.detail).join('\n')).toMatch(
        /SEARCH async_events USING INDEX async_events_pending/,
      );
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

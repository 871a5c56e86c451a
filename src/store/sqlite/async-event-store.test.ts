import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { asyncEvent, runAsyncEventStoreContract } from '../async-event-store.contract.js';
import { openSqliteAsyncEventStore, type SqliteAsyncEventStore } from './async-event-store.js';

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

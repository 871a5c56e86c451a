/**
 * The PostgreSQL AsyncEventStore: the contract every store passes, then what only a shared
 * store does (issue 14 item 5): two owners on one database, each event run by one of them
 * while it lives, an owner's expired claims taken over, a settled event settled once, and
 * two EventQueues (two nodes) draining one burst between them.
 */
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventQueue, realTimers } from '../../core/invoke/event-queue.js';
import type { AsyncEventRecord, InvocationOutcome } from '../../core/ports.js';
import { asyncEvent, runAsyncEventStoreContract } from '../async-event-store.contract.js';
import {
  MAX_PAYLOAD_BYTES_PER_STATEMENT,
  MAX_ROWS_PER_STATEMENT,
  openPostgresAsyncEventStore,
  statementBatches,
  type PostgresAsyncEventStore,
} from './async-event-store.js';
import { freshDatabase, postgresAvailable } from './testing.js';

const available = await postgresAvailable();

describe.skipIf(!available)('postgres async event store', () => {
  runAsyncEventStoreContract('postgres', async () => {
    const db = await freshDatabase();
    return {
      store: await openPostgresAsyncEventStore(db.url, { owner: 'node-a' }),
      reopen: () => openPostgresAsyncEventStore(db.url, { owner: 'node-a' }),
      cleanup: db.drop,
    };
  });

  const drops: (() => Promise<void>)[] = [];
  const stores: PostgresAsyncEventStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) {
      await s.close();
    }
    for (const drop of drops.splice(0)) {
      await drop();
    }
  });
  const database = async (): Promise<string> => {
    const db = await freshDatabase();
    drops.push(db.drop);
    return db.url;
  };
  const open = async (url: string, owner: string, leaseMs = 60_000) => {
    const s = await openPostgresAsyncEventStore(url, { owner, leaseMs });
    stores.push(s);
    return s;
  };

  it('writes a burst in statements of at most MAX_ROWS_PER_STATEMENT rows', async () => {
    const url = await database();
    const a = await open(url, 'node-a');
    const rows: number[] = [];
    // Every statement the store sends goes through its pool's query(): count the rows of each write.
    const query = Reflect.get(pg.Pool.prototype, 'query') as (...args: unknown[]) => unknown;
    const spy = vi.spyOn(pg.Pool.prototype, 'query').mockImplementation(function (
      this: pg.Pool,
      ...args: unknown[]
    ) {
      const [sql, params] = args;
      if (typeof sql === 'string' && /^\s*(INSERT|UPDATE)/.test(sql) && Array.isArray(params)) {
        const first: unknown = params[0];
        if (Array.isArray(first)) {
          rows.push(first.length);
        }
      }
      return query.apply(this, args) as never;
    });
    try {
      const n = MAX_ROWS_PER_STATEMENT * 2 + 7;
      await Promise.all(Array.from({ length: n }, (_, i) => a.add(asyncEvent(`b${i}`, { enqueuedMs: i }))));
      expect(rows).toEqual([MAX_ROWS_PER_STATEMENT, MAX_ROWS_PER_STATEMENT, 7]);
      rows.length = 0;
      await Promise.all(Array.from({ length: n }, (_, i) => a.finish(`b${i}`, 'succeeded', 5, 1)));
      expect(rows).toEqual([MAX_ROWS_PER_STATEMENT, MAX_ROWS_PER_STATEMENT, 7]);
    } finally {
      spy.mockRestore();
    }
    expect(await a.listPending()).toEqual([]);
    expect(await a.find(`b${MAX_ROWS_PER_STATEMENT * 2 + 6}`)).toMatchObject({ status: 'succeeded' });
  });

  it('two owners: a live owner keeps its events, claims never overlap, settlement is the holder’s, once', async () => {
    const url = await database();
    const [a, b] = await Promise.all([open(url, 'node-a'), open(url, 'node-b')]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.add(asyncEvent(`a${i}`, { enqueuedMs: i }))));
    // A holds what it added, with a live lease: B takes nothing.
    expect(await b.claimDue(100)).toEqual([]);
    expect(await a.renewClaims()).toBe(20);
    // B cannot settle or reschedule what A holds.
    await b.finish('a0', 'succeeded', 5, 1);
    await b.reschedule('a1', 9, 9, 9);
    expect(await a.find('a0')).toMatchObject({ status: 'pending' });
    expect((await a.listPending()).find((e) => e.requestId === 'a1')).toMatchObject({ attempts: 0 });
    await a.finish('a0', 'succeeded', 5, 1);
    await a.finish('a0', 'failed', 6, 2);
    expect(await b.find('a0')).toMatchObject({ status: 'succeeded', endMs: 5, attempts: 1 });
  });

  it("an owner's expired claims are taken over, each by one node, and the old holder cannot settle them", async () => {
    const url = await database();
    // The others are open first, and the lease is long enough that a loaded machine's
    // inserts do not outlast it before the first claim.
    const [b, c] = await Promise.all([open(url, 'node-b'), open(url, 'node-c')]);
    const dead = await open(url, 'node-dead', 2000);
    await Promise.all(Array.from({ length: 50 }, (_, i) => dead.add(asyncEvent(`d${i}`, { enqueuedMs: i }))));
    expect(await b.claimDue(100)).toEqual([]);
    // No renewal: the lease runs out (the database's clock decides).
    const deadline = Date.now() + 10_000;
    let got: AsyncEventRecord[][] = [[], []];
    while (got[0]?.length === 0 && got[1]?.length === 0 && Date.now() < deadline) {
      got = await Promise.all([b.claimDue(30), c.claimDue(30)]);
    }
    // Then everything left, by either (each row's lease ran from its own insert time, so
    // on a loaded machine the last ones may expire a little later than the first).
    while ((got[0]?.length ?? 0) + (got[1]?.length ?? 0) < 50 && Date.now() < deadline) {
      const [more0, more1] = await Promise.all([b.claimDue(100), c.claimDue(100)]);
      got[0]?.push(...more0);
      got[1]?.push(...more1);
    }
    const ids = [...(got[0] ?? []), ...(got[1] ?? [])].map((e) => e.requestId);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
    // One of one node's (on a loaded machine either may have taken all 50).
    const [holder, other, held] = (got[0]?.length ?? 0) > 0 ? [b, c, got[0]] : [c, b, got[1]];
    const first = held?.[0]?.requestId ?? '';
    expect(first).not.toBe('');
    // The old holder lost them: its settlement changes nothing.
    await dead.finish(first, 'failed', 1, 1);
    expect(await holder.find(first)).toMatchObject({ status: 'pending' });
    await holder.finish(first, 'succeeded', 2, 1);
    expect(await other.find(first)).toMatchObject({ status: 'succeeded' });
  });

  it('a node restarted with the same id takes its own events back at once', async () => {
    const url = await database();
    const before = await open(url, 'node-a');
    await before.add(asyncEvent('mine'));
    const after = await open(url, 'node-a');
    expect((await after.claimDue(10)).map((e) => e.requestId)).toEqual(['mine']);
    expect(await before.renewClaims()).toBe(0);
  });

  it('two queues (two nodes) on one database run a burst once each; a dead node’s events run on the other', async () => {
    const url = await database();
    const ran = new Map<string, string[]>();
    let allRan!: () => void;
    const seventy = new Promise<void>((resolve) => (allRan = resolve));
    const node = async (owner: string, leaseMs: number) => {
      const store = await open(url, owner, leaseMs);
      const q = new EventQueue({
        store,
        capacityPerAccount: 10_000,
        workers: 8,
        retryDelaysMs: [60_000],
        throttleBackoffMs: 1_000,
        defaultPolicy: { maximumRetryAttempts: 0, maxEventAgeMs: 3_600_000 },
        timers: realTimers,
        claimIntervalMs: leaseMs / 3,
        run: (ev) => {
          ran.set(ev.requestId, [...(ran.get(ev.requestId) ?? []), owner]);
          if (ran.size === 70) {
            allRan();
          }
          return Promise.resolve(success(ev.requestId));
        },
      });
      await q.recover();
      return { store, q };
    };
    // Node "gone" accepts 30 events and dies before running them (its queue never runs).
    const gone = await open(url, 'node-gone', 300);
    const now = Date.now();
    const fresh = (id: string) => asyncEvent(id, { enqueuedMs: now, notBeforeMs: now });
    await Promise.all(Array.from({ length: 30 }, (_, i) => gone.add(fresh(`g${i}`))));
    const a = await node('node-a', 300);
    const b = await node('node-b', 300);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).q.enqueue(fresh(`n${i}`))));
    // The dead node's 30 run once its lease (0.3 s) has expired and a claim tick took them.
    await seventy;
    await Promise.all([a.q.idle(), b.q.idle()]);
    a.q.close();
    b.q.close();
    expect(ran.size).toBe(70);
    expect([...ran.values()].every((owners) => owners.length === 1)).toBe(true);
    // Each node ran what it accepted; the dead node's went to the live ones.
    expect(ran.get('n1')).toEqual(['node-a']);
    expect(ran.get('n0')).toEqual(['node-b']);
    expect(await a.store.listPending()).toEqual([]);
  });
});

function success(requestId: string): InvocationOutcome {
  return {
    kind: 'success',
    requestId,
    executedVersion: '$LATEST',
    durationMs: 1,
    initializationType: 'on-demand',
    payload: Buffer.from('1'),
    contentType: 'application/json',
  };
}

describe('statementBatches', () => {
  it('cuts in order at MAX_ROWS_PER_STATEMENT rows or MAX_PAYLOAD_BYTES_PER_STATEMENT bytes', () => {
    const ids = Array.from({ length: MAX_ROWS_PER_STATEMENT + 1 }, (_, i) => i);
    expect(statementBatches(ids, () => 0).map((b) => b.length)).toEqual([MAX_ROWS_PER_STATEMENT, 1]);
    expect(statementBatches(ids, () => 0).flat()).toEqual(ids);
    const half = MAX_PAYLOAD_BYTES_PER_STATEMENT / 2;
    expect(statementBatches([half, half, 1, MAX_PAYLOAD_BYTES_PER_STATEMENT * 2, 1], (n) => n)).toEqual([
      [half, half],
      [1],
      [MAX_PAYLOAD_BYTES_PER_STATEMENT * 2],
      [1],
    ]);
    expect(statementBatches([], () => 0)).toEqual([]);
  });
});

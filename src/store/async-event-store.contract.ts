/**
 * The AsyncEventStore port's contract (SQLite now, PostgreSQL later; the memory store in
 * core runs it too): `runAsyncEventStoreContract('sqlite', factory)` in a backend's test.
 * Skips work as in store.contract.ts: by case name, with a reason.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError } from '../core/errors.js';
import type { FunctionKey } from '../core/model.js';
import type { AsyncEventRecord, AsyncEventStore, EventInvokeConfigRecord } from '../core/ports.js';

export interface AsyncEventStoreUnderTest {
  readonly store: AsyncEventStore;
  /** Opens the same data again; the suite closes `store` first. Omit for non-durable backends. */
  readonly reopen?: () => Promise<AsyncEventStore>;
  readonly cleanup: () => Promise<void>;
}

const fnA: FunctionKey = { accountId: '111111111111', region: 'us-east-1', namespace: 'default', name: 'a' };
const fnB: FunctionKey = { ...fnA, name: 'b' };
const fnOther: FunctionKey = { ...fnA, accountId: '222222222222' };

export function asyncEvent(requestId: string, overrides: Partial<AsyncEventRecord> = {}): AsyncEventRecord {
  return {
    requestId,
    key: fnA,
    version: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:a',
    payload: Buffer.from(`{"id":"${requestId}"}`),
    enqueuedMs: 1_000,
    attempts: 0,
    throttles: 0,
    notBeforeMs: 1_000,
    ...overrides,
  };
}

const config = (qualifier: string, over: Partial<EventInvokeConfigRecord> = {}): EventInvokeConfigRecord => ({
  qualifier,
  maximumRetryAttempts: 1,
  maximumEventAgeSec: 600,
  onFailure: { arn: 'arn:aws:lambda:us-east-1:111111111111:function:dlq', key: { ...fnA, name: 'dlq' } },
  lastModifiedMs: 5,
  ...over,
});

export function runAsyncEventStoreContract(
  name: string,
  open: () => Promise<AsyncEventStoreUnderTest>,
  skip: Partial<Record<string, string>> = {},
): void {
  const registered = new Set<string>();
  let current: AsyncEventStoreUnderTest;
  let store: AsyncEventStore;
  let opened: AsyncEventStore[] = [];

  const reopened = async (): Promise<AsyncEventStore> => {
    if (current.reopen === undefined) {
      throw new Error('the factory gave no reopen(); skip this case with a reason');
    }
    await store.close();
    store = await current.reopen();
    opened.push(store);
    return store;
  };
  const test = (title: string, body: () => Promise<void>): void => {
    registered.add(title);
    const reason = skip[title];
    if (reason === undefined) {
      it(title, body);
    } else if (reason.trim() === '') {
      it(title, () => {
        throw new Error(`skip of "${title}" has no reason`);
      });
    } else {
      it.skip(`${title} (${reason})`, body);
    }
  };

  describe(`AsyncEventStore contract: ${name}`, () => {
    beforeEach(async () => {
      current = await open();
      store = current.store;
      opened = [store];
    });
    afterEach(async () => {
      for (const s of opened) {
        await s.close();
      }
      await current.cleanup();
    });

    test('keeps an added event pending with every field', async () => {
      const ev = asyncEvent('r1', {
        qualifier: 'live',
        version: '3',
        clientContext: '{"a":1}',
        traceId: 'Root=1-abc',
      });
      await store.add(ev);
      const [got] = await store.listPending();
      expect(got).toEqual({ ...ev, payload: expect.any(Buffer) as unknown });
      expect(got?.payload.equals(ev.payload)).toBe(true);
      expect(await store.get(fnA, 'r1')).toEqual({
        requestId: 'r1',
        key: fnA,
        version: '3',
        qualifier: 'live',
        status: 'pending',
        enqueuedMs: 1_000,
        attempts: 0,
      });
    });

    test('lists pending events oldest first, and a burst issued in one tick', async () => {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => store.add(asyncEvent(`e${i}`, { enqueuedMs: 10_000 - i }))),
      );
      const pending = await store.listPending();
      expect(pending).toHaveLength(200);
      expect(pending[0]?.requestId).toBe('e199');
      expect(pending[199]?.requestId).toBe('e0');
    });

    test('refuses a duplicate request id without failing the writes beside it', async () => {
      await store.add(asyncEvent('dup'));
      const results = await Promise.allSettled([
        store.add(asyncEvent('x1')),
        store.add(asyncEvent('dup')),
        store.add(asyncEvent('x2')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const reason: unknown = (results[1] as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(PlatformError);
      expect((reason as PlatformError).code).toBe('INTERNAL');
      expect((await store.listPending()).map((e) => e.requestId).sort()).toEqual(['dup', 'x1', 'x2']);
    });

    test('reschedules a pending event', async () => {
      await store.add(asyncEvent('r1'));
      await store.reschedule('r1', 2, 3, 99_000);
      expect(await store.listPending()).toMatchObject([
        { requestId: 'r1', attempts: 2, throttles: 3, notBeforeMs: 99_000 },
      ]);
    });

    test('a finished event leaves the queue and keeps its summary', async () => {
      await store.add(asyncEvent('ok'));
      await store.add(asyncEvent('bad'));
      await store.reschedule('bad', 3, 0, 5_000);
      await Promise.all([store.finish('ok', 'succeeded', 2_000, 1), store.finish('bad', 'failed', 3_000, 3)]);
      expect(await store.listPending()).toEqual([]);
      expect(await store.get(fnA, 'ok')).toMatchObject({ status: 'succeeded', endMs: 2_000, attempts: 1 });
      expect(await store.get(fnA, 'bad')).toMatchObject({ status: 'failed', endMs: 3_000, attempts: 3 });
      // Settled is final: neither a second finish nor a reschedule changes it.
      await store.finish('ok', 'terminated', 9_000, 1);
      await store.reschedule('ok', 1, 1, 1);
      expect(await store.get(fnA, 'ok')).toMatchObject({ status: 'succeeded', endMs: 2_000 });
      expect(await store.listPending()).toEqual([]);
    });

    test('get and list see only the named function', async () => {
      await store.add(asyncEvent('a1'));
      await store.add(asyncEvent('b1', { key: fnB }));
      await store.add(asyncEvent('o1', { key: fnOther }));
      expect(await store.get(fnB, 'a1')).toBeUndefined();
      expect(await store.find('a1')).toMatchObject({ requestId: 'a1', key: fnA });
      expect(await store.find('missing')).toBeUndefined();
      expect(await store.get(fnA, 'missing')).toBeUndefined();
      const listed = await store.list(fnA, {});
      expect(listed).toEqual({ events: [expect.objectContaining({ requestId: 'a1' })], total: 1 });
    });

    test('lists with filters, order and paging', async () => {
      for (let i = 0; i < 6; i++) {
        await store.add(
          asyncEvent(`l${i}`, { enqueuedMs: 100 + i, ...(i % 2 === 0 ? { qualifier: 'live' } : {}) }),
        );
      }
      await store.finish('l0', 'succeeded', 500, 1);
      await store.finish('l1', 'terminated', 500, 1);
      const all = await store.list(fnA, {});
      expect(all.total).toBe(6);
      expect(all.events.map((e) => e.requestId)).toEqual(['l5', 'l4', 'l3', 'l2', 'l1', 'l0']);
      const asc = await store.list(fnA, { order: 'asc', offset: 1, limit: 2 });
      expect(asc).toMatchObject({ total: 6, events: [{ requestId: 'l1' }, { requestId: 'l2' }] });
      const live = await store.list(fnA, { qualifier: 'live' });
      expect(live.events.map((e) => e.requestId)).toEqual(['l4', 'l2', 'l0']);
      const settled = await store.list(fnA, { statuses: ['succeeded', 'terminated'] });
      expect(settled.events.map((e) => e.requestId)).toEqual(['l1', 'l0']);
      const window = await store.list(fnA, { fromMs: 102, toMs: 104 });
      expect(window.events.map((e) => e.requestId)).toEqual(['l3', 'l2']);
      expect((await store.list(fnA, { requestId: 'l3' })).total).toBe(1);
      expect((await store.list(fnA, { statuses: [] })).total).toBe(0);
    });

    test('prunes settled events that ended before an instant', async () => {
      await store.add(asyncEvent('old'));
      await store.add(asyncEvent('new'));
      await store.add(asyncEvent('live'));
      await store.finish('old', 'succeeded', 1_000, 1);
      await store.finish('new', 'succeeded', 5_000, 1);
      expect(await store.pruneSettled(2_000)).toBe(1);
      expect(await store.get(fnA, 'old')).toBeUndefined();
      expect(await store.get(fnA, 'new')).toBeDefined();
      expect(await store.listPending()).toMatchObject([{ requestId: 'live' }]);
    });

    test('keeps event invoke configs per function and qualifier', async () => {
      await store.putConfig(fnA, config('live'));
      await store.putConfig(
        fnA,
        config('$LATEST', {
          onSuccess: { arn: 'arn:x:live', key: fnB, qualifier: 'live' },
          extra: { RetryConfig: [] },
        }),
      );
      await store.putConfig(fnB, config(''));
      expect(await store.getConfig(fnA, 'live')).toEqual(config('live'));
      expect((await store.listConfigs(fnA)).map((c) => c.qualifier)).toEqual(['$LATEST', 'live']);
      await store.putConfig(fnA, config('live', { maximumRetryAttempts: 0 }));
      expect(await store.getConfig(fnA, 'live')).toMatchObject({ maximumRetryAttempts: 0 });
      await store.deleteConfigs(fnA, 'live');
      expect(await store.getConfig(fnA, 'live')).toBeUndefined();
      await store.deleteConfigs(fnA);
      expect(await store.listConfigs(fnA)).toEqual([]);
      expect(await store.listConfigs(fnB)).toHaveLength(1);
    });

    test('persists across reopen', async () => {
      // Not awaited one by one: the burst shares transactions, and each add is durable once resolved.
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.add(asyncEvent(`p${i}`, { enqueuedMs: i }))),
      );
      await store.reschedule('p1', 1, 0, 77);
      await store.finish('p0', 'failed', 10, 1);
      await store.putConfig(fnA, config('live'));
      const s = await reopened();
      const pending = await s.listPending();
      expect(pending).toHaveLength(49);
      expect(pending[0]).toMatchObject({ requestId: 'p1', attempts: 1, notBeforeMs: 77 });
      expect(pending[0]?.payload.toString()).toBe('{"id":"p1"}');
      expect(await s.get(fnA, 'p0')).toMatchObject({ status: 'failed' });
      expect(await s.getConfig(fnA, 'live')).toEqual(config('live'));
    });

    test('claims what an earlier open left pending, oldest first, once; never its own', async () => {
      for (let i = 0; i < 5; i++) {
        await store.add(asyncEvent(`c${i}`, { enqueuedMs: 100 - i }));
      }
      await store.finish('c0', 'succeeded', 1, 1);
      const s = await reopened();
      await s.add(asyncEvent('mine', { enqueuedMs: 1 }));
      const first = await s.claimDue(2);
      expect(first.map((e) => e.requestId)).toEqual(['c4', 'c3']);
      expect(first[0]?.payload.toString()).toBe('{"id":"c4"}');
      expect((await s.claimDue(10)).map((e) => e.requestId)).toEqual(['c2', 'c1']);
      expect(await s.claimDue(10)).toEqual([]);
      expect(await s.renewClaims()).toBe(5);
      // Held events are settled by their holder, once.
      await s.finish('c4', 'succeeded', 2, 1);
      expect(await s.renewClaims()).toBe(4);
      expect(await s.get(fnA, 'c4')).toMatchObject({ status: 'succeeded' });
    });

    test('rejects every call after close', async () => {
      await store.close();
      await expect(store.add(asyncEvent('late'))).rejects.toMatchObject({ code: 'INTERNAL' });
      await expect(store.listPending()).rejects.toMatchObject({ code: 'INTERNAL' });
    });

    it('skips only cases that exist', () => {
      for (const title of Object.keys(skip)) {
        expect(registered.has(title), `skip names no case: ${title}`).toBe(true);
      }
    });
  });
}

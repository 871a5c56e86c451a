import { describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import type { FunctionKey } from '../model.js';
import type { AsyncEventRecord, InvocationOutcome } from '../ports.js';
import { EventQueue, type EventQueueOptions, type Settlement, type Timers } from './event-queue.js';
import { MemoryAsyncEventStore } from './memory-event-store.js';
import { fakeOutcome } from '../services/testing/in-memory-ports.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeTimers implements Timers {
  t = 0;
  #pending: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const entry = { at: this.t + ms, fn, cancelled: false };
    this.#pending.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.#pending.filter((p) => p.at <= this.t && !p.cancelled);
    this.#pending = this.#pending.filter((p) => p.at > this.t && !p.cancelled);
    for (const p of due) {
      p.fn();
    }
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
};

const key: FunctionKey = { accountId: '111111111111', region: 'us-east-1', namespace: 'default', name: 'fn' };

const outcome = fakeOutcome;

function event(requestId: string, over: Partial<AsyncEventRecord> = {}): AsyncEventRecord {
  return {
    requestId,
    key,
    version: '1',
    invokedFunctionArn: 'arn',
    payload: Buffer.from('{}'),
    enqueuedMs: 0,
    attempts: 0,
    throttles: 0,
    notBeforeMs: 0,
    ...over,
  };
}

type Run = (ev: AsyncEventRecord) => Promise<InvocationOutcome>;

function queue(
  timers: FakeTimers,
  run: Run,
  over: Partial<EventQueueOptions> = {},
  store = new MemoryAsyncEventStore(),
) {
  const settled: { id: string; s: Settlement; attempts: number }[] = [];
  const q = new EventQueue({
    store,
    capacityPerAccount: 10,
    workers: 2,
    retryDelaysMs: [60_000, 120_000],
    throttleBackoffMs: 1_000,
    defaultPolicy: { maximumRetryAttempts: 2, maxEventAgeMs: 6 * 3600_000 },
    timers,
    run,
    onSettled: (ev, s, attempts) => (settled.push({ id: ev.requestId, s, attempts }), Promise.resolve()),
    ...over,
  });
  return { q, settled, store };
}

const throttle = () => Promise.reject(new PlatformError('THROTTLED_RESERVED', { functionName: 'fn' }));

describe('EventQueue', () => {
  it('runs an event once when it succeeds, and then it leaves the store', async () => {
    const timers = new FakeTimers();
    let runs = 0;
    const { q, settled, store } = queue(timers, () => (runs++, Promise.resolve(outcome('success'))));
    await q.enqueue(event('a'));
    await q.idle();
    expect(runs).toBe(1);
    expect(settled).toMatchObject([{ id: 'a', s: { kind: 'success' }, attempts: 1 }]);
    expect(await store.listPending()).toEqual([]);
    expect(await store.get(key, 'a')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('is durable before enqueue resolves, and runs nothing that is not', async () => {
    const timers = new FakeTimers();
    let runs = 0;
    const { q, store } = queue(timers, () => (runs++, Promise.resolve(outcome('success'))));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const add = store.add.bind(store);
    store.add = async (ev) => {
      await gate;
      return add(ev);
    };
    let acked = false;
    const p = q.enqueue(event('a')).then(() => (acked = true));
    await flush();
    expect([acked, runs]).toEqual([false, 0]);
    release();
    await p;
    await q.idle();
    expect(runs).toBe(1);
  });

  it('refuses an event whose write failed and frees its slot', async () => {
    const timers = new FakeTimers();
    const { q, store } = queue(timers, () => Promise.resolve(outcome('success')), { capacityPerAccount: 1 });
    store.add = () => Promise.reject(new PlatformError('INTERNAL', { reason: 'disk full' }));
    await expect(q.enqueue(event('a'))).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(q.stats().depth).toBe(0);
  });

  it('retries a function error twice, after 60 s and 120 s, with the same request id', async () => {
    const timers = new FakeTimers();
    const runs: [number, string][] = [];
    const { q, settled, store } = queue(timers, (ev) => {
      runs.push([timers.t, ev.requestId]);
      return Promise.resolve(outcome('function-error'));
    });
    await q.enqueue(event('a'));
    await flush();
    expect(runs).toEqual([[0, 'a']]);
    expect(await store.listPending()).toMatchObject([{ attempts: 1, notBeforeMs: 60_000 }]);
    await timers.advance(59_999);
    expect(runs).toHaveLength(1);
    await timers.advance(1);
    await timers.advance(120_000);
    expect(runs).toEqual([
      [0, 'a'],
      [60_000, 'a'],
      [180_000, 'a'],
    ]);
    await timers.advance(1_000_000);
    expect(runs).toHaveLength(3);
    expect(settled).toMatchObject([{ s: { kind: 'failure', condition: 'RetriesExhausted' }, attempts: 3 }]);
    expect(q.size).toBe(0);
    expect(await store.get(key, 'a')).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it("follows the event's policy: no retries", async () => {
    const timers = new FakeTimers();
    let runs = 0;
    const { q, settled } = queue(timers, () => (runs++, Promise.resolve(outcome('function-error'))), {
      policy: () => Promise.resolve({ maximumRetryAttempts: 0, maxEventAgeMs: 60_000 }),
    });
    await q.enqueue(event('a'));
    await q.idle();
    expect(runs).toBe(1);
    expect(settled).toMatchObject([{ s: { kind: 'failure', condition: 'RetriesExhausted' } }]);
  });

  it('drops a retry that would run past the maximum event age as EventAgeExceeded', async () => {
    const timers = new FakeTimers();
    const { q, settled } = queue(timers, () => Promise.resolve(outcome('function-error')), {
      policy: () => Promise.resolve({ maximumRetryAttempts: 2, maxEventAgeMs: 30_000 }),
    });
    await q.enqueue(event('a'));
    await q.idle();
    expect(settled).toMatchObject([
      { s: { kind: 'failure', condition: 'EventAgeExceeded', outcome: { kind: 'function-error' } } },
    ]);
  });

  it('backs off throttles and system errors (1 s, 2 s, ...) and runs the event once admitted', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const { q, settled } = queue(timers, () => {
      calls++;
      if (calls === 1) {
        return throttle();
      }
      if (calls === 2) {
        return Promise.reject(new PlatformError('INTERNAL', { reason: 'spawn failed' }));
      }
      return Promise.resolve(outcome('success'));
    });
    await q.enqueue(event('a'));
    await flush();
    expect(calls).toBe(1);
    await timers.advance(1_000);
    expect(calls).toBe(2);
    await timers.advance(1_999);
    expect(calls).toBe(2);
    await timers.advance(1);
    await q.idle();
    expect(calls).toBe(3);
    expect(settled).toMatchObject([{ s: { kind: 'success' }, attempts: 1 }]);
  });

  it('gives up on a throttled event at its maximum age', async () => {
    const timers = new FakeTimers();
    const { q, settled } = queue(timers, throttle, {
      defaultPolicy: { maximumRetryAttempts: 2, maxEventAgeMs: 10_000 },
    });
    await q.enqueue(event('a'));
    for (let i = 0; i < 10; i++) {
      await timers.advance(8_000);
    }
    expect(settled).toMatchObject([{ s: { kind: 'failure', condition: 'EventAgeExceeded' }, attempts: 0 }]);
    expect(settled[0]?.s).not.toHaveProperty('outcome');
  });

  it('drops an event of a function reserved at 0 at once, as ZeroReservedConcurrency', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const { q, settled } = queue(timers, () => {
      calls++;
      return Promise.reject(
        new PlatformError('THROTTLED_RESERVED', { functionName: 'fn', zeroReserved: true }),
      );
    });
    await q.enqueue(event('a'));
    await q.idle();
    await timers.advance(3_600_000);
    expect(calls).toBe(1);
    expect(settled).toMatchObject([{ s: { kind: 'dropped', reason: 'ZeroReservedConcurrency' } }]);
  });

  it('drops an event whose function is gone, without retrying', async () => {
    const timers = new FakeTimers();
    const { q, settled, store } = queue(timers, () =>
      Promise.reject(new PlatformError('FUNCTION_NOT_FOUND', { functionName: 'fn' })),
    );
    await q.enqueue(event('a'));
    await q.idle();
    expect(settled).toMatchObject([{ s: { kind: 'dropped', reason: 'FUNCTION_NOT_FOUND' } }]);
    expect(await store.get(key, 'a')).toMatchObject({ status: 'dropped' });
  });

  it('bounds unsettled events per account', async () => {
    const timers = new FakeTimers();
    const never = () => new Promise<InvocationOutcome>(() => undefined);
    const { q } = queue(timers, never, { capacityPerAccount: 2, workers: 1 });
    await q.enqueue(event('a'));
    await q.enqueue(event('b'));
    await expect(q.enqueue(event('c'))).rejects.toMatchObject({ code: 'ASYNC_QUEUE_FULL' });
    await q.enqueue(event('d', { key: { ...key, accountId: '222222222222' } }));
    expect(q.stats()).toMatchObject({
      depth: 3,
      running: 1,
      byAccount: { '111111111111': 2, '222222222222': 1 },
    });
  });

  it('limits running events to the worker count', async () => {
    const timers = new FakeTimers();
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const { q } = queue(
      timers,
      () =>
        new Promise<InvocationOutcome>((resolve) => {
          running++;
          peak = Math.max(peak, running);
          release.push(() => {
            running--;
            resolve(outcome('success'));
          });
        }),
      { workers: 2 },
    );
    for (let i = 0; i < 5; i++) {
      await q.enqueue(event(String(i)));
    }
    while (release.length > 0 || q.size > 0) {
      await flush();
      release.shift()?.();
    }
    expect(peak).toBe(2);
  });

  it('recovers pending events from the store: due ones now, delayed ones at their time', async () => {
    const timers = new FakeTimers();
    timers.t = 10_000;
    const runs: [number, string, number][] = [];
    // What an earlier run left: the queue opens the same data again.
    const earlier = new MemoryAsyncEventStore();
    await earlier.add(event('was-running', { enqueuedMs: 9_000 }));
    await earlier.add(event('retrying', { attempts: 1, notBeforeMs: 70_000 }));
    await earlier.add(event('done'));
    await earlier.finish('done', 'succeeded', 1, 1);
    const { q, store } = queue(
      timers,
      (ev) => {
        runs.push([timers.t, ev.requestId, ev.attempts]);
        return Promise.resolve(outcome('success'));
      },
      {},
      earlier.reopened(),
    );
    expect(await q.recover()).toBe(2);
    await flush();
    expect(runs).toEqual([[10_000, 'was-running', 0]]);
    expect(q.stats()).toMatchObject({ depth: 1, oldestAgeMs: 10_000 });
    await timers.advance(60_000);
    await q.idle();
    expect(runs[1]).toEqual([70_000, 'retrying', 1]);
    expect(await store.listPending()).toEqual([]);
  });

  it('terminates a waiting event at once and a running one after its attempt', async () => {
    const timers = new FakeTimers();
    let finishRun!: () => void;
    const { q, settled, store } = queue(
      timers,
      () => new Promise<InvocationOutcome>((r) => (finishRun = () => r(outcome('function-error')))),
      { workers: 1 },
    );
    await q.enqueue(event('running'));
    await q.enqueue(event('waiting'));
    await flush();
    expect(await q.terminate('waiting')).toBe(true);
    expect(await store.get(key, 'waiting')).toMatchObject({ status: 'terminated' });
    expect(await q.terminate('running')).toBe(true);
    finishRun();
    await q.idle();
    expect(settled.map((s) => [s.id, s.s.kind])).toEqual([['running', 'dropped']]);
    expect(await store.get(key, 'running')).toMatchObject({ status: 'terminated' });
    expect(await q.terminate('nope')).toBe(false);
  });
});

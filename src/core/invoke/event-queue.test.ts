import { describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import type { InvocationOutcome } from '../ports.js';
import { EventQueue, type EventQueueOptions, type Timers } from './event-queue.js';

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
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
};

const outcome = (kind: 'success' | 'function-error'): InvocationOutcome =>
  kind === 'success'
    ? {
        kind,
        payload: Buffer.from('{}'),
        contentType: 'application/json',
        requestId: 'r',
        executedVersion: '1',
        durationMs: 1,
        initializationType: 'on-demand',
      }
    : {
        kind,
        payload: Buffer.from('{}'),
        errorType: 'Error',
        requestId: 'r',
        executedVersion: '1',
        durationMs: 1,
        initializationType: 'on-demand',
      };

function queue(timers: FakeTimers, over: Partial<EventQueueOptions> = {}) {
  const drops: string[] = [];
  const q = new EventQueue({
    capacity: 10,
    workers: 2,
    retryDelaysMs: [60_000, 120_000],
    throttleBackoffMs: 1_000,
    maxEventAgeMs: 6 * 3600_000,
    timers,
    onDrop: (_ev, reason) => drops.push(reason),
    ...over,
  });
  return { q, drops };
}

describe('EventQueue', () => {
  it('runs an event once when it succeeds', async () => {
    const timers = new FakeTimers();
    const { q } = queue(timers);
    let runs = 0;
    q.enqueue({
      requestId: 'a',
      functionLabel: 'fn',
      run: () => (runs++, Promise.resolve(outcome('success'))),
    });
    await q.idle();
    expect(runs).toBe(1);
  });

  it('retries a function error twice, after 60 s and 120 s, then drops it', async () => {
    const timers = new FakeTimers();
    const { q, drops } = queue(timers);
    const runAt: number[] = [];
    q.enqueue({
      requestId: 'a',
      functionLabel: 'fn',
      run: () => (runAt.push(timers.t), Promise.resolve(outcome('function-error'))),
    });
    await flush();
    expect(runAt).toEqual([0]);
    await timers.advance(59_999);
    expect(runAt).toEqual([0]);
    await timers.advance(1);
    expect(runAt).toEqual([0, 60_000]);
    await timers.advance(120_000);
    expect(runAt).toEqual([0, 60_000, 180_000]);
    await timers.advance(1_000_000);
    expect(runAt).toHaveLength(3);
    expect(drops).toEqual(['retries exhausted']);
    expect(q.size).toBe(0);
  });

  it('requeues a throttled event with backoff and runs it once admitted', async () => {
    const timers = new FakeTimers();
    const { q } = queue(timers);
    let calls = 0;
    q.enqueue({
      requestId: 'a',
      functionLabel: 'fn',
      run: () => {
        calls++;
        if (calls <= 2) {
          return Promise.reject(new PlatformError('THROTTLED_RESERVED', { functionName: 'fn' }));
        }
        return Promise.resolve(outcome('success'));
      },
    });
    await flush();
    expect(calls).toBe(1);
    await timers.advance(1_000);
    expect(calls).toBe(2);
    await timers.advance(1_999);
    expect(calls).toBe(2);
    await timers.advance(1);
    expect(calls).toBe(3);
    await q.idle();
  });

  it('drops an event of a function reserved at 0 at once, as ZeroReservedConcurrency', async () => {
    const timers = new FakeTimers();
    const { q, drops } = queue(timers);
    let calls = 0;
    q.enqueue({
      requestId: 'a',
      functionLabel: 'fn',
      run: () => {
        calls++;
        return Promise.reject(
          new PlatformError('THROTTLED_RESERVED', { functionName: 'fn', zeroReserved: true }),
        );
      },
    });
    await q.idle();
    await timers.advance(3_600_000);
    expect(calls).toBe(1);
    expect(drops).toEqual(['ZeroReservedConcurrency']);
    expect(q.size).toBe(0);
  });

  it('refuses events beyond capacity', () => {
    const timers = new FakeTimers();
    const { q } = queue(timers, { capacity: 1, workers: 1 });
    const never = () => new Promise<InvocationOutcome>(() => undefined);
    q.enqueue({ requestId: 'a', functionLabel: 'fn', run: never });
    expect(() => q.enqueue({ requestId: 'b', functionLabel: 'fn', run: never })).toThrow(PlatformError);
  });

  it('limits running events to the worker count', async () => {
    const timers = new FakeTimers();
    const { q } = queue(timers, { workers: 2 });
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    for (let i = 0; i < 5; i++) {
      q.enqueue({
        requestId: String(i),
        functionLabel: 'fn',
        run: () =>
          new Promise<InvocationOutcome>((resolve) => {
            running++;
            peak = Math.max(peak, running);
            release.push(() => {
              running--;
              resolve(outcome('success'));
            });
          }),
      });
    }
    while (release.length > 0 || q.size > 0) {
      await flush();
      release.shift()?.();
    }
    expect(peak).toBe(2);
  });
});

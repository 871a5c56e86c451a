/**
 * The asynchronous (`Event`) invocation queue: a bounded, in-process queue drained by a
 * small number of workers. Semantics follow AWS's async invocation (aws-lambda.md §3.7
 * and §7.9):
 *
 *   1. the caller gets 202 as soon as the event is queued;
 *   2. limits (reserved, account) apply when an event is dequeued: a throttled event
 *      goes back to the queue and is retried with backoff until `maxEventAgeMs`;
 *   3. a function error is retried twice (AWS: after about 1 and 2 minutes), so an
 *      event runs at most three times; platform faults other than throttles are dropped
 *      and logged.
 *
 * Timing is injected (`Timers`) so tests drive it without real sleeps.
 */
import { PlatformError } from '../errors.js';
import type { InvocationOutcome } from '../ports.js';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface QueuedEvent {
  readonly requestId: string;
  /** Runs the event once; throws PlatformError for throttles and platform faults. */
  readonly run: () => Promise<InvocationOutcome>;
  readonly functionLabel: string;
}

export interface EventQueueOptions {
  /** Events waiting at most; further Enqueues are refused (ASYNC_QUEUE_FULL). */
  readonly capacity: number;
  /** Events running at once. */
  readonly workers: number;
  /** Delays before the two retries after a function error (AWS: ~60 s and ~120 s). */
  readonly retryDelaysMs: readonly number[];
  /** First delay after a throttle; doubles per attempt up to 5 minutes. */
  readonly throttleBackoffMs: number;
  /** An event older than this is dropped (AWS default: 6 hours). */
  readonly maxEventAgeMs: number;
  readonly timers: Timers;
  readonly onDrop?: (ev: QueuedEvent, reason: string) => void;
  readonly onOutcome?: (ev: QueuedEvent, outcome: InvocationOutcome, attempt: number) => void;
}

interface Entry {
  readonly ev: QueuedEvent;
  readonly enqueuedAt: number;
  /** Function-error attempts made so far. */
  attempts: number;
  throttles: number;
}

export class EventQueue {
  readonly #opts: EventQueueOptions;
  readonly #ready: Entry[] = [];
  /** Entries waiting for a retry timer; they still count against capacity. */
  #delayed = 0;
  #running = 0;
  readonly #timers = new Set<{ cancel(): void }>();
  #closed = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: EventQueueOptions) {
    this.#opts = opts;
  }

  /** Events queued, delayed or running. */
  get size(): number {
    return this.#ready.length + this.#delayed + this.#running;
  }

  enqueue(ev: QueuedEvent): void {
    if (this.#closed || this.size >= this.#opts.capacity) {
      throw new PlatformError('ASYNC_QUEUE_FULL', { functionName: ev.functionLabel });
    }
    this.#ready.push({ ev, enqueuedAt: this.#opts.timers.now(), attempts: 0, throttles: 0 });
    this.#pump();
  }

  /** Resolves when nothing is queued, delayed or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) {
      t.cancel();
    }
    this.#timers.clear();
    this.#ready.length = 0;
    this.#delayed = 0;
    this.#notifyIdle();
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#opts.workers && this.#ready.length > 0) {
      const entry = this.#ready.shift() as Entry;
      this.#running++;
      void this.#run(entry).finally(() => {
        this.#running--;
        this.#pump();
        this.#notifyIdle();
      });
    }
  }

  async #run(entry: Entry): Promise<void> {
    const { ev } = entry;
    if (this.#opts.timers.now() - entry.enqueuedAt > this.#opts.maxEventAgeMs) {
      this.#opts.onDrop?.(ev, 'maximum event age exceeded');
      return;
    }
    let outcome: InvocationOutcome;
    try {
      outcome = await ev.run();
    } catch (e) {
      if (
        e instanceof PlatformError &&
        e.code === 'THROTTLED_RESERVED' &&
        (e as PlatformError<'THROTTLED_RESERVED'>).details.zeroReserved === true
      ) {
        this.#opts.onDrop?.(ev, 'ZeroReservedConcurrency');
        return;
      }
      if (e instanceof PlatformError && (e.code === 'THROTTLED_RESERVED' || e.code === 'THROTTLED_ACCOUNT')) {
        entry.throttles++;
        const backoff = Math.min(this.#opts.throttleBackoffMs * 2 ** (entry.throttles - 1), 300_000);
        this.#later(entry, backoff);
        return;
      }
      this.#opts.onDrop?.(ev, e instanceof Error ? e.message : String(e));
      return;
    }
    entry.attempts++;
    this.#opts.onOutcome?.(ev, outcome, entry.attempts);
    if (outcome.kind === 'function-error') {
      const delay = this.#opts.retryDelaysMs[entry.attempts - 1];
      if (delay !== undefined) {
        this.#later(entry, delay);
      } else {
        this.#opts.onDrop?.(ev, 'retries exhausted');
      }
    }
  }

  #later(entry: Entry, ms: number): void {
    if (this.#closed) {
      return;
    }
    this.#delayed++;
    const t = this.#opts.timers.setTimeout(() => {
      this.#timers.delete(t);
      this.#delayed--;
      if (this.#closed) {
        return;
      }
      this.#ready.push(entry);
      this.#pump();
    }, ms);
    this.#timers.add(t);
  }

  #notifyIdle(): void {
    if (this.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) {
        w();
      }
    }
  }
}

/**
 * The asynchronous (`Event`) invocation queue, durable on the AsyncEventStore port.
 * Semantics follow AWS's asynchronous invocation (aws-lambda.md §3.7 and §7.9; issue 13):
 *
 *   1. `enqueue` writes the event to the store and resolves once it is durable: only then
 *      does the caller answer 202, so an acknowledged event survives `kill -9`;
 *   2. `recover` (start-up) claims every event still pending that no live node holds,
 *      those that were running when the process died included: at least once, with the
 *      same request id. Where nodes share the store (`claimIntervalMs`), the queue renews
 *      its claims and takes over the events of nodes whose lease expired, periodically;
 *   3. limits apply when an event runs: a throttle or a system error goes back to the
 *      queue with exponential back-off (1 s doubling, at most 5 minutes) until the event is
 *      older than its maximum age (6 hours by default);
 *   4. a function error is retried `maximumRetryAttempts` times (2 by default, after about
 *      1 and 2 minutes), so an event runs at most three times;
 *   5. an event leaves the store when it succeeded, its retries are exhausted, its age is
 *      over, or it cannot run at all (reserved concurrency 0, function deleted); `onSettled`
 *      (destinations) runs first, so a settled event's destination is durable before the
 *      event is forgotten.
 *
 * The queue is bounded per account (`capacityPerAccount`): beyond it `enqueue` throws
 * ASYNC_QUEUE_FULL. Timing is injected (`Timers`) so tests drive it without real sleeps.
 */
import { PlatformError, isPlatformError } from '../errors.js';
import type { AsyncEventRecord, AsyncEventStatus, AsyncEventStore, InvocationOutcome } from '../ports.js';
import type { QueuePacer } from './queue-pacer.js';

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

/** Per-event retry policy (the event's EventInvokeConfig, else the defaults). */
export interface EventPolicy {
  readonly maximumRetryAttempts: number;
  readonly maxEventAgeMs: number;
}

/** How an event ended, for destinations and logs (AWS's `condition` where there is one). */
export type Settlement =
  | { readonly kind: 'success'; readonly outcome: InvocationOutcome }
  | {
      readonly kind: 'failure';
      readonly condition: 'RetriesExhausted' | 'EventAgeExceeded';
      /** The last attempt's outcome (absent when the function never ran: throttled to the end). */
      readonly outcome?: InvocationOutcome;
    }
  /** Not run and not retried: reserved concurrency 0, function deleted, terminated. */
  | { readonly kind: 'dropped'; readonly reason: string };

export interface EventQueueStats {
  /** Events accepted and not settled: waiting, delayed for a retry, or running. */
  readonly depth: number;
  readonly running: number;
  /** Events that may run at once now (the pacer's limit, at most `workers`). */
  readonly runLimit: number;
  /** Age of the oldest unsettled event, ms (0 when empty). */
  readonly oldestAgeMs: number;
  readonly byAccount: Readonly<Record<string, number>>;
}

export interface EventQueueOptions {
  readonly store: AsyncEventStore;
  /** Unsettled events per account at most; further Event invokes get ASYNC_QUEUE_FULL. */
  readonly capacityPerAccount: number;
  /** Events running at once, at most. */
  readonly workers: number;
  /** Paces how many of `workers` run now (queue-pacer.ts); absent: all of them. */
  readonly pacer?: QueuePacer;
  /** Delays before the retries after a function error (AWS: ~60 s and ~120 s). */
  readonly retryDelaysMs: readonly number[];
  /** First delay after a throttle or system error; doubles per attempt up to `maxBackoffMs`. */
  readonly throttleBackoffMs: number;
  readonly maxBackoffMs?: number;
  /** Defaults when the event has no EventInvokeConfig (AWS: 2 retries, 6 hours). */
  readonly defaultPolicy: EventPolicy;
  readonly timers: Timers;
  /** Runs one attempt; throws PlatformError for throttles and platform faults. */
  readonly run: (ev: AsyncEventRecord) => Promise<InvocationOutcome>;
  /** The event's policy (its qualifier's EventInvokeConfig); default: `defaultPolicy`. */
  readonly policy?: (ev: AsyncEventRecord) => Promise<EventPolicy>;
  /** Destinations and logs; awaited before the event leaves the store. */
  readonly onSettled?: (ev: AsyncEventRecord, settlement: Settlement, attempts: number) => Promise<void>;
  /** Faults of the queue's own bookkeeping (a store write that failed). */
  readonly onError?: (what: string, error: unknown) => void;
  /** Stops an event held by another node sharing the store (a cluster); false: none does. */
  readonly terminateElsewhere?: (requestId: string) => Promise<boolean>;
  /**
   * A store shared by several nodes: every this many ms, renew this node's claims and take
   * over pending events whose owner's lease expired. Absent: one node (claims at start only).
   */
  readonly claimIntervalMs?: number;
}

/** Events claimed per store call (recovery pages, take-overs per tick). */
const CLAIM_PAGE = 1_000;

interface Entry {
  ev: AsyncEventRecord;
  state: 'ready' | 'delayed' | 'running';
  timer?: { cancel(): void };
  /** Set by `terminate` while running: no further attempt. */
  terminated?: boolean;
}

export class EventQueue {
  readonly #opts: EventQueueOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #ready: Entry[] = [];
  readonly #byAccount = new Map<string, number>();
  #running = 0;
  #closed = false;
  #claimTimer: { cancel(): void } | undefined;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: EventQueueOptions) {
    this.#opts = opts;
    opts.pacer?.start(
      () => this.#ready.length > 0,
      () => this.#pump(),
    );
  }

  /** Events accepted and not settled. */
  get size(): number {
    return this.#entries.size;
  }

  stats(): EventQueueStats {
    const now = this.#opts.timers.now();
    let oldest = now;
    for (const e of this.#entries.values()) {
      oldest = Math.min(oldest, e.ev.enqueuedMs);
    }
    return {
      depth: this.#entries.size,
      running: this.#running,
      runLimit: this.#runLimit(),
      oldestAgeMs: now - oldest,
      byAccount: Object.fromEntries(this.#byAccount),
    };
  }

  /**
   * Accepts an event: resolves once it is durable in the store (the caller may then
   * acknowledge it), or throws ASYNC_QUEUE_FULL when the account's queue is full.
   */
  async enqueue(ev: AsyncEventRecord): Promise<void> {
    const account = ev.key.accountId;
    if (this.#closed || (this.#byAccount.get(account) ?? 0) >= this.#opts.capacityPerAccount) {
      throw new PlatformError('ASYNC_QUEUE_FULL', { functionName: ev.key.name });
    }
    // The slot is taken before the write, so a burst cannot overshoot the bound.
    this.#count(account, 1);
    try {
      await this.#opts.store.add(ev);
    } catch (e) {
      this.#count(account, -1);
      this.#notifyIdle();
      throw e;
    }
    if (this.#closed) {
      return; // durable: the next start runs it
    }
    this.#admit(ev);
  }

  /**
   * Claims every pending event no live node holds (start-up); returns how many. On a
   * shared store, then renews and takes over every `claimIntervalMs`.
   */
  async recover(): Promise<number> {
    let n = 0;
    for (;;) {
      const got = await this.#claim();
      n += got.claimed;
      // A page of events this queue already holds claims nothing new: no reason to ask again.
      if (got.claimed === 0 || got.claimed + got.known < CLAIM_PAGE || this.#closed) {
        break;
      }
    }
    this.#armClaims();
    return n;
  }

  /** One page of claims, admitted; `known`: returned but already here. */
  async #claim(): Promise<{ claimed: number; known: number }> {
    const due = await this.#opts.store.claimDue(CLAIM_PAGE);
    let claimed = 0;
    for (const ev of due) {
      if (!this.#entries.has(ev.requestId)) {
        this.#count(ev.key.accountId, 1);
        this.#admit(ev);
        claimed++;
      }
    }
    return { claimed, known: due.length - claimed };
  }

  #armClaims(): void {
    const every = this.#opts.claimIntervalMs;
    if (every === undefined || this.#closed) {
      return;
    }
    this.#claimTimer = this.#opts.timers.setTimeout(() => {
      void (async () => {
        if (this.#closed) {
          return;
        }
        // Renewed first: this node's own claims must not lapse while it takes others'.
        await this.#opts.store.renewClaims();
        await this.#claim();
      })()
        .catch((e: unknown) => this.#opts.onError?.('async event claims', e))
        .finally(() => this.#armClaims());
    }, every);
  }

  /**
   * Stops an event: a waiting one leaves the queue at once; a running one finishes its
   * attempt but is not retried. An event another node holds is stopped there
   * (`terminateElsewhere`). Returns false when the event is pending nowhere.
   */
  async terminate(requestId: string): Promise<boolean> {
    if (this.#entries.has(requestId)) {
      return this.terminateHere(requestId);
    }
    return (await this.#opts.terminateElsewhere?.(requestId)) ?? false;
  }

  /** `terminate`, for an event this queue holds only (another node asks: no asking back). */
  async terminateHere(requestId: string): Promise<boolean> {
    const entry = this.#entries.get(requestId);
    if (entry === undefined) {
      return false;
    }
    if (entry.state === 'running') {
      entry.terminated = true;
      return true;
    }
    entry.timer?.cancel();
    const i = this.#ready.indexOf(entry);
    if (i >= 0) {
      this.#ready.splice(i, 1);
    }
    await this.#finish(entry, 'terminated');
    return true;
  }

  /** Resolves when nothing is queued, delayed or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops running events; what is pending stays in the store for the next start. */
  close(): void {
    this.#closed = true;
    this.#opts.pacer?.stop();
    this.#claimTimer?.cancel();
    for (const e of this.#entries.values()) {
      e.timer?.cancel();
    }
    this.#ready.length = 0;
  }

  #runLimit(): number {
    return Math.min(this.#opts.workers, this.#opts.pacer?.limit ?? this.#opts.workers);
  }

  #count(account: string, delta: number): void {
    const n = (this.#byAccount.get(account) ?? 0) + delta;
    if (n <= 0) {
      this.#byAccount.delete(account);
    } else {
      this.#byAccount.set(account, n);
    }
  }

  /** Places an accepted or recovered event: ready now, or delayed until notBeforeMs. */
  #admit(ev: AsyncEventRecord): void {
    const entry: Entry = { ev, state: 'ready' };
    this.#entries.set(ev.requestId, entry);
    this.#schedule(entry, ev.notBeforeMs - this.#opts.timers.now());
  }

  #schedule(entry: Entry, delayMs: number): void {
    if (this.#closed) {
      return;
    }
    if (delayMs <= 0) {
      entry.state = 'ready';
      this.#ready.push(entry);
      this.#pump();
      return;
    }
    entry.state = 'delayed';
    entry.timer = this.#opts.timers.setTimeout(() => {
      delete entry.timer;
      if (this.#entries.get(entry.ev.requestId) === entry) {
        this.#schedule(entry, 0);
      }
    }, delayMs);
  }

  #pump(): void {
    const limit = this.#runLimit();
    while (!this.#closed && this.#running < limit && this.#ready.length > 0) {
      const entry = this.#ready.shift() as Entry;
      entry.state = 'running';
      this.#running++;
      void this.#attempt(entry)
        .catch((e: unknown) => this.#opts.onError?.(`async event ${entry.ev.requestId}`, e))
        .finally(() => {
          this.#running--;
          this.#pump();
          this.#notifyIdle();
        });
    }
  }

  async #attempt(entry: Entry): Promise<void> {
    const { ev } = entry;
    const now = this.#opts.timers.now();
    const policy = (await this.#opts.policy?.(ev)) ?? this.#opts.defaultPolicy;
    if (now - ev.enqueuedMs > policy.maxEventAgeMs) {
      await this.#settle(entry, { kind: 'failure', condition: 'EventAgeExceeded' }, 'failed');
      return;
    }
    let outcome: InvocationOutcome;
    try {
      outcome = await this.#opts.run(ev);
    } catch (e) {
      await this.#fault(entry, policy, e);
      return;
    }
    const attempts = ev.attempts + 1;
    entry.ev = { ...ev, attempts };
    if (outcome.kind === 'success') {
      await this.#settle(entry, { kind: 'success', outcome }, 'succeeded');
      return;
    }
    const delay = this.#opts.retryDelaysMs[attempts - 1] ?? this.#opts.retryDelaysMs.at(-1) ?? 0;
    if (entry.terminated === true) {
      await this.#settle(entry, { kind: 'dropped', reason: 'terminated' }, 'terminated');
    } else if (attempts > policy.maximumRetryAttempts) {
      await this.#settle(entry, { kind: 'failure', condition: 'RetriesExhausted', outcome }, 'failed');
    } else if (this.#opts.timers.now() + delay - ev.enqueuedMs > policy.maxEventAgeMs) {
      // The retry would run past the event's age: AWS discards it as EventAgeExceeded.
      await this.#settle(entry, { kind: 'failure', condition: 'EventAgeExceeded', outcome }, 'failed');
    } else {
      await this.#retryLater(entry, ev.throttles, delay);
    }
  }

  /** A run that threw: throttles and system faults back off; anything else cannot run. */
  async #fault(entry: Entry, policy: EventPolicy, e: unknown): Promise<void> {
    const { ev } = entry;
    if (isPlatformError(e) && e.is('THROTTLED_RESERVED') && e.details.zeroReserved === true) {
      await this.#settle(entry, { kind: 'dropped', reason: 'ZeroReservedConcurrency' }, 'dropped');
      return;
    }
    const retriable =
      !isPlatformError(e) ||
      e.isSystemError ||
      e.code === 'THROTTLED_RESERVED' ||
      e.code === 'THROTTLED_ACCOUNT';
    if (!retriable || entry.terminated === true) {
      const reason = entry.terminated === true ? 'terminated' : isPlatformError(e) ? e.code : String(e);
      await this.#settle(
        entry,
        { kind: 'dropped', reason },
        entry.terminated === true ? 'terminated' : 'dropped',
      );
      return;
    }
    const throttles = ev.throttles + 1;
    const backoff = Math.min(
      this.#opts.throttleBackoffMs * 2 ** (throttles - 1),
      this.#opts.maxBackoffMs ?? 300_000,
    );
    if (this.#opts.timers.now() + backoff - ev.enqueuedMs > policy.maxEventAgeMs) {
      await this.#settle(entry, { kind: 'failure', condition: 'EventAgeExceeded' }, 'failed');
      return;
    }
    await this.#retryLater(entry, throttles, backoff);
  }

  async #retryLater(entry: Entry, throttles: number, delayMs: number): Promise<void> {
    const notBeforeMs = this.#opts.timers.now() + delayMs;
    entry.ev = { ...entry.ev, throttles, notBeforeMs };
    try {
      await this.#opts.store.reschedule(entry.ev.requestId, entry.ev.attempts, throttles, notBeforeMs);
    } catch (e) {
      // The retry still happens in this process; after a restart the stored state reruns it early.
      this.#opts.onError?.(`async event ${entry.ev.requestId}: reschedule not stored`, e);
    }
    this.#schedule(entry, delayMs);
  }

  async #settle(
    entry: Entry,
    settlement: Settlement,
    status: Exclude<AsyncEventStatus, 'pending'>,
  ): Promise<void> {
    try {
      await this.#opts.onSettled?.(entry.ev, settlement, entry.ev.attempts);
    } catch (e) {
      this.#opts.onError?.(`async event ${entry.ev.requestId}: destination`, e);
    }
    await this.#finish(entry, status);
  }

  async #finish(entry: Entry, status: Exclude<AsyncEventStatus, 'pending'>): Promise<void> {
    this.#entries.delete(entry.ev.requestId);
    this.#count(entry.ev.key.accountId, -1);
    try {
      await this.#opts.store.finish(entry.ev.requestId, status, this.#opts.timers.now(), entry.ev.attempts);
    } catch (e) {
      this.#opts.onError?.(`async event ${entry.ev.requestId}: settlement not stored`, e);
    }
    this.#notifyIdle();
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

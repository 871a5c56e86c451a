/**
 * How many queued events run at once (event-queue.ts): between `min` and `max` (the
 * `asyncQueueWorkers` setting), set by how starved hearth's own event loop is.
 *
 * Why: an event runs in an environment (a process) on the same machine as the front door
 * that accepts events. When events keep every core busy (dozens of CPU-bound
 * environments), hearth's process waits for a core and every request, the Event invokes
 * that feed the queue included, waits with it: measured on 2 cores, 64 events at once cut
 * the accepted rate to 210/s, 4 at once allowed 5,200/s (bench/async.mjs). Events whose
 * handlers wait (I/O, sleeps) do not starve anything, and deserve every worker. So:
 *
 *   1. every `intervalMs`, the loop's lag (how late a timer fires: the time hearth waited
 *      for a core, or was busy) is sampled;
 *   2. it starts at `min`; above `highLagMs` the limit halves (at least `min`); below it,
 *      while events wait, it grows by a quarter (at most `max`: 4 → 64 in 1.3 s);
 *   3. a change applies to the next event taken; running events finish.
 *
 * [DESIGN] AWS runs asynchronous events with the function's concurrency and scales its
 * pollers on its own schedule; events may wait in its queue (AsyncEventAge). Pacing them
 * here is the same latitude, taken so that accepting events stays fast on a small machine.
 */
export interface PacerOptions {
  readonly min: number;
  readonly max: number;
  /** How late the event loop is now, ms (a sample since the previous call; server/loop-lag.ts). */
  readonly lagMs: () => number;
  readonly highLagMs?: number;
  readonly intervalMs?: number;
  /** Injected for tests. */
  readonly every?: (fn: () => void, ms: number) => { cancel(): void };
}

export const DEFAULT_HIGH_LAG_MS = 15;
export const DEFAULT_PACER_INTERVAL_MS = 100;

export class QueuePacer {
  readonly #o: PacerOptions;
  #limit: number;
  #timer: { cancel(): void } | undefined;
  #waiting = (): boolean => false;
  #onRaise: () => void = () => undefined;

  constructor(o: PacerOptions) {
    this.#o = o;
    // Slow start: a burst's first events must not start `max` environments at once.
    this.#limit = o.min;
  }

  /** Events that may run at once now. */
  get limit(): number {
    return this.#limit;
  }

  /**
   * Starts sampling: `waiting` says whether events wait for a worker; `onRaise` is called
   * when the limit grew (the queue takes more events).
   */
  start(waiting: () => boolean, onRaise: () => void): void {
    this.#waiting = waiting;
    this.#onRaise = onRaise;
    const every =
      this.#o.every ??
      ((fn: () => void, ms: number) => {
        const t = setInterval(fn, ms);
        t.unref();
        return { cancel: () => clearInterval(t) };
      });
    this.#timer ??= every(() => this.sample(), this.#o.intervalMs ?? DEFAULT_PACER_INTERVAL_MS);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** One step of the controller (exported for tests through the injected timer). */
  sample(): void {
    const lag = this.#o.lagMs();
    if (lag > (this.#o.highLagMs ?? DEFAULT_HIGH_LAG_MS)) {
      this.#limit = Math.max(this.#o.min, Math.floor(this.#limit / 2));
    } else if (this.#waiting() && this.#limit < this.#o.max) {
      this.#limit = Math.min(this.#o.max, this.#limit + Math.max(1, Math.floor(this.#limit / 4)));
      this.#onRaise();
    }
  }
}

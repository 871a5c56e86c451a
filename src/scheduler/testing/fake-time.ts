/**
 * A clock and one-shot timers for the scheduler's timeline tests: time moves only when the
 * test advances it, so a day of scheduling runs in milliseconds and nothing sleeps.
 */
import type { Clock } from '../../core/ports.js';
import type { Timers } from '../loop.js';

/** Monday 2026-01-05 00:00 UTC. */
export const FAKE_T0 = Date.UTC(2026, 0, 5);

/** A clock and one-shot timers that only move when the test says so. */
export class FakeTime implements Clock, Timers {
  private nowMs: number;
  private seq = 0;
  private queue: { at: number; seq: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(startMs: number = FAKE_T0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { at: this.nowMs + delayMs, seq: this.seq++, callback, cancelled: false };
    this.queue.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  get pendingTimers(): number {
    return this.queue.filter((t) => !t.cancelled).length;
  }

  /** Fires every timer due by `until`, in order, with the clock at each timer's time. */
  advanceTo(until: number): void {
    for (let guard = 0; guard < 100_000; guard++) {
      this.queue = this.queue.filter((t) => !t.cancelled);
      const due = this.queue.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) {
        this.nowMs = Math.max(this.nowMs, until);
        return;
      }
      due.cancelled = true;
      this.nowMs = Math.max(this.nowMs, due.at);
      due.callback();
    }
    throw new Error('timer storm: more than 100000 timers fired');
  }
}

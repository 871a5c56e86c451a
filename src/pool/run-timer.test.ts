import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunTimer } from './run-timer.js';

describe('RunTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('re-arming pushes the deadline to ms from now, for the same budget and another', () => {
    const fired: number[] = [];
    const t = new RunTimer(() => fired.push(Date.now()));
    const start = Date.now();
    t.arm(1000);
    vi.advanceTimersByTime(600);
    t.arm(1000); // same budget: the one timer, refreshed
    vi.advanceTimersByTime(600);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(fired).toEqual([start + 1600]);
    t.arm(300); // another budget
    vi.advanceTimersByTime(300);
    expect(fired).toEqual([start + 1600, start + 1900]);
  });

  it('fires again after it fired idle, and never after stop until armed', () => {
    let n = 0;
    const t = new RunTimer(() => n++);
    t.arm(100);
    t.idle();
    vi.advanceTimersByTime(100);
    expect(n).toBe(1);
    t.arm(100); // re-armed after firing
    vi.advanceTimersByTime(100);
    expect(n).toBe(2);
    t.arm(100);
    t.stop();
    vi.advanceTimersByTime(1000);
    expect(n).toBe(2);
    t.arm(100);
    vi.advanceTimersByTime(100);
    expect(n).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { QueuePacer } from './queue-pacer.js';

/** A pacer driven by hand: `tick(lag)` is one sampling interval with that loop lag. */
function pacer(min: number, max: number) {
  let lag = 0;
  let waiting = true;
  let raised = 0;
  let step: (() => void) | undefined;
  const p = new QueuePacer({
    min,
    max,
    lagMs: () => lag,
    highLagMs: 15,
    every: (fn) => {
      step = fn;
      return { cancel: () => (step = undefined) };
    },
  });
  p.start(
    () => waiting,
    () => raised++,
  );
  return {
    p,
    tick(l: number, w = true) {
      lag = l;
      waiting = w;
      step?.();
      return p.limit;
    },
    raised: () => raised,
    stopped: () => step === undefined,
  };
}

describe('QueuePacer', () => {
  it('starts at min (a burst does not start max environments at once) and grows while events wait', () => {
    const t = pacer(4, 64);
    expect(t.p.limit).toBe(4);
    const limits = Array.from({ length: 14 }, () => t.tick(0));
    expect(limits).toEqual([5, 6, 7, 8, 10, 12, 15, 18, 22, 27, 33, 41, 51, 63]);
    expect(t.tick(0)).toBe(64);
    expect(t.tick(0)).toBe(64);
    expect(t.raised()).toBe(15);
  });

  it('halves when the loop lags, never below min', () => {
    const t = pacer(4, 64);
    for (let i = 0; i < 20; i++) {
      t.tick(0);
    }
    expect([t.tick(40), t.tick(40), t.tick(40), t.tick(40), t.tick(40)]).toEqual([32, 16, 8, 4, 4]);
  });

  it('does not grow when nothing waits', () => {
    const t = pacer(4, 64);
    expect([t.tick(0, false), t.tick(0, false)]).toEqual([4, 4]);
    expect(t.raised()).toBe(0);
  });

  it('stops sampling', () => {
    const t = pacer(1, 8);
    t.p.stop();
    expect(t.stopped()).toBe(true);
  });
});

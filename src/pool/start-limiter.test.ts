import { describe, expect, it } from 'vitest';
import { StartLimiter } from './start-limiter.js';

describe('StartLimiter', () => {
  it('runs at most `max` starts and queues the rest', () => {
    const l = new StartLimiter(2);
    const started: number[] = [];
    for (let i = 0; i < 4; i++) {
      l.request('provisioned', () => {
        l.take();
        started.push(i);
      });
    }
    expect(started).toEqual([0, 1]);
    l.release();
    expect(started).toEqual([0, 1, 2]);
    expect(l.active).toBe(2);
  });

  it('serves on-demand starts before provisioned ones', () => {
    const l = new StartLimiter(1);
    const order: string[] = [];
    l.request('provisioned', () => {
      l.take();
      order.push('p1');
    });
    l.request('provisioned', () => {
      l.take();
      order.push('p2');
    });
    l.request('on-demand', () => {
      l.take();
      order.push('o1');
    });
    l.release();
    expect(order).toEqual(['p1', 'o1']);
  });

  it('a grant that no longer needs its start leaves the slot to the next', () => {
    const l = new StartLimiter(1);
    const order: string[] = [];
    l.request('on-demand', () => order.push('skipped'));
    l.request('on-demand', () => {
      l.take();
      order.push('started');
    });
    expect(order).toEqual(['skipped', 'started']);
  });

  it('a start that fails at once (release inside the grant) does not recurse', () => {
    const l = new StartLimiter(1);
    let n = 0;
    for (let i = 0; i < 1000; i++) {
      l.request('on-demand', () => {
        l.take();
        n++;
        l.release();
      });
    }
    expect(n).toBe(1000);
    expect(l.active).toBe(0);
  });

  it('says when the last start ends with none queued', () => {
    let idle = 0;
    const l = new StartLimiter(1, () => idle++);
    const grant = (): void => l.take();
    l.request('on-demand', grant);
    l.request('provisioned', grant);
    l.release(); // the queued one starts: not idle
    expect(idle).toBe(0);
    l.release();
    expect(idle).toBe(1);
  });
});

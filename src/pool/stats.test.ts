import { describe, expect, it } from 'vitest';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import { DURATION_BUCKETS_MS, HistogramCounts, PoolStats, RECENT_INVOCATIONS } from './stats.js';

const spec = (name: string, version: string, digest = 'd1'): EnvironmentSpec =>
  ({
    key: `123/us-east-1/default/${name}/${version}@${digest}`,
    region: 'us-east-1',
    namespace: 'default',
    functionName: name,
    version,
  }) as EnvironmentSpec;

const req = (id: string, provisionedKey?: string): InvokeRequest =>
  ({ requestId: id, ...(provisionedKey === undefined ? {} : { provisionedKey }) }) as InvokeRequest;

const ok = (durationMs: number, initDurationMs?: number): InvocationOutcome =>
  ({
    kind: 'success',
    durationMs,
    ...(initDurationMs === undefined ? {} : { initDurationMs }),
  }) as InvocationOutcome;

describe('HistogramCounts', () => {
  it.each([
    [0.5, 0],
    [1, 0],
    [1.01, 1],
    [100, 6],
    [900_000, DURATION_BUCKETS_MS.length - 1],
    [900_001, DURATION_BUCKETS_MS.length],
  ])('%s ms falls in bucket %i (le bounds, +Inf last)', (ms, bucket) => {
    const h = new HistogramCounts(DURATION_BUCKETS_MS);
    h.observe(ms);
    expect(h.counts.indexOf(1)).toBe(bucket);
    expect([h.count, h.sumMs]).toEqual([1, ms]);
  });
});

describe('PoolStats', () => {
  it('counts per version, per config (provisioned or spilled over) and keeps the last invocations', () => {
    const stats = new PoolStats();
    const s = stats.series(spec('f', '1'));
    expect(stats.series(spec('f', '1', 'other-digest'))).toBe(s);
    stats.outcome(s, req('a', 'pc'), ok(5), 'provisioned-concurrency');
    stats.outcome(s, req('b', 'pc'), ok(7, 40), 'on-demand');
    stats.outcome(
      s,
      req('c'),
      { kind: 'function-error', durationMs: 1, errorType: 'E' } as InvocationOutcome,
      'on-demand',
    );
    expect([s.invocations, s.errors, s.coldStarts, s.provisioned]).toEqual([3, 1, 1, 1]);
    expect(new Map(stats.configs()).get('pc')).toMatchObject({ invocations: 1, spillovers: 1 });
    expect(stats.recent().map((r) => [r.requestId, r.spillover, r.cold, r.errorType])).toEqual([
      ['a', false, false, undefined],
      ['b', true, true, undefined],
      ['c', false, false, 'E'],
    ]);
  });

  it('keeps the last RECENT_INVOCATIONS, oldest first', () => {
    const stats = new PoolStats();
    const s = stats.series(spec('f', '1'));
    for (let i = 0; i < RECENT_INVOCATIONS + 5; i++) {
      stats.outcome(s, req(String(i)), ok(1), 'on-demand');
    }
    const recent = stats.recent();
    expect(recent).toHaveLength(RECENT_INVOCATIONS);
    expect(recent[0]?.requestId).toBe('5');
    expect(recent.at(-1)?.requestId).toBe(String(RECENT_INVOCATIONS + 4));
  });

  it('forgets a drained version or function, but not a version whose $LATEST revision was replaced', () => {
    const stats = new PoolStats();
    stats.series(spec('f', '1'));
    stats.series(spec('f', '$LATEST'));
    stats.series(spec('g', '1'));
    stats.forget('123/us-east-1/default/f/$LATEST@d1');
    expect([...stats.allSeries()].map((s) => `${s.functionName}:${s.version}`)).toEqual([
      'f:1',
      'f:$LATEST',
      'g:1',
    ]);
    stats.forget('123/us-east-1/default/f/1@');
    expect([...stats.allSeries()].map((s) => `${s.functionName}:${s.version}`)).toEqual(['f:$LATEST', 'g:1']);
    stats.forget('123/us-east-1/default/f/');
    expect([...stats.allSeries()].map((s) => `${s.functionName}:${s.version}`)).toEqual(['g:1']);
  });

  it('folds versions past the cap into one overflow series', () => {
    const stats = new PoolStats(2);
    stats.series(spec('a', '1'));
    stats.series(spec('b', '1'));
    const c = stats.series(spec('c', '1'));
    expect(c.functionName).toBe('_other');
    expect(stats.series(spec('d', '1'))).toBe(c);
    expect([...stats.allSeries()]).toHaveLength(3);
  });
});

import { describe, expect, it } from 'vitest';
import { depthBand, queueLogLines } from './queue-log.js';

const stats = (depth: number, byAccount: Record<string, number> = {}) => ({
  depth,
  running: 4,
  runLimit: 8,
  oldestAgeMs: 12_400,
  byAccount,
});

describe('depthBand', () => {
  it.each([
    [0, 0],
    [1, 1],
    [99, 1],
    [100, 2],
    [999, 2],
    [1000, 3],
    [12_345, 4],
    [1_000_000, 6],
  ])('%i → %i', (depth, band) => expect(depthBand(depth)).toBe(band));
});

describe('queueLogLines: a line per crossing, none per event', () => {
  const empty = { band: 0, nearFull: new Set<string>() };
  it.each([
    ['empty stays silent', empty, stats(0), []],
    ['within a band stays silent', { band: 2, nearFull: new Set<string>() }, stats(500), []],
    [
      'rising over 100',
      { band: 1, nearFull: new Set<string>() },
      stats(150),
      [
        {
          level: 'info',
          message: 'async event queue holds 150 events (over 100); 4 running, the oldest 12 s old',
        },
      ],
    ],
    [
      'rising over 10,000 warns',
      { band: 3, nearFull: new Set<string>() },
      stats(10_001),
      [
        {
          level: 'warn',
          message: 'async event queue holds 10001 events (over 10000); 4 running, the oldest 12 s old',
        },
      ],
    ],
    [
      'falling under 1,000',
      { band: 3, nearFull: new Set<string>() },
      stats(900),
      [{ level: 'info', message: 'async event queue down to 900 events (under 1000); the oldest 12 s old' }],
    ],
    [
      'drained',
      { band: 2, nearFull: new Set<string>() },
      stats(0),
      [{ level: 'info', message: 'async event queue drained' }],
    ],
  ] as const)('%s', (_name, before, now, lines) => {
    expect(queueLogLines(before, now, 10_000).lines).toEqual(lines);
  });

  it('warns once when an account nears its bound, again after it went below', () => {
    const first = queueLogLines({ band: 3, nearFull: new Set() }, stats(9_500, { a: 9_500 }), 10_000);
    expect(first.lines).toEqual([
      {
        level: 'warn',
        message:
          'account a holds 9500 of its 10000 queued events: Event invokes beyond the bound are throttled',
      },
    ]);
    expect(queueLogLines(first, stats(9_600, { a: 9_600 }), 10_000).lines).toEqual([]);
    const below = queueLogLines(first, stats(5_000, { a: 5_000 }), 10_000);
    expect(below.lines).toEqual([]);
    expect(queueLogLines(below, stats(9_000, { a: 9_000 }), 10_000).lines).toHaveLength(1);
  });
});

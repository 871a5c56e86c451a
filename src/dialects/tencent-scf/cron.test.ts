import { describe, expect, it } from 'vitest';
import { decide, type DeciderSpec, type FireSchedule } from '../../scheduler/decider.js';
import {
  nextFire,
  parseScfCron,
  previousFire,
  ScfCronError,
  scfCronSchedule,
  type ScfCronFieldName,
} from './cron.js';

const iso = (d: Date | undefined): string | undefined => d?.toISOString();
const at = (s: string): Date => new Date(s);

describe('parseScfCron: valid expressions (spec §3.3)', () => {
  it('reads the one-time example of the console as concrete values', () => {
    const r = parseScfCron('30 42 15 20 12 * 2024');
    expect(r.ok).toBe(true);
    if (r.ok) {
      const one = (n: number) => [{ kind: 'range', from: n, to: n, step: 1 }];
      expect(r.cron.fields).toEqual({
        second: one(30),
        minute: one(42),
        hour: one(15),
        day: one(20),
        month: one(12),
        week: [{ kind: 'all' }],
        year: one(2024),
      });
      expect(r.cron.cronerPattern).toBe('30 42 15 20 12 * 2024');
    }
  });

  it.each([
    // [expression, croner pattern it normalises to]
    ['*/5 * * * * * *', '0-59/5 * * * * * 1970-2099'],
    ['0 15 10 * * MON-FRI *', '0 15 10 * * 1-5 1970-2099'],
    ['0 */30 9-17 * * * *', '0 0-59/30 9-17 * * * 1970-2099'],
    ['0 1/10 * * * * *', '0 1-59/10 * * * * 1970-2099'],
    ['0 0 8 ? * sat,Sun *', '0 0 8 * * 6,0 1970-2099'],
    ['0 0 8 1,15 jan-MAR,DEC ? 2025-2027', '0 0 8 1,15 1-3,12 * 2025-2027'],
    ['0 0 8 L * ? *', '0 0 8 L * * 1970-2099'],
    ['0 0 8 15W * ? *', '0 0 8 15W * * 1970-2099'],
    ['0 0 8 ? * 5L *', '0 0 8 * * 5L 1970-2099'],
    ['0 0 8 ? * FRI#2,1#1 *', '0 0 8 * * 5#2,1#1 1970-2099'],
    ['0 0 0 1 1 * */10', '0 0 0 1 1 * 1970-2099/10'],
    ['  0   0  8 * * * *  ', '0 0 8 * * * 1970-2099'],
    ['00 05 08 * * * *', '0 5 8 * * * 1970-2099'],
  ])('%s → %s', (expr, pattern) => {
    const r = parseScfCron(expr);
    expect(r).toMatchObject({ ok: true, cron: { expression: expr.trim(), cronerPattern: pattern } });
  });
});

describe('parseScfCron: invalid expressions name the field and the reason', () => {
  const cases: [string, ScfCronFieldName | undefined, RegExp][] = [
    ['', undefined, /expected 7 fields.*got 0/],
    ['0 0 8 * * *', undefined, /expected 7 fields.*got 6/],
    ['0 0 8 * * * * *', undefined, /got 8/],
    ['60 0 8 * * * *', 'second', /60 is out of range 0–59/],
    ['0 60 8 * * * *', 'minute', /out of range 0–59/],
    ['0 0 24 * * * *', 'hour', /24 is out of range 0–23/],
    ['0 0 8 0 * * *', 'day', /0 is out of range 1–31/],
    ['0 0 8 32 * * *', 'day', /out of range 1–31/],
    ['0 0 8 * 13 * *', 'month', /13 is out of range 1–12 or JAN–DEC/],
    ['0 0 8 * * 7 *', 'week', /7 is out of range 0–6 or SUN–SAT/],
    ['0 0 8 * * * 1969', 'year', /1969 is out of range 1970–2099/],
    ['0 0 8 * * * 2100', 'year', /out of range 1970–2099/],
    ['? 0 8 * * * *', 'second', /'\?' is allowed only in Day and Week/],
    ['0 0 8 * * * ?', 'year', /only in Day and Week/],
    ['0 0 8 * * L *', 'week', /'L' alone is ambiguous/],
    ['0 0 8 * * 5#6 *', 'week', /occurrence after '#' must be 1–5/],
    ['0 0 8 * * 5#0 *', 'week', /1–5/],
    ['0 0 8 10-1 * * *', 'day', /runs backwards/],
    ['0 0 8 * * FRI-MON *', 'week', /runs backwards/],
    ['0 */0 8 * * * *', 'minute', /increment must be 1–60/],
    ['0 5/61 8 * * * *', 'minute', /increment must be 1–60/],
    ['0 1/2/3 8 * * * *', 'minute', /more than one '\/'/],
    ['0 1-2-3 8 * * * *', 'minute', /not a value or a range/],
    ['0 */x 8 * * * *', 'minute', /whole number/],
    ['0 0 8 * JANUARY * *', 'month', /'JANUARY' is not a valid month value/],
    ['0 0 8 MON * * *', 'day', /'MON' is not a valid day value/],
    ['0 0 8 * * 5W *', 'week', /not a valid week value/],
    ['0 0 L * * * *', 'hour', /'L' is not a valid hour value/],
    ['0 0 8 * * -1 *', 'week', /missing/],
    ['0 0 8 1,,2 * * *', 'day', /empty list item/],
    ['0 0 8 *,5 * * *', 'day', /must be the whole field/],
    ['0 0 8 ?,5 * * *', 'day', /must be the whole field/],
    ['0 0 8 31 2 * *', undefined, /matches no date between 1970 and 2099/],
    ['0 0 8 30 2 * 2024', undefined, /matches no date/],
  ];
  it.each(cases)('%j → %s', (expr, field, reason) => {
    const r = parseScfCron(expr);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(ScfCronError);
      expect(r.error.field).toBe(field);
      expect(r.error.reason).toMatch(reason);
      expect(r.error.message).toContain(expr.trim());
    }
  });
});

describe('nextFire (strictly after; Asia/Shanghai = UTC+8 unless stated)', () => {
  const SH = 'Asia/Shanghai';
  it.each([
    // [expression, after (UTC), time zone, expected (UTC) or undefined]
    ['*/5 * * * * * *', '2024-06-01T00:00:00.000Z', SH, '2024-06-01T00:00:05.000Z'],
    ['*/5 * * * * * *', '2024-06-01T00:00:02.500Z', SH, '2024-06-01T00:00:05.000Z'],
    ['*/5 * * * * * *', '2024-06-01T00:00:04.999Z', SH, '2024-06-01T00:00:05.000Z'],
    // Saturday 1 June 2024 → Monday 3 June 10:15 local.
    ['0 15 10 * * MON-FRI *', '2024-06-01T00:00:00Z', SH, '2024-06-03T02:15:00.000Z'],
    // 17:30 local is the last of the day; next is 09:00 local the day after.
    ['0 */30 9-17 * * * *', '2024-06-03T09:30:00Z', SH, '2024-06-04T01:00:00.000Z'],
    ['0 1/10 * * * * *', '2024-06-01T00:01:00Z', SH, '2024-06-01T00:11:00.000Z'],
    // The console's one-time task: fires once, at 15:42:30 local on 20 Dec 2024, then never.
    ['30 42 15 20 12 * 2024', '2024-01-01T00:00:00Z', SH, '2024-12-20T07:42:30.000Z'],
    ['30 42 15 20 12 * 2024', '2024-12-20T07:42:29.999Z', SH, '2024-12-20T07:42:30.000Z'],
    ['30 42 15 20 12 * 2024', '2024-12-20T07:42:30.000Z', SH, undefined],
    ['30 42 15 20 12 * 2024', '2026-11-22T00:00:00Z', SH, undefined],
    // Years bound every schedule: nothing after 2099, a bounded range ends earlier.
    ['0 0 8 * * * *', '2099-12-31T00:00:00Z', SH, undefined],
    ['0 0 8 * * * *', '2099-12-30T00:00:00Z', SH, '2099-12-31T00:00:00.000Z'],
    ['0 0 8 * * * 2025-2026', '2026-12-31T00:00:00Z', SH, undefined],
    // 08:00 local on 1 Jan 2025 is midnight UTC.
    ['0 0 8 * * * 2025-2026', '2024-03-01T00:00:00Z', SH, '2025-01-01T00:00:00.000Z'],
    // The year is the local year: 00:30 on 1 Jan 2025 in Shanghai is still 2024 in UTC.
    ['0 30 0 1 1 * 2025', '2024-06-01T00:00:00Z', SH, '2024-12-31T16:30:00.000Z'],
    ['0 30 0 1 1 * 2025', '2024-06-01T00:00:00Z', 'UTC', '2025-01-01T00:30:00.000Z'],
    ['0 0 8 L 2 ? *', '2024-01-15T00:00:00Z', SH, '2024-02-29T00:00:00.000Z'],
    ['0 0 8 L 2 ? *', '2025-01-15T00:00:00Z', SH, '2025-02-28T00:00:00.000Z'],
    // 15 June 2024 is a Saturday: the nearest weekday is Friday the 14th.
    ['0 0 8 15W * ? *', '2024-06-01T00:00:00Z', SH, '2024-06-14T00:00:00.000Z'],
    ['0 0 8 ? * 5L *', '2024-06-01T00:00:00Z', SH, '2024-06-28T00:00:00.000Z'],
    ['0 0 8 ? * FRI#2 *', '2024-06-01T00:00:00Z', SH, '2024-06-14T00:00:00.000Z'],
    // Day and Week both restricted: either matches (the 10th, or any Monday) [REC].
    ['0 0 8 10 * MON *', '2024-06-04T00:00:00Z', SH, '2024-06-10T00:00:00.000Z'],
    ['0 0 8 10 * MON *', '2024-06-10T00:00:00Z', SH, '2024-06-17T00:00:00.000Z'],
    ['0 0 8 10 * WED *', '2024-06-04T00:00:00Z', SH, '2024-06-05T00:00:00.000Z'],
  ])('%s after %s in %s → %s', (expr, after, tz, expected) => {
    expect(iso(nextFire(expr, at(after), tz))).toBe(expected);
  });

  it('defaults to Asia/Shanghai', () => {
    expect(iso(nextFire('0 0 8 * * * *', at('2024-06-01T00:00:00Z')))).toBe('2024-06-02T00:00:00.000Z');
  });

  it('has no DST in Shanghai: daily fires stay 24 h apart across spring and autumn', () => {
    const DAY = 86_400_000;
    for (const start of ['2024-03-05T00:00:00Z', '2024-10-30T00:00:00Z']) {
      let t = at(start);
      for (let i = 0; i < 10; i++) {
        const next = nextFire('0 30 2 * * * *', t, 'Asia/Shanghai');
        expect(next).toBeDefined();
        if (i > 0) {
          expect(next!.getTime() - t.getTime()).toBe(DAY);
        }
        expect(next!.getUTCHours()).toBe(18);
        t = next!;
      }
    }
  });

  it('does follow DST where a zone has it (a 02:30 New York job on the spring-forward day)', () => {
    // 2024-03-10 02:30 does not exist in New York; croner runs a fixed-time job right
    // after the gap, at 03:00 EDT (07:00 UTC).
    expect(iso(nextFire('0 30 2 * * * *', at('2024-03-09T12:00:00Z'), 'America/New_York'))).toBe(
      '2024-03-10T07:00:00.000Z',
    );
  });

  it('throws the typed error for an invalid expression and a RangeError for an unknown zone', () => {
    expect(() => nextFire('0 0 8 * * *', at('2024-06-01T00:00:00Z'))).toThrow(ScfCronError);
    expect(() => nextFire('0 0 8 * * * *', at('2024-06-01T00:00:00Z'), 'Mars/Olympus_Mons')).toThrow(
      RangeError,
    );
  });

  it('accepts a parsed expression as well as a string', () => {
    const r = parseScfCron('0 0 8 * * * *');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(iso(nextFire(r.cron, at('2024-06-01T00:00:00Z')))).toBe('2024-06-02T00:00:00.000Z');
    }
  });
});

describe('previousFire (at or before)', () => {
  it.each([
    ['0 0 8 * * * *', '2024-06-02T00:00:00.000Z', '2024-06-02T00:00:00.000Z'],
    ['0 0 8 * * * *', '2024-06-01T23:59:59.999Z', '2024-06-01T00:00:00.000Z'],
    ['*/5 * * * * * *', '2024-06-01T00:00:07.250Z', '2024-06-01T00:00:05.000Z'],
    ['30 42 15 20 12 * 2024', '2026-11-22T00:00:00Z', '2024-12-20T07:42:30.000Z'],
    ['30 42 15 20 12 * 2024', '2024-12-20T07:42:29.999Z', undefined],
    ['0 0 8 * * * 2030', '2026-11-22T00:00:00Z', undefined],
  ])('%s at or before %s → %s', (expr, atOrBefore, expected) => {
    expect(iso(previousFire(expr, at(atOrBefore)))).toBe(expected);
  });
});

describe('scfCronSchedule (the shape the scheduler consumes)', () => {
  it('answers in epoch milliseconds and keeps its expression and zone', () => {
    const s = scfCronSchedule('0 0 8 * * * 2024', 'Asia/Shanghai');
    expect(s.expression).toBe('0 0 8 * * * 2024');
    expect(s.timeZone).toBe('Asia/Shanghai');
    expect(s.nextFireAfter(Date.parse('2024-12-30T12:00:00Z'))).toBe(Date.parse('2024-12-31T00:00:00Z'));
    expect(s.nextFireAfter(Date.parse('2024-12-31T00:00:00Z'))).toBeUndefined();
    expect(s.lastFireAtOrBefore(Date.parse('2030-01-01T00:00:00Z'))).toBe(Date.parse('2024-12-31T00:00:00Z'));
    expect(s.lastFireAtOrBefore(Date.parse('2023-12-31T23:59:59Z'))).toBeUndefined();
  });

  it('validates eagerly', () => {
    expect(() => scfCronSchedule('nope')).toThrow(ScfCronError);
    expect(() => scfCronSchedule('0 0 8 * * * *', 'Nowhere/Else')).toThrow(RangeError);
  });
});

describe('the SCF TriggerActions example end to end (spec §3.3) through the scheduler decider', () => {
  // "30 at 6:00, 80 at 10:00, 40 at 18:00, 0 at 24:00", Beijing time.
  const action = (name: string, cron: string, provisionedNum: number) => {
    const schedule: FireSchedule = scfCronSchedule(cron);
    return { name, schedule, provisionedNum };
  };
  const spec: DeciderSpec = {
    requested: 0,
    scheduledActions: [
      action('morning', '0 0 6 * * * *', 30),
      action('peak', '0 0 10 * * MON-FRI *', 80),
      action('evening', '0 0 18 * * * *', 40),
      action('night', '0 0 0 * * * *', 0),
    ],
  };
  // Configured at 00:00:30 Beijing time on Monday 1 June 2026 (16:00:30 UTC the day before).
  const observed = { currentDesired: 0, configuredAtMs: Date.parse('2026-05-31T16:00:30Z'), samples: [] };

  it.each([
    ['2026-06-01T05:59:59+08:00', 0, 'static', '2026-06-01T06:00:00+08:00'],
    ['2026-06-01T06:00:00+08:00', 30, 'scheduled', '2026-06-01T10:00:00+08:00'],
    ['2026-06-01T12:00:00+08:00', 80, 'scheduled', '2026-06-01T18:00:00+08:00'],
    ['2026-06-01T18:00:00+08:00', 40, 'scheduled', '2026-06-02T00:00:00+08:00'],
    ['2026-06-02T00:00:00+08:00', 0, 'scheduled', '2026-06-02T06:00:00+08:00'],
    // Saturday: no 10:00 peak, the morning number holds until the evening.
    ['2026-06-06T12:00:00+08:00', 30, 'scheduled', '2026-06-06T18:00:00+08:00'],
  ])('at %s → %d (%s), next check %s', (now, desired, reason, next) => {
    expect(decide(spec, observed, Date.parse(now))).toMatchObject({
      desired,
      reason,
      nextCheckAt: Date.parse(next),
    });
  });
});

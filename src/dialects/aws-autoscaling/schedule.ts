/**
 * Application Auto Scaling's schedule expressions (PutScheduledAction `Schedule`):
 *
 *   at(yyyy-mm-ddThh:mm:ss)      once, at that wall-clock time in `Timezone` (default UTC)
 *   rate(value unit)             every value minutes|hours|days from StartTime (else creation)
 *   cron(Min Hour Dom Month Dow Year)   six fields, EventBridge's syntax: one of Day-of-month
 *                                and Day-of-week must be `?`; Day-of-week 1–7 is SUN–SAT;
 *                                `L`, `W`, `#`, names (JAN, MON) as in EventBridge
 *
 * Fire instants are computed by croner (7-part mode, Quartz weekday numbering, AWS's `5/10`
 * increments); the grammar is checked here first so a bad expression is refused with the
 * field that is wrong (README "Schedules").
 */
import { Cron } from 'croner';
import type { FireSchedule } from '../../core/scaling/driver-types.js';

export const AWS_SCHEDULE_KIND = 'aws';

export class ScheduleError extends Error {}

const FIELD = /^[0-9A-Za-z*?,/#LW-]+$/;
const FIELD_NAMES = ['Minutes', 'Hours', 'Day-of-month', 'Month', 'Day-of-week', 'Year'] as const;
const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Checks an expression; throws ScheduleError naming what is wrong. */
export function checkSchedule(expression: string, timeZone: string): void {
  scheduleOf(expression, timeZone, 0);
}

/**
 * Fire instants of `expression` in `timeZone`; `anchorMs` is where a rate counts from.
 * Throws ScheduleError for a malformed expression, RangeError for an unknown zone.
 */
export function scheduleOf(expression: string, timeZone: string, anchorMs: number): FireSchedule {
  const m = /^(at|rate|cron)\((.*)\)$/s.exec(expression);
  if (m === null) {
    throw new ScheduleError('the expression must be at(...), rate(...) or cron(...)');
  }
  const body = m[2] ?? '';
  switch (m[1]) {
    case 'at':
      return atSchedule(body, timeZone);
    case 'rate':
      return rateSchedule(body, anchorMs);
    default:
      return cronSchedule(body, timeZone);
  }
}

function atSchedule(body: string, timeZone: string): FireSchedule {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (m === null) {
    throw new ScheduleError(`at(${body}) is not yyyy-mm-ddThh:mm:ss`);
  }
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new ScheduleError(`at(${body}) is not a valid date and time`);
  }
  // The wall-clock time in the zone, through croner (it resolves the zone's offset).
  const at = cronFor(`${s} ${mi} ${h} ${d} ${mo} * ${y}`, timeZone).nextRun(
    new Date(probe.getTime() - 15 * 3_600_000),
  );
  const atMs = at?.getTime();
  if (atMs === undefined) {
    throw new ScheduleError(`at(${body}) does not exist in ${timeZone}`);
  }
  return {
    nextFireAfter: (afterMs) => (afterMs < atMs ? atMs : undefined),
    lastFireAtOrBefore: (ms) => (ms >= atMs ? atMs : undefined),
  };
}

function rateSchedule(body: string, anchorMs: number): FireSchedule {
  const m = /^([1-9]\d*) (minute|minutes|hour|hours|day|days)$/.exec(body);
  if (m === null) {
    throw new ScheduleError(`rate(${body}) is not rate(value unit) with a unit of minutes, hours or days`);
  }
  const value = Number(m[1]);
  const unit = m[2] ?? '';
  // EventBridge's rule: the singular for 1, the plural otherwise.
  if ((value === 1) !== !unit.endsWith('s')) {
    throw new ScheduleError(`rate(${body}): use "${unit.replace(/s$/, '')}" for 1 and the plural for more`);
  }
  const everyMs = value * (RATE_UNITS[unit.replace(/s$/, '')] ?? 0);
  return {
    nextFireAfter: (afterMs) =>
      afterMs < anchorMs ? anchorMs : anchorMs + (Math.floor((afterMs - anchorMs) / everyMs) + 1) * everyMs,
    lastFireAtOrBefore: (ms) =>
      ms < anchorMs ? undefined : anchorMs + Math.floor((ms - anchorMs) / everyMs) * everyMs,
  };
}

function cronSchedule(body: string, timeZone: string): FireSchedule {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleError(
      `cron(${body}) has ${fields.length} fields; six are needed: ${FIELD_NAMES.join(' ')}`,
    );
  }
  for (const [i, f] of fields.entries()) {
    if (!FIELD.test(f)) {
      throw new ScheduleError(
        `cron(${body}): ${FIELD_NAMES[i] ?? ''} '${f}' has characters cron does not allow`,
      );
    }
    if (f.includes('?') && i !== 2 && i !== 4) {
      throw new ScheduleError(`cron(${body}): '?' is only allowed in Day-of-month and Day-of-week`);
    }
  }
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleError(`cron(${body}): exactly one of Day-of-month and Day-of-week must be '?'`);
  }
  if (/[LW#]/.test(minute + hour + year)) {
    throw new ScheduleError(`cron(${body}): L, W and # are only allowed in the day fields`);
  }
  const pattern = `0 ${minute} ${hour} ${dom === '?' ? '*' : dom} ${month} ${dow === '?' ? '*' : dow} ${year === '*' ? '1970-2199' : year}`;
  let cron: Cron;
  try {
    cron = cronFor(pattern, timeZone);
  } catch (e) {
    if (e instanceof RangeError && /time ?zone/i.test(e.message)) {
      throw e;
    }
    throw new ScheduleError(`cron(${body}): ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    nextFireAfter: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime(),
    // croner's previousRuns is strictly before its reference: +1 ms makes it inclusive.
    lastFireAtOrBefore: (atMs) => cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime(),
  };
}

const cache = new Map<string, Cron>();

function cronFor(pattern: string, timeZone: string): Cron {
  const key = `${timeZone} ${pattern}`;
  let c = cache.get(key);
  if (c === undefined) {
    c = new Cron(pattern, {
      mode: '7-part',
      timezone: timeZone,
      alternativeWeekdays: true,
      sloppyRanges: true,
    });
    if (cache.size > 1000) {
      cache.clear();
    }
    cache.set(key, c);
  }
  return c;
}

/** True for an IANA zone name the runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The 7-field cron format of SCF timer triggers and scheduled provisioned concurrency
 * (`TriggerAction.TriggerCronConfig`, spec §3.3, Appendix A TriggerAction):
 *
 *     Second Minute Hour Day Month Week Year
 *
 * We validate the grammar ourselves, field by field, so that a bad expression is rejected
 * with a reason that names the field (→ InvalidParameterValue.TriggerCronConfig), and then
 * hand croner a normalised pattern to compute fire times in a time zone (croner's "7-part"
 * mode has a year field). Normalising means croner never sees a form whose meaning differs
 * between cron dialects (`1/10`, `?`, names, `*` in the year).
 *
 * Choices where Tencent's docs are silent [REC]:
 *   - Day and Week both restricted (neither `*` nor `?`): a date matches if *either* does,
 *     as in Vixie cron and croner's default. Quartz would reject the expression instead.
 *   - `L` alone in Week is rejected (Quartz reads it as Saturday): write `6L` or `SAT`.
 *   - `*` and `?` must be the whole field; `?` only in Day and Week (spec §3.3 table).
 *   - An expression that matches no instant in 1970–2099 (e.g. `0 0 8 31 2 * *`) is rejected,
 *     while one whose years are all past (a one-time task that already fired) is valid and
 *     simply never fires again.
 *   - Time zone: not stated by Tencent; default Asia/Shanghai like the console (spec §3.3,
 *     Appendix D item 1), configurable per call.
 */
import { Cron } from 'croner';

export const SCF_CRON_DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export type ScfCronFieldName = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'week' | 'year';

/** One comma-separated item of a field, after names are turned into numbers. */
export type ScfCronTerm =
  /** `*`: every value. */
  | { readonly kind: 'all' }
  /** `?`: no constraint from this field (Day and Week only). */
  | { readonly kind: 'any' }
  /**
   * A value, range or increment: `5` (5–5/1), `1-15` (/1), `9-17/2`, `*\/5` (min–max/5),
   * `1/10` (1–max/10, spec §3.3: "1/10 in minutes = 1, 11, 21…").
   */
  | { readonly kind: 'range'; readonly from: number; readonly to: number; readonly step: number }
  /** Day `L`: the last day of the month. */
  | { readonly kind: 'last-day-of-month' }
  /** Day `15W`: the weekday (Mon–Fri) nearest the 15th, within the month. */
  | { readonly kind: 'nearest-weekday'; readonly day: number }
  /** Week `5L`: the last Friday of the month. */
  | { readonly kind: 'last-weekday-of-month'; readonly weekday: number }
  /** Week `5#2`: the second Friday of the month (nth in 1–5). */
  | { readonly kind: 'nth-weekday-of-month'; readonly weekday: number; readonly nth: number };

/** A validated expression. */
export interface ScfCron {
  /** The expression as given, trimmed. */
  readonly expression: string;
  readonly fields: Readonly<Record<ScfCronFieldName, readonly ScfCronTerm[]>>;
  /** The equivalent croner 7-part pattern (numbers only, explicit year range). */
  readonly cronerPattern: string;
}

export class ScfCronError extends Error {
  constructor(
    readonly expression: string,
    /** The field at fault; undefined when the expression as a whole is (field count, never fires). */
    readonly field: ScfCronFieldName | undefined,
    readonly reason: string,
  ) {
    super(`invalid cron expression '${expression}': ${field === undefined ? '' : `${field}: `}${reason}`);
    this.name = 'ScfCronError';
  }
}

export type ScfCronParseResult =
  { readonly ok: true; readonly cron: ScfCron } | { readonly ok: false; readonly error: ScfCronError };

interface FieldRule {
  readonly name: ScfCronFieldName;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Whether `?` is accepted: Day and Week only (spec §3.3 table, zh doc). */
  readonly allowQuestion: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEK_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Spec §3.3 cron table, in field order. */
const FIELDS: readonly FieldRule[] = [
  { name: 'second', min: 0, max: 59, allowQuestion: false },
  { name: 'minute', min: 0, max: 59, allowQuestion: false },
  { name: 'hour', min: 0, max: 23, allowQuestion: false },
  { name: 'day', min: 1, max: 31, allowQuestion: true },
  // Month names map to 1–12, week names to 0–6 (0 = Sunday).
  { name: 'month', min: 1, max: 12, names: ['', ...MONTH_NAMES], allowQuestion: false },
  { name: 'week', min: 0, max: 6, names: WEEK_NAMES, allowQuestion: true },
  { name: 'year', min: 1970, max: 2099, allowQuestion: false },
];

/** Parses and validates a 7-field SCF cron expression; never throws. */
export function parseScfCron(expression: string): ScfCronParseResult {
  const expr = expression.trim();
  const parts = expr === '' ? [] : expr.split(/\s+/);
  if (parts.length !== FIELDS.length) {
    return err(
      expr,
      undefined,
      `expected 7 fields (Second Minute Hour Day Month Week Year) separated by spaces, got ${parts.length}`,
    );
  }
  const fields: Partial<Record<ScfCronFieldName, readonly ScfCronTerm[]>> = {};
  for (const [i, rule] of FIELDS.entries()) {
    const r = parseField(parts[i] ?? '', rule);
    if (typeof r === 'string') {
      return err(expr, rule.name, r);
    }
    fields[rule.name] = r;
  }
  const complete = fields as Record<ScfCronFieldName, readonly ScfCronTerm[]>;
  const cron: ScfCron = { expression: expr, fields: complete, cronerPattern: toCronerPattern(complete) };

  // A pattern that is well formed but matches no date at all (31 Feb, 30 Feb in a
  // year list...) is a mistake worth naming. UTC is enough: the set of local dates a
  // pattern matches does not depend on the zone.
  const first = cronerFor(cron.cronerPattern, 'UTC').nextRun(new Date(Date.UTC(1969, 11, 31)));
  if (first === null) {
    return err(expr, undefined, 'the expression matches no date between 1970 and 2099');
  }
  return { ok: true, cron };
}

/**
 * The first fire instant strictly after `after`, in `timeZone` (IANA name), or undefined when
 * the expression never fires again (its years are past, or 2099 is over). Fire instants are
 * whole seconds. Throws ScfCronError for an invalid expression string and RangeError for an
 * unknown time zone: callers validate both when the config is written.
 */
export function nextFire(
  expr: string | ScfCron,
  after: Date,
  timeZone: string = SCF_CRON_DEFAULT_TIME_ZONE,
): Date | undefined {
  const cron = resolve(expr);
  return cronerFor(cron.cronerPattern, checkedZone(timeZone)).nextRun(after) ?? undefined;
}

/**
 * The last fire instant at or before `atOrBefore`, or undefined if it never fired by then.
 * Used to ask "which scheduled action is in effect now?" without replaying history.
 */
export function previousFire(
  expr: string | ScfCron,
  atOrBefore: Date,
  timeZone: string = SCF_CRON_DEFAULT_TIME_ZONE,
): Date | undefined {
  const cron = resolve(expr);
  // croner's previousRuns is strictly before its reference but includes a run earlier in
  // the same second; fire instants are whole seconds, so +1 ms makes the bound inclusive.
  const [prev] = cronerFor(cron.cronerPattern, checkedZone(timeZone)).previousRuns(
    1,
    new Date(atOrBefore.getTime() + 1),
  );
  return prev;
}

/**
 * A fire schedule in epoch milliseconds for one expression and zone. Its shape is the
 * scheduler's `FireSchedule` (src/scheduler/decider.ts), so the composition root can hand it
 * to the decider without the scheduler knowing SCF's cron format.
 */
export interface ScfCronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  nextFireAfter(afterMs: number): number | undefined;
  lastFireAtOrBefore(atMs: number): number | undefined;
}

export function scfCronSchedule(
  expr: string | ScfCron,
  timeZone: string = SCF_CRON_DEFAULT_TIME_ZONE,
): ScfCronSchedule {
  const cron = resolve(expr);
  checkedZone(timeZone);
  return {
    expression: cron.expression,
    timeZone,
    nextFireAfter: (afterMs) => nextFire(cron, new Date(afterMs), timeZone)?.getTime(),
    lastFireAtOrBefore: (atMs) => previousFire(cron, new Date(atMs), timeZone)?.getTime(),
  };
}

/** True for an IANA zone name the runtime knows (e.g. `Asia/Shanghai`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

// ---- parsing ----------------------------------------------------------------------------

function err(expression: string, field: ScfCronFieldName | undefined, reason: string): ScfCronParseResult {
  return { ok: false, error: new ScfCronError(expression, field, reason) };
}

/** Returns the terms, or a reason string. */
function parseField(text: string, rule: FieldRule): readonly ScfCronTerm[] | string {
  if (text === '*') {
    return [{ kind: 'all' }];
  }
  if (text === '?') {
    return rule.allowQuestion ? [{ kind: 'any' }] : `'?' is allowed only in Day and Week`;
  }
  const terms: ScfCronTerm[] = [];
  for (const item of text.split(',')) {
    if (item === '') {
      return `'${text}' has an empty list item`;
    }
    const term = parseItem(item.toUpperCase(), rule);
    if (typeof term === 'string') {
      return term;
    }
    terms.push(term);
  }
  return terms;
}

function parseItem(item: string, rule: FieldRule): ScfCronTerm | string {
  if (item === '*' || item === '?') {
    return `'${item}' must be the whole field, not part of a list`;
  }
  if (rule.name === 'day') {
    if (item === 'L') {
      return { kind: 'last-day-of-month' };
    }
    const w = /^(\d+)W$/.exec(item);
    if (w !== null) {
      const day = value(w[1] ?? '', rule);
      return typeof day === 'string' ? day : { kind: 'nearest-weekday', day };
    }
  }
  if (rule.name === 'week') {
    if (item === 'L') {
      return `'L' alone is ambiguous in Week; write e.g. '5L' for the last Friday of the month`;
    }
    const last = /^([0-9A-Z]+)L$/.exec(item);
    if (last !== null) {
      const weekday = value(last[1] ?? '', rule);
      return typeof weekday === 'string' ? weekday : { kind: 'last-weekday-of-month', weekday };
    }
    const hash = /^([0-9A-Z]+)#(\d+)$/.exec(item);
    if (hash !== null) {
      const weekday = value(hash[1] ?? '', rule);
      if (typeof weekday === 'string') {
        return weekday;
      }
      const nth = Number(hash[2]);
      if (nth < 1 || nth > 5) {
        return `'${item}': the occurrence after '#' must be 1–5`;
      }
      return { kind: 'nth-weekday-of-month', weekday, nth };
    }
  }

  const [rangeText = '', stepText, extra] = item.split('/');
  if (extra !== undefined) {
    return `'${item}' has more than one '/'`;
  }
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) {
      return `'${item}': the increment after '/' must be a whole number`;
    }
    step = Number(stepText);
    if (step < 1 || step > rule.max - rule.min + 1) {
      return `'${item}': the increment must be 1–${rule.max - rule.min + 1}`;
    }
  }
  if (rangeText === '*') {
    if (stepText === undefined) {
      return `'*' must be the whole field, not part of a list`;
    }
    return { kind: 'range', from: rule.min, to: rule.max, step };
  }
  const bounds = rangeText.split('-');
  if (bounds.length > 2) {
    return `'${item}' is not a value or a range`;
  }
  const from = value(bounds[0] ?? '', rule);
  if (typeof from === 'string') {
    return from;
  }
  if (bounds.length === 1) {
    // `a/n` runs from a to the field's maximum (spec §3.3: "1/10 in minutes = 1, 11, 21…").
    return { kind: 'range', from, to: stepText === undefined ? from : rule.max, step };
  }
  const to = value(bounds[1] ?? '', rule);
  if (typeof to === 'string') {
    return to;
  }
  if (from > to) {
    return `range '${rangeText}' runs backwards; write it as two ranges`;
  }
  return { kind: 'range', from, to, step };
}

/** A number or (Month, Week) a name, within the field's range. */
function value(text: string, rule: FieldRule): number | string {
  if (text === '') {
    return `a value is missing`;
  }
  const n = /^\d{1,4}$/.test(text) ? Number(text) : (rule.names?.indexOf(text) ?? -1);
  if (n === -1) {
    return `'${text}' is not a valid ${rule.name} value`;
  }
  if (n < rule.min || n > rule.max) {
    const named = rule.names?.filter((x) => x !== '');
    const names = named === undefined ? '' : ` or ${named[0] ?? ''}–${named.at(-1) ?? ''}`;
    return `${n} is out of range ${rule.min}–${rule.max}${names}`;
  }
  return n;
}

// ---- evaluation through croner -----------------------------------------------------------

function toCronerPattern(fields: Readonly<Record<ScfCronFieldName, readonly ScfCronTerm[]>>): string {
  return FIELDS.map((rule) => {
    const terms = fields[rule.name];
    return terms
      .map((t) => {
        switch (t.kind) {
          case 'all':
          case 'any':
            // croner's `*` in Day/Week is the "unrestricted" marker that makes the other
            // field decide alone; in Year we spell the range out so 2099 is the end.
            return rule.name === 'year' ? `${rule.min}-${rule.max}` : '*';
          case 'range':
            if (t.from === t.to) {
              return String(t.from);
            }
            return t.step === 1 ? `${t.from}-${t.to}` : `${t.from}-${t.to}/${t.step}`;
          case 'last-day-of-month':
            return 'L';
          case 'nearest-weekday':
            return `${t.day}W`;
          case 'last-weekday-of-month':
            return `${t.weekday}L`;
          case 'nth-weekday-of-month':
            return `${t.weekday}#${t.nth}`;
        }
      })
      .join(',');
  }).join(' ');
}

function resolve(expr: string | ScfCron): ScfCron {
  if (typeof expr !== 'string') {
    return expr;
  }
  const r = parseScfCron(expr);
  if (!r.ok) {
    throw r.error;
  }
  return r.cron;
}

function checkedZone(timeZone: string): string {
  if (!isValidTimeZone(timeZone)) {
    throw new RangeError(`unknown time zone '${timeZone}' (expected an IANA name such as Asia/Shanghai)`);
  }
  return timeZone;
}

// Parsing a pattern costs more than evaluating it, and the scheduler asks about the same few
// expressions every tick, so keep recently used croner instances. Instances are only used for
// nextRun/previousRuns with an explicit reference, which do not depend on their state.
const CACHE_LIMIT = 256;
const cache = new Map<string, Cron>();

function cronerFor(pattern: string, timeZone: string): Cron {
  const key = `${timeZone} ${pattern}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  // No callback: croner then schedules nothing, it only evaluates.
  const made = new Cron(pattern, { mode: '7-part', timezone: timeZone });
  cache.set(key, made);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) {
      cache.delete(oldest.value);
    }
  }
  return made;
}

/**
 * AWS's input validation, in its own words (spec §1.4, Appendix A):
 *
 *   1 validation error detected: Value '<v>' at '<member>' failed to satisfy constraint: <c>
 *   2 validation errors detected: <first>; <second>
 *
 * `Violations` collects model-constraint failures of one request and throws them as one
 * ValidationException (400, body with `message` only). `BodyReader` reads a JSON body
 * member by member, failing fast on a member of the wrong JSON type.
 */
import { isUtf8 } from 'node:buffer';
import { BIG_KEY, type BigString, type ParsedLargeBody } from './large-body.js';
import { AwsWireError, invalidRequestContent } from './wire-error.js';

/** Java's rendering of a value inside a constraint message (`'x'`, `[a, b]`, `{2=2.0}`). */
export function renderValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  return `'${javaString(value)}'`;
}

function javaString(value: unknown): string {
  if (typeof value === 'number') {
    return String(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(javaString).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${javaString(v)}`)
      .join(', ')}}`;
  }
  return String(value);
}

/** Java's Double.toString for the values weights take (`2.0`, `-1.0`, `0.5`). */
function javaDouble(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** Constraint texts exactly as AWS words them. */
export const constraint = {
  notNull: 'Member must not be null',
  maxLength: (n: number) => `Member must have length less than or equal to ${n}`,
  minLength: (n: number) => `Member must have length greater than or equal to ${n}`,
  min: (n: number) => `Member must have value greater than or equal to ${n}`,
  max: (n: number) => `Member must have value less than or equal to ${n}`,
  pattern: (p: string) => `Member must satisfy regular expression pattern: ${p}`,
  enumSet: (values: readonly string[]) => `Member must satisfy enum value set: [${values.join(', ')}]`,
};

/** Values longer than this are not echoed in constraint messages. */
export const ECHO_LIMIT_CHARS = 1024;

export class Violations {
  private readonly items: string[] = [];

  /** Adds `Value <v> at '<member>' failed to satisfy constraint: <text>`. */
  add(member: string, value: unknown, text: string): void {
    // [DESIGN] A value too long to echo is left out, in AWS's own form for values it does
    // not print ("Value at '<member>' failed to satisfy constraint: ...").
    const shown =
      typeof value === 'string' && value.length > ECHO_LIMIT_CHARS ? undefined : renderValue(value);
    this.items.push(
      shown === undefined || shown.length > ECHO_LIMIT_CHARS + 2
        ? `Value at '${member}' failed to satisfy constraint: ${text}`
        : `Value ${shown} at '${member}' failed to satisfy constraint: ${text}`,
    );
  }

  /** Adds a pre-rendered violation (a value AWS prints without quotes, or masks). */
  addRaw(text: string): void {
    this.items.push(text);
  }

  required(member: string, value: unknown): boolean {
    if (value === undefined) {
      this.add(member, null, constraint.notNull);
      return false;
    }
    return true;
  }

  /** String length and pattern checks (the pattern must match the whole value). */
  string(
    member: string,
    value: string | undefined,
    rules: { min?: number; max?: number; pattern?: { source: string; regex: RegExp } },
  ): void {
    if (value === undefined) {
      return;
    }
    if (rules.max !== undefined && value.length > rules.max) {
      this.add(member, value, constraint.maxLength(rules.max));
    } else if (rules.min !== undefined && value.length < rules.min) {
      this.add(member, value, constraint.minLength(rules.min));
    } else if (rules.pattern !== undefined && !rules.pattern.regex.test(value)) {
      this.add(member, value, constraint.pattern(rules.pattern.source));
    }
  }

  integer(member: string, value: number | undefined, rules: { min?: number; max?: number }): void {
    if (value === undefined) {
      return;
    }
    if (rules.min !== undefined && value < rules.min) {
      this.add(member, value, constraint.min(rules.min));
    } else if (rules.max !== undefined && value > rules.max) {
      this.add(member, value, constraint.max(rules.max));
    }
  }

  enumValue(member: string, value: string | undefined, values: readonly string[]): void {
    if (value !== undefined && !values.includes(value)) {
      this.add(member, value, constraint.enumSet(values));
    }
  }

  get count(): number {
    return this.items.length;
  }

  /** Throws the collected violations as one ValidationException. */
  throwIfAny(): void {
    if (this.items.length > 0) {
      throw validationError(this.items);
    }
  }
}

export function validationError(items: readonly string[]): AwsWireError {
  const n = items.length;
  return new AwsWireError({
    status: 400,
    type: 'ValidationException',
    message: `${n} validation error${n === 1 ? '' : 's'} detected: ${items.join('; ')}`,
    messageKey: 'message',
  });
}

/** The rendering of a weights map in AWS's messages: `{2=2.0}`. */
export function renderWeights(weights: Readonly<Record<string, number>>): string {
  return `'{${Object.entries(weights)
    .map(([k, v]) => `${k}=${javaDouble(v)}`)
    .join(', ')}}'`;
}

/** A regex that must match a whole value, with the source AWS quotes in its messages. */
export function wholePattern(source: string): { source: string; regex: RegExp } {
  return { source, regex: new RegExp(`^(?:${source})$`) };
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * The first byte that makes `bytes` invalid UTF-8, worded as AWS's parser (Jackson) words
 * it: a byte that cannot start a character, or one that cannot continue it.
 */
export function utf8Error(bytes: Buffer): string | undefined {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const need =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (need < 0) {
      return `Invalid UTF-8 start byte 0x${b.toString(16)}`;
    }
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) {
        return 'Unexpected end-of-input in UTF-8 character';
      }
      if (c < 0x80 || c > 0xbf) {
        return `Invalid UTF-8 middle byte 0x${c.toString(16)}`;
      }
    }
    i += need + 1;
  }
  return undefined;
}

/**
 * Typed access to one JSON object of a request body. JSON `null` reads as absent (AWS
 * treats an explicit null like a missing member). A member of the wrong type fails at once
 * with InvalidRequestContentException naming it.
 */
export class BodyReader {
  constructor(
    private readonly obj: Readonly<Record<string, Json>>,
    private readonly path = '',
    /** Strings taken out of a large body (large-body.ts), by the index in their stand-in. */
    private readonly bigs: readonly BigString[] = [],
  ) {}

  /** A body parsed by large-body.ts. */
  static fromLarge(body: ParsedLargeBody): BodyReader {
    if (body.obj === null || typeof body.obj !== 'object' || Array.isArray(body.obj)) {
      throw invalidRequestContent('the body must be a JSON object');
    }
    return new BodyReader(body.obj, '', body.bigs);
  }

  /** The big string a stand-in names, if `v` is one. */
  private big(v: unknown): BigString | undefined {
    if (this.bigs.length === 0 || v === null || typeof v !== 'object' || !(BIG_KEY in v)) {
      return undefined;
    }
    return this.bigs[(v as Record<string, number>)[BIG_KEY] ?? -1];
  }

  /** A stand-in as a string: its head, longer than any length constraint, then a marker. */
  private resolve(v: Json): Json {
    const big = this.big(v);
    return big === undefined ? v : `${big.head}\u2026 (${big.length} characters)`;
  }

  /** Parses a request body; empty means `{}`. */
  static parse(bytes: Buffer): BodyReader {
    if (!isUtf8(bytes)) {
      // Decoding would turn the bad bytes into U+FFFD and store them.
      throw invalidRequestContent(utf8Error(bytes) ?? 'Invalid UTF-8');
    }
    const text = bytes.toString('utf8').trim();
    if (text === '') {
      return new BodyReader({});
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw invalidRequestContent(e instanceof Error ? e.message : 'malformed JSON');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw invalidRequestContent('the body must be a JSON object');
    }
    return new BodyReader(parsed as Record<string, Json>);
  }

  private where(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  private get(name: string): Exclude<Json, null> | undefined {
    const v = this.rawGet(name);
    return v === undefined ? undefined : (this.resolve(v) as Exclude<Json, null>);
  }

  private rawGet(name: string): Exclude<Json, null> | undefined {
    const v = Object.prototype.hasOwnProperty.call(this.obj, name) ? this.obj[name] : undefined;
    return v === null ? undefined : v;
  }

  private wrongType(name: string, expected: string): never {
    throw invalidRequestContent(`member '${this.where(name)}' must be ${expected}`);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.get(name);
    if (v !== undefined && typeof v !== 'string') {
      this.wrongType(name, 'a string');
    }
    return v;
  }

  integer(name: string): number | undefined {
    const v = this.get(name);
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v))) {
      this.wrongType(name, 'an integer');
    }
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.get(name);
    if (v !== undefined && typeof v !== 'boolean') {
      this.wrongType(name, 'a boolean');
    }
    return v;
  }

  object(name: string): BodyReader | undefined {
    const v = this.get(name);
    if (v === undefined) {
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.wrongType(name, 'an object');
    }
    return new BodyReader(v, this.where(name), this.bigs);
  }

  stringList(name: string): string[] | undefined {
    const got = this.get(name);
    if (got === undefined) {
      return undefined;
    }
    const v = Array.isArray(got) ? got.map((x) => this.resolve(x)) : got;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.wrongType(name, 'a list of strings');
    }
    return v;
  }

  /** A list of JSON objects, returned as plain values (for settings echoed back verbatim). */
  objectList(name: string): Record<string, unknown>[] | undefined {
    const v = this.get(name);
    if (v === undefined) {
      return undefined;
    }
    if (!Array.isArray(v) || !v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x))) {
      this.wrongType(name, 'a list of objects');
    }
    return v as Record<string, unknown>[];
  }

  stringMap(name: string): Record<string, string> | undefined {
    const got = this.get(name);
    if (got === undefined) {
      return undefined;
    }
    const v =
      typeof got === 'object' && !Array.isArray(got)
        ? Object.fromEntries(Object.entries(got).map(([k, x]) => [k, this.resolve(x)]))
        : got;
    if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      this.wrongType(name, 'a map of strings');
    }
    return { ...(v as Record<string, string>) };
  }

  numberMap(name: string): Record<string, number> | undefined {
    const v = this.get(name);
    if (v === undefined) {
      return undefined;
    }
    if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'number')) {
      this.wrongType(name, 'a map of numbers');
    }
    return { ...(v as Record<string, number>) };
  }

  /** The member as plain JSON (for settings echoed back verbatim). */
  raw(name: string): unknown {
    return this.get(name);
  }

  /** A base64 blob; strict alphabet and padding. */
  blob(name: string): Buffer | undefined {
    const big = this.big(this.rawGet(name));
    if (big !== undefined) {
      if (big.bytes === undefined) {
        throw invalidRequestContent(`member '${this.where(name)}' is not valid base64`);
      }
      return big.bytes;
    }
    const v = this.string(name);
    if (v === undefined) {
      return undefined;
    }
    const compact = v.replace(/[\r\n]/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      throw invalidRequestContent(`member '${this.where(name)}' is not valid base64`);
    }
    return Buffer.from(compact, 'base64');
  }
}

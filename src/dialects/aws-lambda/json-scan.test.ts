import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { isCertainlyJson } from './json-scan.js';

function parses(b: Buffer, start = 0): boolean {
  try {
    JSON.parse(b.toString('utf8', start));
    return true;
  } catch {
    return false;
  }
}

/** A small seeded generator (mulberry32), so a failure names the case that made it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPACES = [' ', '\t', '\n', '\r', ''];
const STRING_PIECES = [
  'a',
  'é',
  '🙂',
  '\\"',
  '\\\\',
  '\\/',
  '\\b',
  '\\f',
  '\\n',
  '\\r',
  '\\t',
  '\\u00e9',
  '\\ud83d',
  '\u2028',
  '\u007f',
  ' ',
];
const NUMBERS = [
  '0',
  '-0',
  '1',
  '-12',
  '3.25',
  '1e3',
  '1E+3',
  '2e-7',
  '-0.5e10',
  '1e400',
  '123456789012345678901234567890',
];

/** A JSON text with random nesting, spacing, strings and numbers. */
function jsonText(next: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const ws = (): string => pick(SPACES) + (next() < 0.2 ? pick(SPACES) : '');
  const str = (): string => {
    let s = '"';
    const n = Math.floor(next() * 5);
    for (let k = 0; k < n; k++) {
      s += pick(STRING_PIECES);
    }
    return `${s}"`;
  };
  const r = next();
  if (depth < 5 && r < 0.25) {
    const n = Math.floor(next() * 4);
    const items = Array.from(
      { length: n },
      () => `${ws()}${str()}${ws()}:${ws()}${jsonText(next, depth + 1)}${ws()}`,
    );
    return `{${items.length === 0 ? ws() : items.join(',')}}`;
  }
  if (depth < 5 && r < 0.5) {
    const n = Math.floor(next() * 4);
    const items = Array.from({ length: n }, () => `${ws()}${jsonText(next, depth + 1)}${ws()}`);
    return `[${items.length === 0 ? ws() : items.join(',')}]`;
  }
  if (r < 0.7) {
    return str();
  }
  if (r < 0.85) {
    return pick(NUMBERS);
  }
  return pick(['true', 'false', 'null']);
}

/** One random change of a text's bytes: a byte dropped, doubled, replaced or cut off. */
function mutate(b: Buffer, next: () => number): Buffer {
  const at = Math.floor(next() * (b.length + 1));
  const bytes = [...b];
  const r = next();
  const any = [
    0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x2d, 0x2e, 0x65, 0x30, 0x31, 0x20, 0x00, 0x0a, 0x75,
    0x41, 0xc3, 0x80,
  ];
  if (r < 0.25) {
    bytes.splice(at, 1);
  } else if (r < 0.5) {
    bytes.splice(at, 0, any[Math.floor(next() * any.length)] as number);
  } else if (r < 0.75) {
    bytes[at] = any[Math.floor(next() * any.length)] as number;
  } else {
    bytes.length = at;
  }
  return Buffer.from(bytes);
}

describe('isCertainlyJson', () => {
  it.each([
    '{}',
    '[]',
    ' \t\r\n{ } ',
    '{"hello":"world"}',
    '{"a":[1,-2.5e+3,true,false,null,{"b":{}}],"c":""}',
    '"\\u00e9\\ud800 \\/\\b\\f\\n\\r\\t\\"\\\\"',
    '"é🙂\u2028\u007f"',
    '0',
    '-0.0e-0',
    '1e400',
    'null',
    `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  ])('accepts %s', (text) => {
    const b = Buffer.from(text);
    expect(parses(b)).toBe(true);
    expect(isCertainlyJson(b)).toBe(true);
  });

  it.each([
    '',
    ' ',
    '{',
    '{"a"}',
    '{"a":}',
    '{"a":1,}',
    '{,"a":1}',
    '{"a" 1}',
    '{a:1}',
    '[1,]',
    '[,1]',
    '[1 2]',
    '01',
    '-',
    '1.',
    '.5',
    '1e',
    '1e+',
    '+1',
    'tru',
    'nul',
    'truex',
    'True',
    '"a',
    '"\\x"',
    '"\\u12"',
    '"\\u12g4"',
    '"tab\there"',
    '"\u0000"',
    '{}{}',
    '[]]',
    '{"a":1}}',
    '\u00a0{}',
    '\ufeff{}',
    "{'a':1}",
    'NaN',
    'Infinity',
    `${'['.repeat(300)}${']'.repeat(299)}`,
  ])('does not vouch for %s (which JSON.parse refuses)', (text) => {
    const b = Buffer.from(text);
    expect(parses(b)).toBe(false);
    expect(isCertainlyJson(b)).toBe(false);
  });

  it('honours where the text starts (after a byte order mark)', () => {
    const b = Buffer.from('\ufeff{"a":1}');
    expect(isCertainlyJson(b, 3)).toBe(true);
    expect(isCertainlyJson(b, 0)).toBe(false);
  });

  it('never vouches for what JSON.parse refuses, and vouches for what it generates (20,000 texts and mutations)', () => {
    const next = random(0x5eed);
    let vouched = 0;
    let mutants = 0;
    for (let k = 0; k < 10_000; k++) {
      const text = Buffer.from(jsonText(next));
      expect(parses(text), text.toString()).toBe(true);
      expect(isCertainlyJson(text), text.toString()).toBe(true);
      vouched++;
      const changed = mutate(text, next);
      if (!isUtf8(changed)) {
        continue; // the caller refuses these before the scan
      }
      mutants++;
      // The scan may decline a text JSON.parse accepts (that costs only speed), never the
      // other way round; on these simple texts it agrees exactly.
      expect(isCertainlyJson(changed), JSON.stringify(changed.toString())).toBe(parses(changed));
    }
    expect(vouched).toBe(10_000);
    expect(mutants).toBeGreaterThan(8_000);
  });
});

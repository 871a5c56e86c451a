import { describe, expect, it } from 'vitest';
import { parseFilterPattern } from './filter-pattern.js';

const match = (pattern: string, message: string) => {
  const p = parseFilterPattern(pattern);
  if (!p.ok) {
    throw new Error(p.message);
  }
  return p.matches(message);
};

describe('filter patterns', () => {
  it.each([
    ['', 'anything', true],
    ['ERROR', 'an ERROR here', true],
    ['ERROR', 'an error here', false],
    ['ERROR timeout', 'ERROR: timeout', true],
    ['ERROR timeout', 'ERROR only', false],
    ['"Task timed out"', '2026 id Task timed out after 1.00 seconds', true],
    ['"Status: timeout"', 'REPORT ...\tStatus: timeout', true],
    ['REPORT -Init', 'REPORT RequestId: x\tInit Duration: 1 ms', false],
    ['REPORT -Init', 'REPORT RequestId: x', true],
    ['?ERROR ?WARN', 'a WARN line', true],
    ['?ERROR ?WARN', 'an INFO line', false],
    ['START ?a ?b', 'START b', true],
    ['START ?a ?b', 'START c', false],
  ])('%j on %j → %s', (pattern, message, expected) => {
    expect(match(pattern, message)).toBe(expected);
  });

  it.each([
    ['Status: timeout', "Invalid character(s) in term ':'"],
    ['a,b', "Invalid character(s) in term ','"],
    ['SUCCESS*', "Invalid character(s) in term '*'"],
    ['"unterminated', `Invalid character(s) in term '"'`],
    ['-', "Invalid character(s) in term '-'"],
  ])('refuses %j with AWS message', (pattern, message) => {
    expect(parseFilterPattern(pattern)).toEqual({ ok: false, message });
  });

  it('names the syntaxes it does not support', () => {
    const p = parseFilterPattern('{ $.level = "error" }');
    expect(p.ok).toBe(false);
  });
});

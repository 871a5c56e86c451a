import { describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import { checkRouting } from './alias-rules.js';

const codeOf = (primary: string, weights: Record<string, number>) => {
  try {
    checkRouting(primary, weights);
    return 'ok';
  } catch (e) {
    return e instanceof PlatformError ? e.code : 'other';
  }
};

describe('checkRouting (spec §2.3 aliases)', () => {
  it.each([
    ['1', {}, 'ok'],
    ['$LATEST', {}, 'ok'],
    ['1', { '2': 0.5 }, 'ok'],
    ['1', { '2': 0 }, 'ok'],
    ['1', { '2': 1 }, 'ok'],
    ['1', { '2': 0.5, '3': 0.1 }, 'ROUTING_TOO_MANY_VERSIONS'],
    ['1', { '1': 0.5 }, 'ROUTING_SAME_AS_PRIMARY'],
    ['$LATEST', { '1': 0.5 }, 'ROUTING_WITH_LATEST'],
    ['1', { '2': 1.5 }, 'INVALID_PARAMETER'],
    ['1', { '2': -0.1 }, 'INVALID_PARAMETER'],
    ['1', { $LATEST: 0.5 }, 'INVALID_PARAMETER'],
  ])('primary %s weights %j → %s', (primary, weights, expected) => {
    expect(codeOf(primary, weights)).toBe(expected);
  });
});

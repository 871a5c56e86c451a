import { describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import type { AliasRecord } from '../model.js';
import { checkRouting, shiftOnMove } from './alias-rules.js';

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

describe('shiftOnMove (§3.6: an alias with provisioned concurrency moving)', () => {
  const alias = (functionVersion: string, fromVersion?: string): AliasRecord => ({
    name: 'LIVE',
    functionVersion,
    description: '',
    additionalVersionWeights: fromVersion === undefined ? {} : { [fromVersion]: 1 },
    ...(fromVersion === undefined ? {} : { provisionedShift: { fromVersion } }),
    revisionId: 'r',
    createdMs: 0,
    lastModifiedMs: 0,
  });
  const to = (functionVersion: string, weights: Record<string, number> = {}) => ({
    functionVersion,
    additionalVersionWeights: weights,
  });
  it.each([
    ['a provisioned move', alias('1'), to('2'), true, { fromVersion: '1' }],
    ['no provisioned concurrency: no move to wait for', alias('1'), to('2'), false, undefined],
    [
      "the caller's own weights: a weighted alias instead",
      alias('1'),
      to('2', { '1': 0.5 }),
      true,
      undefined,
    ],
    [
      'moving on mid-move: the version that still serves stays',
      alias('2', '1'),
      to('3'),
      true,
      { fromVersion: '1' },
    ],
    ['moving back mid-move: nothing to wait for', alias('2', '1'), to('1'), true, undefined],
  ])('%s', (_name, before, next, provisioned, want) => {
    expect(shiftOnMove(before, next, provisioned)).toEqual(want);
  });
});

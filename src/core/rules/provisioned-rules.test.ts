import { describe, expect, it } from 'vitest';
import { PlatformError, type ErrorCode } from '../errors.js';
import type { AliasRecord, ProvisionedConfigRecord } from '../model.js';
import { checkProvisionedPut, targetVersionOf, type ProvisionedPutInput } from './provisioned-rules.js';

const alias = (name: string, functionVersion: string, weights: Record<string, number> = {}): AliasRecord => ({
  name,
  functionVersion,
  description: '',
  additionalVersionWeights: weights,
  revisionId: 'r',
  createdMs: 0,
  lastModifiedMs: 0,
});
const config = (qualifier: string, requested: number): ProvisionedConfigRecord => ({
  qualifier,
  requested,
  lastModifiedMs: 0,
});

const base: ProvisionedPutInput = {
  functionName: 'fn',
  qualifier: '1',
  requested: 1,
  configs: [],
  aliases: [],
  unreserved: 1000,
  minUnreserved: 100,
};

function codeOf(input: Partial<ProvisionedPutInput>): ErrorCode | 'ok' {
  try {
    checkProvisionedPut({ ...base, ...input });
    return 'ok';
  } catch (e) {
    if (e instanceof PlatformError) {
      return e.code;
    }
    throw e;
  }
}

describe('checkProvisionedPut (aws-lambda.md §3.3)', () => {
  const blue = alias('BLUE', '1');
  const cases: [string, Partial<ProvisionedPutInput>, ErrorCode | 'ok'][] = [
    ['a plain version', {}, 'ok'],
    ['a plain alias', { qualifier: 'BLUE', alias: blue, aliases: [blue] }, 'ok'],
    [
      'a weighted alias',
      { qualifier: 'W', alias: alias('W', '1', { '2': 0.5 }), aliases: [alias('W', '1', { '2': 0.5 })] },
      'PROVISIONED_ON_WEIGHTED_ALIAS',
    ],
    ['over the reservation', { reserved: 2, requested: 3 }, 'PROVISIONED_EXCEEDS_RESERVED'],
    [
      'others plus new over the reservation',
      { reserved: 3, configs: [config('2', 2)], requested: 2 },
      'PROVISIONED_EXCEEDS_RESERVED',
    ],
    [
      'replacing itself within the reservation',
      { reserved: 3, configs: [config('1', 3)], requested: 3 },
      'ok',
    ],
    ['over the unreserved pool', { requested: 1001 }, 'PROVISIONED_EXCEEDS_UNRESERVED'],
    ['leaving less than the floor', { requested: 901 }, 'PROVISIONED_BELOW_UNRESERVED_MINIMUM'],
    ['exactly the floor left', { requested: 900 }, 'ok'],
    ['own request counted as freed', { unreserved: 100, configs: [config('1', 900)], requested: 900 }, 'ok'],
    [
      'alias on a version that has its own config',
      { qualifier: 'BLUE', alias: blue, aliases: [blue], configs: [config('1', 1)] },
      'PROVISIONED_ALIAS_ON_PROVISIONED_VERSION',
    ],
    [
      'version pointed by a provisioned alias',
      { qualifier: '1', aliases: [blue], configs: [config('BLUE', 1)] },
      'PROVISIONED_VERSION_POINTED_BY_ALIAS',
    ],
    [
      'second alias on the same version',
      {
        qualifier: 'GREEN',
        alias: alias('GREEN', '1'),
        aliases: [blue, alias('GREEN', '1')],
        configs: [config('BLUE', 1)],
      },
      'PROVISIONED_ALIAS_ON_PROVISIONED_VERSION',
    ],
    [
      'aliases on different versions',
      {
        qualifier: 'GREEN',
        alias: alias('GREEN', '2'),
        aliases: [blue, alias('GREEN', '2')],
        configs: [config('BLUE', 1)],
      },
      'ok',
    ],
    [
      'reservation check comes before conflicts',
      { reserved: 0, aliases: [blue], configs: [config('BLUE', 1)] },
      'PROVISIONED_EXCEEDS_RESERVED',
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(codeOf(input)).toBe(expected);
  });

  it('reports the unreserved figure with this config freed', () => {
    try {
      checkProvisionedPut({ ...base, unreserved: 150, configs: [config('1', 50)], requested: 500 });
      expect.unreachable();
    } catch (e) {
      expect((e as PlatformError<'PROVISIONED_EXCEEDS_UNRESERVED'>).details).toEqual({ unreserved: 200 });
    }
  });
});

describe('targetVersionOf', () => {
  it('resolves versions and aliases', () => {
    expect(targetVersionOf('3', [])).toBe('3');
    expect(targetVersionOf('BLUE', [alias('BLUE', '2')])).toBe('2');
    expect(targetVersionOf('NOPE', [])).toBeUndefined();
  });
});

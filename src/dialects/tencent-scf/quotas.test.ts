import { describe, expect, it } from 'vitest';
import {
  allocatablePoolMb,
  provisionedBreach,
  reservedBreach,
  reservedInstances,
  totalBreach,
  unallocatedConcurrencyNum,
  unreservedInvokeMb,
  usedMb,
  type AccountQuota,
  type FunctionQuota,
} from './quotas.js';

const fn = (id: string, over: Partial<FunctionQuota> = {}): FunctionQuota => ({
  id,
  namespace: 'default',
  name: id,
  memoryMb: 128,
  provisioned: [],
  ...over,
});

const acct = (functions: FunctionQuota[], totalMb = 128_000): AccountQuota => ({ totalMb, functions });

describe('the allocatable pool (spec §3.1)', () => {
  it('is T − 12800 − Σ reserved − Σ PC of unreserved functions, the asking function excluded', () => {
    const a = acct([
      fn('a', { provisioned: [{ qualifier: '1', instances: 10, memoryMb: 128 }] }),
      fn('b', { reservedMb: 10_000, provisioned: [{ qualifier: '1', instances: 5, memoryMb: 256 }] }),
      fn('c', { provisioned: [{ qualifier: '2', instances: 4, memoryMb: 512 }] }),
    ]);
    // b's PC lives inside its reservation and is not counted twice.
    expect(allocatablePoolMb(a, 'a')).toBe(128_000 - 12_800 - 10_000 - 4 * 512);
    expect(allocatablePoolMb(a, 'c')).toBe(128_000 - 12_800 - 10_000 - 10 * 128);
    expect(usedMb(a)).toBe(10 * 128 + 10_000 + 4 * 512);
    expect(unreservedInvokeMb(a)).toBe(128_000 - 10_000);
  });
});

describe('UnallocatedConcurrencyNum (spec §3.2 [REC])', () => {
  it.each([
    [
      'no reservation: floor(pool / M) − Σ allocated',
      acct([fn('f', { provisioned: [{ qualifier: '1', instances: 2, memoryMb: 128 }] })]),
      900 - 2,
    ],
    [
      'the official example: T = 312960 MB, two versions of 1',
      acct(
        [
          fn('f', {
            provisioned: [
              { qualifier: '1', instances: 1, memoryMb: 128 },
              { qualifier: '2', instances: 1, memoryMb: 128 },
            ],
          }),
        ],
        312_960,
      ),
      2343,
    ],
    [
      'a reservation: floor(R / M) − Σ allocated',
      acct([fn('f', { reservedMb: 1000, provisioned: [{ qualifier: '1', instances: 3, memoryMb: 128 }] })]),
      7 - 3,
    ],
    [
      'never below 0',
      acct([fn('f', { reservedMb: 128, provisioned: [{ qualifier: '1', instances: 3, memoryMb: 128 }] })]),
      0,
    ],
    ['an unknown function has none', acct([]), 0],
  ])('%s', (_what, a, expected) => {
    expect(unallocatedConcurrencyNum(a, 'f')).toBe(expected);
  });
});

describe('PutProvisionedConcurrencyConfig quota (spec §3.5 step 7)', () => {
  const a = acct(
    [
      fn('r', { reservedMb: 1024, provisioned: [{ qualifier: '1', instances: 4, memoryMb: 128 }] }),
      fn('u', { provisioned: [{ qualifier: '1', instances: 4, memoryMb: 128 }] }),
      fn('big', { provisioned: [{ qualifier: '1', instances: 100, memoryMb: 1024 }] }),
    ],
    128_000,
  );

  it.each([
    ['r', '2', 4, undefined],
    ['r', '2', 5, 'reserved'],
    ['r', '1', 8, undefined],
    ['r', '1', 9, 'reserved'],
    ['u', '1', Math.floor((128_000 - 12_800 - 1024 - 102_400) / 128), undefined],
    ['u', '1', Math.floor((128_000 - 12_800 - 1024 - 102_400) / 128) + 1, 'available'],
  ] as const)('%s:%s with %i instances → %s', (id, q, n, breach) => {
    expect(provisionedBreach(a, id, q, n, 128)).toBe(breach);
  });
});

describe('reserved and total quotas (spec §3.5)', () => {
  const a = acct([
    fn('a', { reservedMb: 50_000 }),
    fn('b', { provisioned: [{ qualifier: '1', instances: 10, memoryMb: 128 }] }),
  ]);

  it('keeps Σ reserved within T − 12800 and above the function’s own PC', () => {
    expect(reservedBreach(a, 'b', 128_000 - 12_800 - 50_000)).toBeUndefined();
    expect(reservedBreach(a, 'b', 128_000 - 12_800 - 50_000 + 1)).toBe('total');
    expect(reservedBreach(a, 'b', 1279)).toBe('provisioned');
    expect(reservedBreach(a, 'a', 115_200)).toBeUndefined();
  });

  it('keeps T within the limit and ≥ used + 12800', () => {
    expect(totalBreach(a, 200_000, 128_000)).toBe('above-limit');
    expect(totalBreach(a, 50_000 + 1280 + 12_800, 128_000)).toBeUndefined();
    expect(totalBreach(a, 50_000 + 1280 + 12_799, 128_000)).toBe('below-used');
  });

  it('maps MB onto core’s reserved instances by floor(MB / MemorySize)', () => {
    expect(reservedInstances(1000, 128)).toBe(7);
    expect(reservedInstances(0, 128)).toBe(0);
    expect(reservedInstances(1024, 64)).toBe(16);
  });
});

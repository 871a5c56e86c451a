import { describe, expect, it } from 'vitest';
import { place, startsNeeded, type Placement, type PlacementInput } from './placement.js';

const base: PlacementInput = {
  provisionedTotal: 0,
  unreservedCapacity: 10,
  busyFunction: 0,
  busyScope: 0,
  onDemand: { idle: 0, starting: 0, waiters: 0 },
};

function input(over: Partial<PlacementInput>): PlacementInput {
  return { ...base, ...over };
}

describe('place', () => {
  const cases: [string, PlacementInput, Placement][] = [
    [
      'reserved 0 blocks everything, even a ready provisioned env',
      input({ reserved: 0, provisioned: { usable: true, idle: 3, finishing: 0, waiters: 0 } }),
      { kind: 'throttle', code: 'THROTTLED_RESERVED' },
    ],
    [
      'free READY provisioned env is used',
      input({ provisioned: { usable: true, idle: 1, finishing: 0, waiters: 0 } }),
      { kind: 'provisioned' },
    ],
    [
      'provisioned env is used without counting against a full unreserved pool',
      input({ busyScope: 10, provisioned: { usable: true, idle: 1, finishing: 0, waiters: 0 } }),
      { kind: 'provisioned' },
    ],
    [
      'provisioned config not READY: on-demand',
      input({ provisioned: { usable: false, idle: 2, finishing: 0, waiters: 0 } }),
      { kind: 'start', lease: 'scope' },
    ],
    [
      'provisioned all busy: spillover on-demand',
      input({
        provisioned: { usable: true, idle: 0, finishing: 0, waiters: 0 },
        onDemand: { idle: 1, starting: 0, waiters: 0 },
      }),
      { kind: 'warm', lease: 'scope' },
    ],
    [
      'reserved function under its cap',
      input({ reserved: 5, provisionedTotal: 2, busyFunction: 2 }),
      { kind: 'start', lease: 'function' },
    ],
    [
      'reserved function at reserved − ΣPC',
      input({ reserved: 5, provisionedTotal: 2, busyFunction: 3 }),
      { kind: 'throttle', code: 'THROTTLED_RESERVED' },
    ],
    [
      'reserved == ΣPC throttles on-demand ($LATEST)',
      input({ reserved: 2, provisionedTotal: 2 }),
      { kind: 'throttle', code: 'THROTTLED_RESERVED' },
    ],
    [
      'reserved == ΣPC still serves a READY provisioned env',
      input({
        reserved: 2,
        provisionedTotal: 2,
        provisioned: { usable: true, idle: 1, finishing: 0, waiters: 0 },
      }),
      { kind: 'provisioned' },
    ],
    [
      'reserved function ignores the unreserved pool',
      input({ reserved: 3, busyScope: 10 }),
      { kind: 'start', lease: 'function' },
    ],
    ['unreserved pool full', input({ busyScope: 10 }), { kind: 'throttle', code: 'THROTTLED_ACCOUNT' }],
    [
      'unreserved capacity 0',
      input({ unreservedCapacity: 0 }),
      { kind: 'throttle', code: 'THROTTLED_ACCOUNT' },
    ],
    [
      'PC env about to ask for the next: wait for it, no spillover',
      input({ provisioned: { usable: true, idle: 0, finishing: 1, waiters: 0 } }),
      { kind: 'provisioned-wait' },
    ],
    [
      'PC envs finishing all claimed: spillover',
      input({ provisioned: { usable: true, idle: 0, finishing: 1, waiters: 1 } }),
      { kind: 'start', lease: 'scope' },
    ],
    [
      'PC not READY: finishing envs are not waited for',
      input({ provisioned: { usable: false, idle: 0, finishing: 2, waiters: 0 } }),
      { kind: 'start', lease: 'scope' },
    ],
    [
      'warm idle env preferred',
      input({ onDemand: { idle: 2, starting: 1, waiters: 0 } }),
      { kind: 'warm', lease: 'scope' },
    ],
    [
      'an unclaimed start in flight is waited for',
      input({ onDemand: { idle: 0, starting: 1, waiters: 0 } }),
      { kind: 'wait', lease: 'scope' },
    ],
    [
      'starts all claimed: start another',
      input({ onDemand: { idle: 0, starting: 2, waiters: 2 } }),
      { kind: 'start', lease: 'scope' },
    ],
    [
      'more starts than waiters: wait',
      input({ onDemand: { idle: 0, starting: 3, waiters: 2 } }),
      { kind: 'wait', lease: 'scope' },
    ],
  ];
  for (const [name, i, want] of cases) {
    it(name, () => {
      expect(place(i)).toEqual(want);
    });
  }
});

describe('startsNeeded', () => {
  it.each([
    [0, 0, 0],
    [3, 1, 2],
    [1, 3, 0],
  ])('%i waiters, %i starting → %i', (waiters, starting, want) => {
    expect(startsNeeded(waiters, starting)).toBe(want);
  });
});

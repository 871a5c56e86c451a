import { describe, expect, it } from 'vitest';
import { PlatformError } from '../errors.js';
import { checkReservedPut, claimOf, unreservedConcurrency } from './concurrency-rules.js';

describe('claims (spec §3.1 DESIGN)', () => {
  it.each([
    [{ provisioned: {} }, 0],
    [{ provisioned: { '1': 5, live: 3 } }, 8],
    [{ reserved: 20, provisioned: { '1': 5 } }, 20],
    [{ reserved: 0, provisioned: {} }, 0],
  ])('claimOf(%j) = %i', (claim, expected) => {
    expect(claimOf(claim)).toBe(expected);
  });

  it('does not count provisioned concurrency inside a reservation twice', () => {
    expect(
      unreservedConcurrency(1000, [
        { reserved: 100, provisioned: { '1': 50 } },
        { provisioned: { '2': 10 } },
      ]),
    ).toBe(890);
  });
});

describe('checkReservedPut (spec §3.2)', () => {
  const base = { limit: 1000, minUnreserved: 100, otherClaims: 0, current: { provisioned: {} } };
  const codeOf = (f: () => void) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return e instanceof PlatformError ? e.code : 'other';
    }
  };

  it.each([
    [{ requested: 900 }, 'ok'],
    [{ requested: 901 }, 'RESERVED_BELOW_UNRESERVED_MINIMUM'],
    [{ requested: 5000 }, 'RESERVED_BELOW_UNRESERVED_MINIMUM'],
    [{ requested: 800, otherClaims: 100 }, 'ok'],
    [{ requested: 801, otherClaims: 100 }, 'RESERVED_BELOW_UNRESERVED_MINIMUM'],
    [{ requested: 1, current: { provisioned: { '1': 2 } } }, 'RESERVED_BELOW_PROVISIONED'],
    [{ requested: 2, current: { provisioned: { '1': 2 } } }, 'ok'],
    [{ requested: 0 }, 'ok'],
  ])('%j → %s', (over, expected) => {
    expect(codeOf(() => checkReservedPut({ ...base, ...over }))).toBe(expected);
  });

  it('checks the floor before the provisioned total', () => {
    expect(
      codeOf(() => checkReservedPut({ ...base, requested: 950, current: { provisioned: { '1': 990 } } })),
    ).toBe('RESERVED_BELOW_UNRESERVED_MINIMUM');
  });
});

import { describe, expect, it } from 'vitest';
import { accountLimits } from './account-limits.js';

describe('accountLimits', () => {
  const limits = {
    accountConcurrency: 1000,
    minUnreservedConcurrency: 100,
    forAccount: (id: string) =>
      ({ '111111111111': { accountConcurrency: 20 }, '222222222222': { minUnreservedConcurrency: 0 } })[id],
  };

  it.each([
    ['111111111111', { accountConcurrency: 20, minUnreservedConcurrency: 20 }],
    ['222222222222', { accountConcurrency: 1000, minUnreservedConcurrency: 0 }],
    ['333333333333', { accountConcurrency: 1000, minUnreservedConcurrency: 100 }],
  ])(
    "%s: its own figures where set, the platform's otherwise (a floor no higher than its limit)",
    (id, expected) => {
      expect(accountLimits(limits, id)).toEqual(expected);
    },
  );

  it('without per-account settings every account has the platform figures', () => {
    expect(accountLimits({ accountConcurrency: 5, minUnreservedConcurrency: 1 }, 'x')).toEqual({
      accountConcurrency: 5,
      minUnreservedConcurrency: 1,
    });
  });
});

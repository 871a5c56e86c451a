import { describe, expect, it } from 'vitest';
import { planProvisioned, provisionedStatus, type ProvisionedCounts } from './provisioned-plan.js';

const c = (over: Partial<ProvisionedCounts>): ProvisionedCounts => ({
  requested: 3,
  failed: false,
  currentStarting: 0,
  currentInitialised: 0,
  oldInitialised: 0,
  ...over,
});

describe('provisionedStatus', () => {
  it.each([
    ['nothing yet', c({}), { allocated: 0, available: 0, status: 'IN_PROGRESS' }],
    [
      'partly initialised: no partial availability',
      c({ currentStarting: 1, currentInitialised: 2 }),
      { allocated: 2, available: 2, status: 'IN_PROGRESS' },
    ],
    ['all initialised', c({ currentInitialised: 3 }), { allocated: 3, available: 3, status: 'READY' }],
    [
      'alias moved from a config that was not READY: old still allocated, not available',
      c({ currentInitialised: 1, oldInitialised: 3 }),
      { allocated: 4, available: 1, status: 'IN_PROGRESS' },
    ],
    [
      'alias moved from a READY config: the version left serves and is available (recorded 1/1)',
      c({ requested: 1, currentStarting: 1, oldInitialised: 1, oldServing: 1 }),
      { allocated: 1, available: 1, status: 'IN_PROGRESS' },
    ],
    [
      'alias moved, new version partly up: what serves is the version left',
      c({ currentInitialised: 2, currentStarting: 1, oldInitialised: 3, oldServing: 3 }),
      { allocated: 5, available: 3, status: 'IN_PROGRESS' },
    ],
    [
      'alias moved, new version complete: READY on it',
      c({ currentInitialised: 3, oldInitialised: 3, oldServing: 3 }),
      { allocated: 6, available: 3, status: 'READY' },
    ],
    [
      'failed',
      c({ failed: true, currentInitialised: 2 }),
      { allocated: 0, available: 0, status: 'FAILED', statusReason: 'FUNCTION_ERROR_INIT_FAILURE' },
    ],
    [
      'retrying after an init timeout: says why',
      c({
        currentStarting: 1,
        currentInitialised: 2,
        lastInitFailure: { failure: { kind: 'timeout', afterMs: 130_000 }, failures: 2, maxAttempts: 6 },
      }),
      {
        allocated: 2,
        available: 2,
        status: 'IN_PROGRESS',
        statusReason:
          'Init attempt 2 of 6 failed: the runtime did not become ready within the init limit of 130.00 seconds (INIT_REPORT Status: timeout). Retrying.',
        lastInitFailure:
          'the runtime did not become ready within the init limit of 130.00 seconds (INIT_REPORT Status: timeout)',
      },
    ],
    [
      'failed after init errors: the code, and why beside it',
      c({
        failed: true,
        lastInitFailure: {
          failure: { kind: 'exit', code: 3, signal: null },
          failures: 6,
          maxAttempts: 6,
        },
      }),
      {
        allocated: 0,
        available: 0,
        status: 'FAILED',
        statusReason: 'FUNCTION_ERROR_INIT_FAILURE',
        lastInitFailure: 'the runtime exited with status 3 during init',
      },
    ],
  ])('%s', (_name, counts, want) => {
    expect(provisionedStatus(counts)).toEqual(want);
  });
});

describe('planProvisioned', () => {
  it.each([
    ['fresh config starts all', c({}), { start: 3, retire: 0, retireOld: false }],
    [
      'starts in flight count',
      c({ currentStarting: 2, currentInitialised: 1 }),
      { start: 0, retire: 0, retireOld: false },
    ],
    [
      'scale up starts only the difference',
      c({ requested: 5, currentInitialised: 3 }),
      { start: 2, retire: 0, retireOld: false },
    ],
    [
      'scale down retires only the difference',
      c({ requested: 1, currentInitialised: 3 }),
      { start: 0, retire: 2, retireOld: true },
    ],
    ['a dead env is replaced', c({ currentInitialised: 2 }), { start: 1, retire: 0, retireOld: false }],
    [
      'make-before-break: old kept until new are ready',
      c({ currentInitialised: 2, currentStarting: 1, oldInitialised: 3 }),
      { start: 0, retire: 0, retireOld: false },
    ],
    [
      'make-before-break: old retired once new are ready',
      c({ currentInitialised: 3, oldInitialised: 3 }),
      { start: 0, retire: 0, retireOld: true },
    ],
    [
      'failed retires everything',
      c({ failed: true, currentInitialised: 1, currentStarting: 1 }),
      { start: 0, retire: 2, retireOld: true },
    ],
  ])('%s', (_name, counts, want) => {
    expect(planProvisioned(counts)).toEqual(want);
  });
});

/**
 * The pool's admission holds a memory budget per scope when an invocation carries one
 * (SCF's account quota T − Σ R, moved from the SCF dialect into admission, issue 8): held
 * for the whole invocation, provisioned or on-demand, released on every path out.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/core/errors.js';
import { makeRequest, makeSpec, testPool } from './pool-helpers.js';

const pool = testPool();
afterAll(() => pool.dispose());

const budgeted = (ms: number, limitMb: number) => {
  const req = makeRequest(makeSpec('sleeper'), { event: { ms } });
  return { ...req, admission: { ...req.admission, memoryBudget: { limitMb, memoryMb: 128 } } };
};

describe('memory budget', () => {
  it('refuses an invocation that would exceed the budget while others run, and frees it after', async () => {
    const first = pool.invoke(budgeted(1500, 200));
    // 128 of 200 MB are held by the first: a second 128 MB invocation does not fit.
    const refused = await pool.invoke(budgeted(0, 200)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(PlatformError);
    expect((refused as PlatformError).code).toBe('THROTTLED_ACCOUNT');
    expect((await first).kind).toBe('success');
    // Released with the first one's outcome.
    expect((await pool.invoke(budgeted(0, 200))).kind).toBe('success');
  });

  it('fails even an invocation with a budget too small for it, and leaves no lease behind', async () => {
    const e = await pool.invoke(budgeted(0, 100)).catch((x: unknown) => x);
    expect((e as PlatformError).code).toBe('THROTTLED_ACCOUNT');
    expect((await pool.invoke(budgeted(0, 128))).kind).toBe('success');
  });
});

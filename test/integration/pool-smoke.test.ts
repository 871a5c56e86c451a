import { afterAll, expect, it } from 'vitest';
import { json, makeRequest, makeSpec, testPool } from './pool-helpers.js';

const pool = testPool();
afterAll(() => pool.dispose());

it('smoke', async () => {
  const spec = makeSpec('echo');
  const t0 = performance.now();
  const o = await pool.invoke(makeRequest(spec, { event: { a: 1 }, wantLog: true }));
  console.log(performance.now() - t0, o);
  expect(o.kind).toBe('success');
  expect(json(o.payload)).toEqual({ a: 1 });
  const t1 = performance.now();
  const o2 = await pool.invoke(makeRequest(spec, { event: { a: 2 } }));
  console.log(performance.now() - t1, o2);
});

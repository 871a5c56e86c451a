/**
 * Test fixtures shared by the scaling tests (core's service tests and the scheduler's glue
 * tests): a published function on in-memory ports with a counting pool, and a schedule
 * that fires once. Not used in production.
 */
import { createCore } from '../index.js';
import { CountingPool, fakeZip, memoryDeps } from '../services/testing/in-memory-ports.js';
import type { ScheduleRef } from './scaling-policy.js';
import { ScalingService, type FireScheduleLike } from './scaling-service.js';

/** A schedule firing once at `expression` (epoch ms as text). */
export const onceFactory = (ref: ScheduleRef): FireScheduleLike => {
  const at = Number(ref.expression);
  return {
    lastFireAtOrBefore: (ms) => (ms >= at ? at : undefined),
    nextFireAfter: (ms) => (ms < at ? at : undefined),
  };
};

/** Function `fn` with version 1 published, and a ScalingService over it. */
export async function scalingFixture() {
  const deps = memoryDeps();
  const pool = new CountingPool();
  const core = createCore({ ...deps, pool });
  const key = { accountId: '1', region: 'r', namespace: 'default', name: 'fn' };
  await core.functions.create(key, {
    config: { runtime: 'nodejs20.x', handler: 'index.handler', role: '' },
    zip: fakeZip(),
  });
  await core.versions.publish(key);
  const scaling = new ScalingService({
    store: deps.store,
    pool,
    provisioned: core.provisioned,
    changes: core.changes,
    locks: core.locks,
    schedules: onceFactory,
  });
  return { deps, pool, core, key, scaling, id: core.provisioned.poolKey(key, '1') };
}

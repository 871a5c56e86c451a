/**
 * The scaling glue on an in-memory core: policies written through `configure` register
 * targets, decisions come back through `apply` and change the config's count through
 * ProvisionedService (extra kept), stale decisions and foreign rewrites are dropped, deletes
 * unregister. src/scheduler/scaling-glue.test.ts drives it with the real ScalingLoop.
 */
import { describe, expect, it } from 'vitest';
import type { ScalingPolicy } from './scaling-policy.js';
import { ScalingService, type ScalingDriver, type ScalingDriverTarget } from './scaling-service.js';
import { onceFactory, scalingFixture } from './testing.js';

class RecordingDriver implements ScalingDriver {
  readonly registered = new Map<string, ScalingDriverTarget>();
  readonly log: string[] = [];
  register(t: ScalingDriverTarget) {
    this.registered.set(t.id, t);
    this.log.push(`register ${t.id}`);
  }
  unregister(id: string) {
    this.registered.delete(id);
    this.log.push(`unregister ${id}`);
  }
}

const setup = scalingFixture;

const policy = (over: Partial<ScalingPolicy> = {}): ScalingPolicy => ({
  requested: 2,
  configuredAtMs: 1000,
  scheduledActions: [
    { name: 'peak', provisionedNum: 5, schedule: { kind: 'once', expression: '5000', timeZone: 'UTC' } },
  ],
  ...over,
});

describe('ScalingService', () => {
  it('stores the policy with the config and registers dynamic ones', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    const view = await s.scaling.configure(s.key, '1', policy());
    expect(view.config.requested).toBe(2);
    expect(view.config.scaling).toEqual(policy());
    const t = driver.registered.get(s.id);
    expect(t).toMatchObject({ configuredAtMs: 1000, currentDesired: 2, spec: { requested: 2 } });
    expect(t?.spec.scheduledActions[0]?.schedule.lastFireAtOrBefore(6000)).toBe(5000);
    // A static policy is stored but needs no target.
    await s.scaling.configure(s.key, '1', policy({ scheduledActions: [] }));
    expect(driver.registered.has(s.id)).toBe(false);
  });

  it('starts tracking at MinCapacity and samples utilisation × allocated', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    await s.scaling.configure(
      s.key,
      '1',
      policy({ requested: 0, scheduledActions: [], tracking: { targetUtilization: 0.5, min: 2, max: 6 } }),
    );
    expect(s.pool.counts.get(s.id)).toBe(2);
    s.pool.busy = 2;
    expect(driver.registered.get(s.id)?.sampleConcurrency?.()).toBe(2);
  });

  it('applies a decision through core, keeping extra', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    await s.scaling.configure(s.key, '1', policy());
    await s.scaling.apply(s.id, 5);
    const stored = await s.deps.store.getProvisionedConfig(s.key, '1');
    expect(stored?.requested).toBe(5);
    expect(stored?.scaling).toEqual(policy());
    expect(s.pool.counts.get(s.id)).toBe(5);
  });

  it('drops a decision made for a policy that was replaced meanwhile', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    await s.scaling.configure(s.key, '1', policy());
    const stale = s.scaling.apply(s.id, 5);
    await s.scaling.configure(s.key, '1', policy({ requested: 3, configuredAtMs: 2000 }));
    await stale;
    // The configure was queued first (same lock), so the old decision must not land after it.
    expect((await s.deps.store.getProvisionedConfig(s.key, '1'))?.requested).toBe(3);
  });

  it('unregisters when another writer dropped the policy (e.g. an AWS Put)', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    await s.scaling.configure(s.key, '1', policy());
    await s.core.provisioned.put(s.key, '1', 7);
    await s.scaling.apply(s.id, 5);
    expect((await s.deps.store.getProvisionedConfig(s.key, '1'))?.requested).toBe(7);
    expect(driver.registered.has(s.id)).toBe(false);
  });

  it('unregisters on config, version and function deletes', async () => {
    const s = await setup();
    const driver = new RecordingDriver();
    s.scaling.attach(driver);
    await s.scaling.configure(s.key, '1', policy());
    await s.scaling.remove(s.key, '1');
    expect(driver.registered.has(s.id)).toBe(false);
    await s.scaling.configure(s.key, '1', policy());
    await s.core.provisioned.delete(s.key, '1');
    await s.core.functions.delete(s.key, '1');
    expect(driver.registered.has(s.id)).toBe(false);
  });

  it('re-registers stored dynamic policies on start', async () => {
    const s = await setup();
    await s.scaling.configure(s.key, '1', policy());
    const driver = new RecordingDriver();
    const again = new ScalingService({
      store: s.deps.store,
      pool: s.pool,
      provisioned: s.core.provisioned,
      changes: s.core.changes,
      locks: s.core.locks,
      schedules: onceFactory,
    });
    again.attach(driver);
    await again.start();
    expect([...driver.registered.keys()]).toEqual([s.id]);
  });
});

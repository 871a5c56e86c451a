/**
 * The Store port's scalable targets and scaling activities, as a part of the store
 * contract (store.contract.ts runs it inside its suite, with its skip list).
 */
import { describe, expect } from 'vitest';
import type { FunctionKey, Scope } from '../core/model.js';
import type { Store } from '../core/ports.js';
import {
  MAX_ACTIVITIES_PER_TARGET,
  NOT_SUSPENDED,
  type ScalableTargetRecord,
  type ScalingActivityRecord,
} from '../core/scaling/scalable-target.js';

export interface ScalingContractContext {
  readonly test: (title: string, body: () => Promise<void>) => void;
  readonly store: () => Store;
  readonly reopened: () => Promise<Store>;
  readonly scopeA: Scope;
  readonly scopeB: Scope;
  readonly fnKey: (name: string, scope?: Scope, namespace?: string) => FunctionKey;
}

export function targetRecord(qualifier: string, overrides: Partial<ScalableTargetRecord> = {}) {
  const t: ScalableTargetRecord = {
    qualifier,
    id: `id-${qualifier}`,
    minCapacity: 1,
    maxCapacity: 10,
    suspended: NOT_SUSPENDED,
    createdMs: 1_700_000_000_000,
    boundsSetMs: 1_700_000_000_000,
    tags: { team: 'a' },
    scheduledActions: [
      {
        name: 'morning',
        id: 'a1',
        schedule: { kind: 'aws', expression: 'cron(0 8 * * ? *)', timeZone: 'UTC' },
        min: 5,
        createdMs: 1_700_000_000_000,
      },
    ],
    policies: [],
    ...overrides,
  };
  return t;
}

export function activityRecord(id: string, startMs: number, qualifier = 'live'): ScalingActivityRecord {
  return {
    id,
    qualifier,
    startMs,
    status: 'InProgress',
    description: `Setting desired concurrency to 3.`,
    cause: 'test',
  };
}

export function describeScalingContract(c: ScalingContractContext): void {
  describe('scalable targets and activities', () => {
    c.test('puts, replaces, lists by scope and deletes targets, with or without a function', async () => {
      const store = c.store();
      await store.putScalableTarget(c.fnKey('f2'), targetRecord('live'));
      await store.putScalableTarget(c.fnKey('f1'), targetRecord('2'));
      await store.putScalableTarget(c.fnKey('f1'), targetRecord('10'));
      await store.putScalableTarget(c.fnKey('f1', c.scopeB), targetRecord('x'));
      await store.putScalableTarget(c.fnKey('f1'), targetRecord('2', { maxCapacity: 20 }));
      const seen = (await store.listScalableTargets(c.scopeA)).map(
        (e) => `${e.key.name}:${e.target.qualifier}`,
      );
      expect(seen).toEqual(['f1:10', 'f1:2', 'f2:live']);
      const two = (await store.listScalableTargets(c.scopeA)).find((e) => e.target.qualifier === '2');
      expect(two).toEqual({ key: c.fnKey('f1'), target: targetRecord('2', { maxCapacity: 20 }) });
      expect(await store.listAllScalableTargets()).toHaveLength(4);
      await store.deleteScalableTarget(c.fnKey('f1'), '2');
      await store.deleteScalableTarget(c.fnKey('nope'), '2');
      expect((await store.listScalableTargets(c.scopeA)).map((e) => e.target.qualifier)).toEqual([
        '10',
        'live',
      ]);
    });

    c.test('keeps activities newest first, replaces by id and trims per target', async () => {
      const store = c.store();
      await store.putScalingActivity(c.fnKey('f1'), activityRecord('a', 1));
      await store.putScalingActivity(c.fnKey('f1'), activityRecord('b', 2));
      await store.putScalingActivity(c.fnKey('f1', c.scopeB), activityRecord('c', 3));
      await store.putScalingActivity(c.fnKey('f1'), {
        ...activityRecord('a', 1),
        status: 'Successful',
        endMs: 5,
      });
      const list = await store.listScalingActivities(c.scopeA);
      expect(list.map((e) => [e.activity.id, e.activity.status])).toEqual([
        ['b', 'InProgress'],
        ['a', 'Successful'],
      ]);
      expect(list[0]?.key).toEqual(c.fnKey('f1'));
      for (let i = 0; i < MAX_ACTIVITIES_PER_TARGET + 5; i++) {
        await store.putScalingActivity(c.fnKey('f9'), activityRecord(`n${i}`, 100 + i));
      }
      const trimmed = (await store.listScalingActivities(c.scopeA)).filter((e) => e.key.name === 'f9');
      expect(trimmed).toHaveLength(MAX_ACTIVITIES_PER_TARGET);
      expect(trimmed[0]?.activity.id).toBe(`n${MAX_ACTIVITIES_PER_TARGET + 4}`);
    });

    c.test('scalable targets and activities persist across reopen', async () => {
      const store = c.store();
      await store.putScalableTarget(c.fnKey('f1'), targetRecord('live'));
      await store.putScalableTarget(c.fnKey('f1'), targetRecord('gone'));
      await store.deleteScalableTarget(c.fnKey('f1'), 'gone');
      await store.putScalingActivity(c.fnKey('f1'), activityRecord('a', 1));
      await store.putScalingActivity(c.fnKey('f1'), activityRecord('b', 1));
      const again = await c.reopened();
      expect(await again.listAllScalableTargets()).toEqual([
        { key: c.fnKey('f1'), target: targetRecord('live') },
      ]);
      expect((await again.listScalingActivities(c.scopeA)).map((e) => e.activity.id)).toEqual(['b', 'a']);
      await again.putScalingActivity(c.fnKey('f1'), activityRecord('c', 1));
      expect((await again.listScalingActivities(c.scopeA)).map((e) => e.activity.id)).toEqual([
        'c',
        'b',
        'a',
      ]);
    });
  });
}

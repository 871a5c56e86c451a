/**
 * The layer part of the Store contract (store.contract.ts runs it inside every backend's
 * suite, with the same skip rules): numbering that survives deletes, per-scope isolation,
 * listing orders and durability.
 */
import { expect } from 'vitest';
import { PlatformError } from '../core/errors.js';
import type { LayerVersionRecord, Scope } from '../core/model.js';
import type { Store } from '../core/ports.js';

const scopeA: Scope = { accountId: '111111111111', region: 'us-east-1' };
const scopeB: Scope = { accountId: '222222222222', region: 'us-east-1' };
const scopeC: Scope = { accountId: '111111111111', region: 'eu-west-1' };

export function layerRecord(
  layerName: string,
  version: number,
  overrides: Partial<LayerVersionRecord> = {},
): LayerVersionRecord {
  return {
    layerName,
    version,
    description: `${layerName} v${version}`,
    createdMs: 1_700_000_000_000 + version,
    codeSha256Hex: 'b'.repeat(64),
    codeSizeBytes: 321,
    compatibleRuntimes: ['nodejs20.x', 'python3.12'],
    compatibleArchitectures: [],
    licenseInfo: 'MIT',
    ...overrides,
  };
}

export interface LayerCaseHooks {
  readonly test: (title: string, body: () => Promise<void>) => void;
  readonly store: () => Store;
  readonly reopened: () => Promise<Store>;
}

export function runLayerCases({ test, store, reopened }: LayerCaseHooks): void {
  const key = (layerName: string, scope: Scope = scopeA) => ({ ...scope, layerName });

  test('publishes, reads and lists layer versions', async () => {
    await store().putLayerVersion(scopeA, layerRecord('libs', 1));
    const { compatibleRuntimes: _none, ...withoutRuntimes } = layerRecord('libs', 2);
    await store().putLayerVersion(scopeA, withoutRuntimes);
    await store().putLayerVersion(scopeA, layerRecord('aaa', 1));
    expect(await store().getLayerVersion({ ...key('libs'), version: 1 })).toEqual(layerRecord('libs', 1));
    // Undefined members are dropped, as JSON does: "not given" stays distinguishable from [].
    const v2 = await store().getLayerVersion({ ...key('libs'), version: 2 });
    expect(v2 !== undefined && 'compatibleRuntimes' in v2).toBe(false);
    expect(v2?.compatibleArchitectures).toEqual([]);
    expect((await store().listLayerVersions(key('libs'))).map((v) => v.version)).toEqual([1, 2]);
    expect((await store().listScopeLayerVersions(scopeA)).map((v) => `${v.layerName}:${v.version}`)).toEqual([
      'aaa:1',
      'libs:1',
      'libs:2',
    ]);
    expect(await store().lastLayerVersion(key('libs'))).toBe(2);
    expect(await store().lastLayerVersion(key('none'))).toBe(0);
    expect(await store().getLayerVersion({ ...key('libs'), version: 3 })).toBeUndefined();
  });

  test('never reuses a layer version number, even after deleting every version', async () => {
    await store().putLayerVersion(scopeA, layerRecord('libs', 1));
    await store().putLayerVersion(scopeA, layerRecord('libs', 2));
    await store().deleteLayerVersion({ ...key('libs'), version: 1 });
    await store().deleteLayerVersion({ ...key('libs'), version: 2 });
    await store().deleteLayerVersion({ ...key('libs'), version: 9 }); // missing: a no-op
    expect(await store().listLayerVersions(key('libs'))).toEqual([]);
    expect(await store().listScopeLayerVersions(scopeA)).toEqual([]);
    expect(await store().lastLayerVersion(key('libs'))).toBe(2);
    const stale = await store()
      .putLayerVersion(scopeA, layerRecord('libs', 2))
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(PlatformError);
    expect((stale as PlatformError).code).toBe('INTERNAL');
    await store().putLayerVersion(scopeA, layerRecord('libs', 3));
    expect((await store().listLayerVersions(key('libs'))).map((v) => v.version)).toEqual([3]);
  });

  test('keeps the layers of each scope apart', async () => {
    await store().putLayerVersion(scopeA, layerRecord('libs', 1));
    await store().putLayerVersion(scopeB, layerRecord('libs', 1, { description: 'other account' }));
    await store().putLayerVersion(scopeC, layerRecord('libs', 4));
    expect((await store().getLayerVersion({ ...key('libs', scopeB), version: 1 }))?.description).toBe(
      'other account',
    );
    expect(await store().getLayerVersion({ ...key('libs', scopeC), version: 1 })).toBeUndefined();
    expect((await store().listScopeLayerVersions(scopeC)).map((v) => v.version)).toEqual([4]);
    await store().deleteLayerVersion({ ...key('libs', scopeB), version: 1 });
    expect(await store().getLayerVersion({ ...key('libs'), version: 1 })).toEqual(layerRecord('libs', 1));
  });

  test('layers persist across reopen', async () => {
    await store().putLayerVersion(scopeA, layerRecord('libs', 1));
    await store().putLayerVersion(scopeA, layerRecord('libs', 2));
    await store().putLayerVersion(scopeA, layerRecord('gone', 1));
    await store().deleteLayerVersion({ ...key('libs'), version: 2 });
    await store().deleteLayerVersion({ ...key('gone'), version: 1 });
    const again = await reopened();
    expect(await again.listScopeLayerVersions(scopeA)).toEqual([layerRecord('libs', 1)]);
    expect(await again.lastLayerVersion(key('libs'))).toBe(2);
    expect(await again.lastLayerVersion(key('gone'))).toBe(1);
    await again.putLayerVersion(scopeA, layerRecord('gone', 2));
    expect((await again.listLayerVersions(key('gone'))).map((v) => v.version)).toEqual([2]);
  });
}

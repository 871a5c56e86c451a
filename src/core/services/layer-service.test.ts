import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../index.js';
import { PlatformError, type ErrorCode } from '../errors.js';
import type { FunctionKey, LayerVersionKey, Scope } from '../model.js';
import { fakeZip, memoryDeps, type MemoryDeps } from './testing/in-memory-ports.js';

const scope: Scope = { accountId: '123456789012', region: 'us-east-1' };
const fnKey: FunctionKey = { ...scope, namespace: 'default', name: 'fn' };
const layer = (layerName: string, version: number, over: Partial<LayerVersionKey> = {}): LayerVersionKey => ({
  ...scope,
  layerName,
  version,
  ...over,
});
const config = { runtime: 'nodejs20.x', handler: 'index.handler', role: 'arn:aws:iam::123456789012:role/r' };

function setup(): { core: Core; deps: MemoryDeps } {
  const deps = memoryDeps();
  return { core: createCore(deps), deps };
}

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  const e: unknown = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof PlatformError)) {
    throw new Error(`expected a PlatformError, got ${String(e)}`);
  }
  return e;
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode> {
  return (await failure(p)).code;
}

describe('layer versions', () => {
  it('numbers versions from 1 and never reuses a number after deletes (AWS, recorded)', async () => {
    const { core } = setup();
    const v1 = await core.layers.publish({ ...scope, layerName: 'libs' }, { zip: fakeZip('l1') });
    await core.layers.publish({ ...scope, layerName: 'libs' }, { zip: fakeZip('l2') });
    expect(v1).toMatchObject({ layerName: 'libs', version: 1, description: '' });
    expect('compatibleRuntimes' in v1).toBe(false);
    await core.layers.delete(layer('libs', 1));
    await core.layers.delete(layer('libs', 2));
    await core.layers.delete(layer('libs', 7)); // missing: no error
    expect(await core.layers.listVersions({ ...scope, layerName: 'libs' })).toEqual([]);
    const v3 = await core.layers.publish({ ...scope, layerName: 'libs' }, { zip: fakeZip('l3') });
    expect(v3.version).toBe(3);
  });

  it('serialises concurrent publishes of one layer into distinct numbers', async () => {
    const { core } = setup();
    const all = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        core.layers.publish({ ...scope, layerName: 'libs' }, { zip: fakeZip(`z${i}`) }),
      ),
    );
    expect(all.map((v) => v.version).sort()).toEqual([1, 2, 3, 4]);
  });

  it('refuses a zip the package store refuses, and versions below 1', async () => {
    const { core } = setup();
    expect(
      await codeOf(core.layers.publish({ ...scope, layerName: 'x' }, { zip: Buffer.from('nope') })),
    ).toBe('CODE_INVALID_ZIP');
    expect(await codeOf(core.layers.get(layer('x', 0)))).toBe('INVALID_PARAMETER');
    expect(await codeOf(core.layers.delete(layer('x', -1)))).toBe('INVALID_PARAMETER');
    expect(await codeOf(core.layers.get(layer('x', 1)))).toBe('LAYER_VERSION_NOT_FOUND');
  });

  it('filters by runtime and architecture; the latest matching version per layer', async () => {
    const { core } = setup();
    const publish = (name: string, runtimes?: string[], architectures?: string[]) =>
      core.layers.publish(
        { ...scope, layerName: name },
        {
          zip: fakeZip(name),
          ...(runtimes === undefined ? {} : { compatibleRuntimes: runtimes }),
          ...(architectures === undefined ? {} : { compatibleArchitectures: architectures }),
        },
      );
    await publish('a', ['nodejs20.x'], ['x86_64']);
    await publish('a', ['python3.12'], ['arm64']);
    await publish('b', ['nodejs20.x']);
    await publish('c');
    const latest = await core.layers.listLatest(scope);
    expect(latest.map((v) => `${v.layerName}:${v.version}`)).toEqual(['a:2', 'b:1', 'c:1']);
    const node = await core.layers.listLatest(scope, { runtime: 'nodejs20.x' });
    expect(node.map((v) => `${v.layerName}:${v.version}`)).toEqual(['a:1', 'b:1']);
    const x86 = await core.layers.listVersions({ ...scope, layerName: 'a' }, { architecture: 'x86_64' });
    expect(x86.map((v) => v.version)).toEqual([1]);
    expect(await core.layers.listLatest({ ...scope, region: 'eu-west-1' })).toEqual([]);
  });
});

describe("functions' layers", () => {
  async function withLayers(core: Core, n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await core.layers.publish({ ...scope, layerName: `l${i}` }, { zip: fakeZip(`layer${i}`) });
    }
  }

  it('resolves layers in order with their digests; absent when none', async () => {
    const { core } = setup();
    await withLayers(core, 2);
    const plain = await core.functions.create({ ...fnKey, name: 'plain' }, { config, zip: fakeZip() });
    expect('layers' in plain.fn.latest.config).toBe(false);
    const { fn } = await core.functions.create(fnKey, {
      config,
      zip: fakeZip(),
      layers: [layer('l2', 1), layer('l1', 1)],
    });
    expect(fn.latest.config.layers?.map((l) => l.layerName)).toEqual(['l2', 'l1']);
    expect(fn.latest.config.layers?.[0]?.codeSizeBytes).toBe(fakeZip('layer2').length);
    const cleared = await core.functions.updateConfiguration(fnKey, {}, { layers: [] });
    expect('layers' in cleared.latest.config).toBe(false);
  });

  it('refuses 6 layers, two versions of one layer, other regions, other accounts and missing versions', async () => {
    const { core, deps } = setup();
    await withLayers(core, 6);
    await core.layers.publish({ ...scope, layerName: 'l1' }, { zip: fakeZip('again') });
    const create = (layers: LayerVersionKey[]) =>
      failure(core.functions.create(fnKey, { config, zip: fakeZip(), layers }));
    expect((await create([1, 2, 3, 4, 5, 6].map((i) => layer(`l${i}`, 1)))).code).toBe(
      'FUNCTION_LAYERS_TOO_MANY',
    );
    const dup = await create([layer('l1', 1), layer('l2', 1), layer('l1', 2)]);
    expect(dup.details).toMatchObject({ first: { version: 1 }, second: { version: 2 } });
    expect((await create([layer('l1', 1), layer('l1', 1)])).code).toBe('FUNCTION_LAYER_DUPLICATE');
    expect((await create([layer('l1', 1, { region: 'eu-west-1' })])).details).toMatchObject({
      region: 'us-east-1',
    });
    expect((await create([layer('l1', 1, { accountId: '222222222222' })])).code).toBe(
      'FUNCTION_LAYER_ACCESS_DENIED',
    );
    expect((await create([layer('l1', 9)])).code).toBe('FUNCTION_LAYER_NOT_FOUND');
    expect((await create([layer('nope', 1)])).code).toBe('FUNCTION_LAYER_NOT_FOUND');
    await core.layers.delete(layer('l3', 1));
    expect((await create([layer('l3', 1)])).code).toBe('FUNCTION_LAYER_NOT_FOUND');
    expect(await deps.store.getFunction(fnKey)).toBeUndefined();
  });

  it('a deleted layer version keeps working for the function that uses it', async () => {
    const { core } = setup();
    await withLayers(core, 1);
    await core.functions.create(fnKey, { config, zip: fakeZip(), layers: [layer('l1', 1)] });
    await core.layers.delete(layer('l1', 1));
    const { version } = await core.functions.get(fnKey);
    expect(version.config.layers?.map((l) => `${l.layerName}:${l.version}`)).toEqual(['l1:1']);
    const updated = await core.functions.updateConfiguration(fnKey, { description: 'still' });
    expect(updated.latest.config.layers).toHaveLength(1);
  });

  it('a layer change is a change for PublishVersion, and versions keep their layers', async () => {
    const { core } = setup();
    await withLayers(core, 2);
    await core.functions.create(fnKey, { config, zip: fakeZip(), layers: [layer('l1', 1)] });
    const v1 = await core.versions.publish(fnKey);
    expect((await core.versions.publish(fnKey)).created).toBe(false);
    await core.functions.updateConfiguration(fnKey, {}, { layers: [layer('l2', 1)] });
    const v2 = await core.versions.publish(fnKey);
    expect(v2.created).toBe(true);
    expect(v1.version.config.layers?.[0]?.layerName).toBe('l1');
    expect(v2.version.config.layers?.[0]?.layerName).toBe('l2');
  });
});

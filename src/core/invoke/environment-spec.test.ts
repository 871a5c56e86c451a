import { describe, expect, it } from 'vitest';
import type { FunctionConfig, FunctionKey, VersionRecord } from '../model.js';
import { MemoryPackageStore } from '../services/testing/in-memory-ports.js';
import { SpecCache } from './environment-spec.js';

const key: FunctionKey = { accountId: '123456789012', region: 'us-east-1', namespace: 'default', name: 'fn' };
const base: FunctionConfig = {
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  role: 'r',
  description: '',
  timeoutSec: 3,
  memoryMb: 128,
  architectures: ['x86_64'],
  ephemeralStorageMb: 512,
  tracingMode: 'PassThrough',
  logFormat: 'Text',
  codeSha256Hex: 'c'.repeat(64),
  codeSizeBytes: 10,
};
const layer = (layerName: string, sha: string) => ({
  accountId: key.accountId,
  region: key.region,
  layerName,
  version: 1,
  codeSha256Hex: sha.repeat(64),
  codeSizeBytes: 5,
});
const version = (config: FunctionConfig): VersionRecord => ({
  version: '$LATEST',
  config,
  revisionId: 'r1',
  lastModifiedMs: 0,
});

describe('SpecCache and layers', () => {
  it('carries the unpacked layer directories in order, none when the function has no layers', async () => {
    const specs = new SpecCache(new MemoryPackageStore());
    const plain = await specs.get(key, version(base));
    expect(plain.layerDirs).toBeUndefined();
    const layered = await specs.get(key, version({ ...base, layers: [layer('b', 'b'), layer('a', 'a')] }));
    expect(layered.layerDirs).toEqual([`/memory/${'b'.repeat(64)}`, `/memory/${'a'.repeat(64)}`]);
  });

  it('gives a configuration with other layers (or another layer order) another spec key', async () => {
    const specs = new SpecCache(new MemoryPackageStore());
    const keys = await Promise.all(
      [
        [],
        [layer('a', 'a')],
        [layer('a', 'd')],
        [layer('a', 'a'), layer('b', 'b')],
        [layer('b', 'b'), layer('a', 'a')],
      ].map(
        async (layers) =>
          (await specs.get(key, version(layers.length === 0 ? base : { ...base, layers }))).key,
      ),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });
});

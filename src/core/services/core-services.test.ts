import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../index.js';
import { PlatformError, type ErrorCode } from '../errors.js';
import type { FunctionKey } from '../model.js';
import { CountingPool, fakeZip, memoryDeps, type MemoryDeps } from './testing/in-memory-ports.js';

const key = (name = 'fn'): FunctionKey => ({
  accountId: '123456789012',
  region: 'us-east-1',
  namespace: 'default',
  name,
});
const config = { runtime: 'nodejs20.x', handler: 'index.handler', role: 'arn:aws:iam::123456789012:role/r' };

function setup(limits?: Parameters<typeof memoryDeps>[0]): { core: Core; deps: MemoryDeps } {
  const deps = memoryDeps(limits);
  let n = 0;
  return { core: createCore(deps, { newRevisionId: () => `rev-${++n}` }), deps };
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof PlatformError) {
      return e.code;
    }
    throw e;
  }
}

describe('functions', () => {
  it('creates with defaults and reads back', async () => {
    const { core, deps } = setup();
    const { fn, published } = await core.functions.create(key(), { config, zip: fakeZip() });
    expect(published).toBeUndefined();
    expect(fn.latest.config).toMatchObject({
      runtime: 'nodejs20.x',
      description: '',
      timeoutSec: 3,
      memoryMb: 128,
      architectures: ['x86_64'],
      ephemeralStorageMb: 512,
      tracingMode: 'PassThrough',
      logFormat: 'Text',
      codeSizeBytes: fakeZip().length,
    });
    expect(fn.latest.config.environment).toBeUndefined();
    expect(fn.latest.lastModifiedMs).toBe(deps.clock.now());
    const got = await core.functions.get(key());
    expect(got.version.revisionId).toBe(fn.latest.revisionId);
  });

  it('creates with Publish: version 1 in the same write', async () => {
    const { core, deps } = setup();
    const { fn, published } = await core.functions.create(key(), { config, zip: fakeZip(), publish: true });
    expect(published?.version).toBe('1');
    expect(fn.lastPublishedVersion).toBe(1);
    expect(deps.store.writes).toBe(1);
    expect((await core.functions.get(key(), '1')).version.config.codeSha256Hex).toBe(
      fn.latest.config.codeSha256Hex,
    );
  });

  it('rejects duplicates, unsupported runtimes, bad zips and too many tags', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip() });
    expect(await codeOf(core.functions.create(key(), { config, zip: fakeZip() }))).toBe(
      'FUNCTION_ALREADY_EXISTS',
    );
    expect(
      await codeOf(
        core.functions.create(key('rb'), { config: { ...config, runtime: 'ruby3.3' }, zip: fakeZip() }),
      ),
    ).toBe('RUNTIME_NOT_SUPPORTED');
    expect(await codeOf(core.functions.create(key('bad'), { config, zip: Buffer.from('nope') }))).toBe(
      'CODE_INVALID_ZIP',
    );
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(await codeOf(core.functions.create(key('tags'), { config, zip: fakeZip(), tags }))).toBe(
      'TOO_MANY_TAGS',
    );
  });

  it('resolves qualifiers and names them in not-found errors', async () => {
    const { core } = setup();
    expect(await codeOf(core.functions.get(key('missing')))).toBe('FUNCTION_NOT_FOUND');
    await core.functions.create(key(), { config, zip: fakeZip() });
    expect(await codeOf(core.functions.get(key(), '$LATEST'))).toBe('ok');
    expect(await codeOf(core.functions.get(key(), '7'))).toBe('VERSION_NOT_FOUND');
    expect(await codeOf(core.functions.get(key(), 'live'))).toBe('ALIAS_NOT_FOUND');
    await expect(core.functions.get(key('missing'), '$LATEST')).rejects.toMatchObject({
      code: 'FUNCTION_NOT_FOUND',
      details: { functionName: 'missing', qualifier: '$LATEST' },
    });
  });

  it('updates configuration: patch semantics, env replaced, revision checked', async () => {
    const { core, deps } = setup();
    const { fn } = await core.functions.create(key(), {
      config: { ...config, environment: { A: '1', B: '2' } },
      zip: fakeZip(),
    });
    deps.clock.advance(1000);
    const updated = await core.functions.updateConfiguration(key(), {
      memoryMb: 256,
      environment: { C: '3' },
    });
    expect(updated.latest.config.memoryMb).toBe(256);
    expect(updated.latest.config.environment).toEqual({ C: '3' });
    expect(updated.latest.config.handler).toBe('index.handler');
    expect(updated.latest.revisionId).not.toBe(fn.latest.revisionId);
    expect(updated.latest.lastModifiedMs).toBe(fn.latest.lastModifiedMs + 1000);
    expect(
      await codeOf(core.functions.updateConfiguration(key(), { timeoutSec: 5 }, { revisionId: 'stale' })),
    ).toBe('REVISION_MISMATCH');
  });

  it('merges extra settings and removes keys set to undefined', async () => {
    const { core } = setup();
    await core.functions.create(key(), {
      config: { ...config, extra: { VpcConfig: { SubnetIds: [] } } },
      zip: fakeZip(),
    });
    const a = await core.functions.updateConfiguration(key(), { extra: { KMSKeyArn: 'k' } });
    expect(a.latest.config.extra).toEqual({ VpcConfig: { SubnetIds: [] }, KMSKeyArn: 'k' });
    const b = await core.functions.updateConfiguration(key(), {
      extra: { VpcConfig: undefined, KMSKeyArn: undefined },
    });
    expect(b.latest.config.extra).toBeUndefined();
  });

  it('loses no write when updates race', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip() });
    await Promise.all([
      core.functions.updateConfiguration(key(), { memoryMb: 512 }),
      core.functions.updateConfiguration(key(), { timeoutSec: 30 }),
      core.functions.updateConfiguration(key(), { description: 'd' }),
      core.tags.tag(key(), { a: '1' }),
      core.tags.tag(key(), { b: '2' }),
    ]);
    const { fn } = await core.functions.get(key());
    expect(fn.latest.config).toMatchObject({ memoryMb: 512, timeoutSec: 30, description: 'd' });
    expect(fn.tags).toEqual({ a: '1', b: '2' });
  });

  it('updates code, dry-runs without writing, and publishes', async () => {
    const { core, deps } = setup();
    const { fn } = await core.functions.create(key(), { config, zip: fakeZip('v1') });
    const writes = deps.store.writes;
    const dry = await core.functions.updateCode(key(), { zip: fakeZip('v2'), dryRun: true });
    expect(dry.fn.latest.config.codeSha256Hex).not.toBe(fn.latest.config.codeSha256Hex);
    expect(deps.store.writes).toBe(writes);
    expect((await core.functions.get(key())).version.config.codeSha256Hex).toBe(
      fn.latest.config.codeSha256Hex,
    );
    const res = await core.functions.updateCode(key(), {
      zip: fakeZip('v2'),
      publish: true,
      architectures: ['arm64'],
    });
    expect(res.published?.version).toBe('1');
    expect(res.fn.latest.config.architectures).toEqual(['arm64']);
    expect(await codeOf(core.functions.updateCode(key(), { zip: fakeZip('v3'), revisionId: 'nope' }))).toBe(
      'REVISION_MISMATCH',
    );
  });

  it('deletes versions (not $LATEST, not aliased ones, absent ones quietly) and functions', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip('a'), publish: true });
    await core.functions.updateCode(key(), { zip: fakeZip('b'), publish: true });
    await core.aliases.create(key(), {
      name: 'live',
      functionVersion: '1',
      additionalVersionWeights: { '2': 0.1 },
    });
    expect(await codeOf(core.functions.delete(key(), '$LATEST'))).toBe('LATEST_NOT_DELETABLE');
    expect(await codeOf(core.functions.delete(key(), '1'))).toBe('VERSION_REFERENCED_BY_ALIAS');
    expect(await codeOf(core.functions.delete(key(), '2'))).toBe('VERSION_REFERENCED_BY_ALIAS');
    expect(await codeOf(core.functions.delete(key(), 'live'))).toBe('INVALID_PARAMETER');
    expect(await codeOf(core.functions.delete(key(), '99'))).toBe('ok');
    await core.aliases.delete(key(), 'live');
    await core.functions.delete(key(), '1');
    expect(await codeOf(core.functions.get(key(), '1'))).toBe('VERSION_NOT_FOUND');
    await core.functions.delete(key());
    expect(await codeOf(core.functions.get(key()))).toBe('FUNCTION_NOT_FOUND');
    expect(await codeOf(core.functions.delete(key()))).toBe('FUNCTION_NOT_FOUND');
  });

  it('lists $LATEST only, or every version', async () => {
    const { core } = setup();
    await core.functions.create(key('b'), { config, zip: fakeZip('b'), publish: true });
    await core.functions.create(key('a'), { config, zip: fakeZip('a') });
    const scope = { accountId: '123456789012', region: 'us-east-1' };
    expect((await core.functions.list(scope)).map((i) => `${i.fn.key.name}:${i.version.version}`)).toEqual([
      'a:$LATEST',
      'b:$LATEST',
    ]);
    expect(
      (await core.functions.list(scope, { allVersions: true })).map(
        (i) => `${i.fn.key.name}:${i.version.version}`,
      ),
    ).toEqual(['a:$LATEST', 'b:$LATEST', 'b:1']);
    expect(await core.functions.list({ accountId: '123456789012', region: 'eu-west-1' })).toEqual([]);
  });

  it('announces committed changes', async () => {
    const { core } = setup();
    const seen: string[] = [];
    core.changes.subscribe((c) => {
      seen.push(c.kind);
    });
    core.changes.subscribe(() => {
      throw new Error('a bad listener does not fail the request');
    });
    await core.functions.create(key(), { config, zip: fakeZip(), publish: true });
    await core.functions.updateConfiguration(key(), { memoryMb: 256 });
    await core.functions.delete(key());
    expect(seen).toEqual(['function-created', 'version-published', 'function-updated', 'function-deleted']);
  });
});

describe('versions', () => {
  it('publishes, returns the newest version again when nothing changed, numbers never reused', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip('a') });
    const v1 = await core.versions.publish(key(), { description: 'first' });
    expect(v1).toMatchObject({ created: true, version: { version: '1', config: { description: 'first' } } });
    const again = await core.versions.publish(key(), { description: 'ignored' });
    expect(again.created).toBe(false);
    expect(again.version.version).toBe('1');
    await core.functions.updateConfiguration(key(), { memoryMb: 256 });
    expect((await core.versions.publish(key())).version.version).toBe('2');
    await core.functions.delete(key(), '2');
    await core.functions.updateConfiguration(key(), { memoryMb: 512 });
    expect((await core.versions.publish(key())).version.version).toBe('3');
    const { versions } = await core.versions.list(key());
    expect(versions.map((v) => v.version)).toEqual(['$LATEST', '1', '3']);
  });

  it('changes $LATEST revision on publish and checks preconditions', async () => {
    const { core } = setup();
    const { fn } = await core.functions.create(key(), { config, zip: fakeZip('a') });
    expect(await codeOf(core.versions.publish(key(), { revisionId: 'stale' }))).toBe('REVISION_MISMATCH');
    expect(
      await codeOf(core.versions.publish(key(), { codeSha256: { sha256Hex: 'ab', asGiven: 'qw==' } })),
    ).toBe('CODE_SHA256_MISMATCH');
    const ok = await core.versions.publish(key(), {
      revisionId: fn.latest.revisionId,
      codeSha256: { sha256Hex: fn.latest.config.codeSha256Hex, asGiven: 'x' },
    });
    expect(ok.fn.latest.revisionId).not.toBe(fn.latest.revisionId);
    expect(await codeOf(core.versions.publish(key('missing')))).toBe('FUNCTION_NOT_FOUND');
  });
});

describe('aliases', () => {
  async function withVersions(core: Core) {
    await core.functions.create(key(), { config, zip: fakeZip('a'), publish: true });
    await core.functions.updateCode(key(), { zip: fakeZip('b'), publish: true });
  }

  it('creates, reads, updates, lists and deletes', async () => {
    const { core } = setup();
    await withVersions(core);
    const a = await core.aliases.create(key(), { name: 'live', functionVersion: '1' });
    expect(a).toMatchObject({
      name: 'live',
      functionVersion: '1',
      description: '',
      additionalVersionWeights: {},
    });
    await core.aliases.create(key(), { name: 'edge', functionVersion: '$LATEST' });
    const u = await core.aliases.update(key(), 'live', {
      additionalVersionWeights: { '2': 0.25 },
      revisionId: a.revisionId,
    });
    expect(u.additionalVersionWeights).toEqual({ '2': 0.25 });
    expect(u.revisionId).not.toBe(a.revisionId);
    const kept = await core.aliases.update(key(), 'live', { description: 'd' });
    expect(kept.additionalVersionWeights).toEqual({ '2': 0.25 });
    const cleared = await core.aliases.update(key(), 'live', { additionalVersionWeights: {} });
    expect(cleared.additionalVersionWeights).toEqual({});
    expect((await core.aliases.list(key())).map((x) => x.name)).toEqual(['edge', 'live']);
    expect((await core.aliases.list(key(), { functionVersion: '1' })).map((x) => x.name)).toEqual(['live']);
    await core.aliases.delete(key(), 'live');
    await core.aliases.delete(key(), 'live');
    expect(await codeOf(core.aliases.get(key(), 'live'))).toBe('ALIAS_NOT_FOUND');
    expect((await core.functions.get(key(), 'edge')).version.version).toBe('$LATEST');
  });

  it('enforces the rules of spec §2.3', async () => {
    const { core } = setup();
    await withVersions(core);
    await core.aliases.create(key(), { name: 'live', functionVersion: '1' });
    const create = (name: string, functionVersion: string, w?: Record<string, number>) =>
      codeOf(
        core.aliases.create(key(), { name, functionVersion, ...(w ? { additionalVersionWeights: w } : {}) }),
      );
    expect(await create('live', '1')).toBe('ALIAS_ALREADY_EXISTS');
    expect(await create('x', '10')).toBe('VERSION_NOT_FOUND');
    expect(await create('x', '1', { '10': 0.5 })).toBe('VERSION_NOT_FOUND');
    expect(await create('x', '1', { '2': 0.1, '3': 0.1 })).toBe('ROUTING_TOO_MANY_VERSIONS');
    expect(await create('x', '1', { '1': 0.1 })).toBe('ROUTING_SAME_AS_PRIMARY');
    expect(await create('x', '$LATEST', { '1': 0.1 })).toBe('ROUTING_WITH_LATEST');
    expect(await codeOf(core.aliases.create(key('nope'), { name: 'x', functionVersion: '1' }))).toBe(
      'FUNCTION_NOT_FOUND',
    );
    expect(await codeOf(core.aliases.update(key(), 'ghost', {}))).toBe('ALIAS_NOT_FOUND');
    expect(await codeOf(core.aliases.update(key(), 'live', { revisionId: 'stale' }))).toBe(
      'REVISION_MISMATCH',
    );
    expect(
      await codeOf(
        core.aliases.update(key(), 'live', {
          functionVersion: '$LATEST',
          additionalVersionWeights: { '2': 0.5 },
        }),
      ),
    ).toBe('ROUTING_WITH_LATEST');
  });
});

describe('concurrency', () => {
  it('reserves within the account floor and reports unreserved', async () => {
    const { core } = setup();
    await core.functions.create(key('a'), { config, zip: fakeZip() });
    await core.functions.create(key('b'), { config, zip: fakeZip() });
    const scope = key();
    expect((await core.concurrency.accountSettings(scope)).unreservedConcurrency).toBe(1000);
    expect(await core.concurrency.putReserved(key('a'), 600)).toBe(600);
    expect(await codeOf(core.concurrency.putReserved(key('b'), 301))).toBe(
      'RESERVED_BELOW_UNRESERVED_MINIMUM',
    );
    expect(await core.concurrency.putReserved(key('b'), 300)).toBe(300);
    expect(await core.concurrency.getReserved(key('b'))).toBe(300);
    // PC of an unreserved function counts; PC inside a reservation does not count twice.
    await core.functions.create(key('c'), { config, zip: fakeZip(), publish: true });
    // Through core, as every write is (the claims index follows core's changes, claims/);
    // a's reservation shrinks first so that c's PC keeps the account floor.
    expect(await core.concurrency.putReserved(key('a'), 550)).toBe(550);
    await core.versions.publish(key('a'));
    await core.provisioned.put(key('c'), '1', 50);
    await core.provisioned.put(key('a'), '1', 40);
    const settings = await core.concurrency.accountSettings(scope);
    expect(settings).toMatchObject({ concurrencyLimit: 1000, unreservedConcurrency: 100, functionCount: 3 });
    expect(await codeOf(core.concurrency.putReserved(key('a'), 39))).toBe('RESERVED_BELOW_PROVISIONED');
    await core.concurrency.deleteReserved(key('b'));
    await core.concurrency.deleteReserved(key('b'));
    expect(await core.concurrency.getReserved(key('b'))).toBeUndefined();
    expect((await core.concurrency.accountSettings(scope)).unreservedConcurrency).toBe(400);
  });

  it('names $LATEST when the function is missing, and serialises racing reservations', async () => {
    const { core } = setup();
    try {
      await core.concurrency.putReserved(key('ghost'), 0);
      expect.unreachable();
    } catch (e) {
      expect((e as PlatformError<'FUNCTION_NOT_FOUND'>).details).toEqual({
        functionName: 'ghost',
        qualifier: '$LATEST',
      });
    }
    await core.functions.create(key('a'), { config, zip: fakeZip() });
    await core.functions.create(key('b'), { config, zip: fakeZip() });
    const results = await Promise.all([
      codeOf(core.concurrency.putReserved(key('a'), 500)),
      codeOf(core.concurrency.putReserved(key('b'), 500)),
    ]);
    expect(results.sort()).toEqual(['RESERVED_BELOW_UNRESERVED_MINIMUM', 'ok']);
  });

  it('sums code sizes of every version', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip('abc'), publish: true });
    expect((await core.concurrency.accountSettings(key())).totalCodeSizeBytes).toBe(
      2 * fakeZip('abc').length,
    );
  });
});

describe('tags', () => {
  it('tags, untags and limits', async () => {
    const { core } = setup();
    await core.functions.create(key(), { config, zip: fakeZip(), tags: { a: '1' } });
    await core.tags.tag(key(), { b: '2', a: '3' });
    expect(await core.tags.list(key())).toEqual({ a: '3', b: '2' });
    await core.tags.untag(key(), ['a', 'zzz']);
    expect(await core.tags.list(key())).toEqual({ b: '2' });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(await codeOf(core.tags.tag(key(), many))).toBe('TOO_MANY_TAGS');
    expect(await codeOf(core.tags.list(key('ghost')))).toBe('FUNCTION_NOT_FOUND');
  });
});

describe('start', () => {
  it('re-provisions every stored config; one function whose code is lost is reported, not fatal', async () => {
    const pool = new CountingPool();
    const deps = { ...memoryDeps(), pool };
    const first = createCore(deps);
    for (const name of ['broken', 'fine']) {
      await first.functions.create(key(name), { config, zip: fakeZip(name), publish: true });
      await first.provisioned.put(key(name), '1', 2);
    }
    pool.counts.clear();
    const unpacked = deps.packages.unpacked.bind(deps.packages);
    const brokenSha = (await deps.store.getFunction(key('broken')))?.latest.config.codeSha256Hex;
    deps.packages.unpacked = (sha: string) =>
      sha === brokenSha ? Promise.reject(new Error('package lost')) : unpacked(sha);
    const reported: string[] = [];
    const second = createCore({ ...deps, onBackgroundError: (what) => reported.push(what) });
    await second.start();
    expect([...pool.counts]).toEqual([[expect.stringMatching(/fine#1$/), 2]]);
    expect(reported).toEqual([expect.stringMatching(/^re-provisioning .*broken$/)]);
    second.stop();
    first.stop();
  });
});

describe('moving an alias that carries provisioned concurrency', () => {
  it('is refused onto $LATEST and onto a version another config provisions; allowed elsewhere', async () => {
    const pool = new CountingPool();
    const core = createCore({ ...memoryDeps(), pool });
    await core.functions.create(key(), { config, zip: fakeZip('1'), publish: true });
    await core.functions.updateCode(key(), { zip: fakeZip('2'), publish: true });
    await core.functions.updateCode(key(), { zip: fakeZip('3'), publish: true });
    await core.aliases.create(key(), { name: 'live', functionVersion: '1' });
    await core.aliases.create(key(), { name: 'plain', functionVersion: '1' });
    await core.provisioned.put(key(), 'live', 1);
    await core.provisioned.put(key(), '2', 1);
    expect(await codeOf(core.aliases.update(key(), 'live', { functionVersion: '$LATEST' }))).toBe(
      'PROVISIONED_ON_UNPUBLISHED',
    );
    expect(await codeOf(core.aliases.update(key(), 'live', { functionVersion: '2' }))).toBe(
      'PROVISIONED_ALIAS_ON_PROVISIONED_VERSION',
    );
    expect(await codeOf(core.aliases.update(key(), 'live', { functionVersion: '3' }))).toBe('ok');
    // An alias without a config goes anywhere, as before.
    expect(await codeOf(core.aliases.update(key(), 'plain', { functionVersion: '2' }))).toBe('ok');
    expect(await codeOf(core.aliases.update(key(), 'plain', { functionVersion: '$LATEST' }))).toBe('ok');
    core.stop();
  });
});

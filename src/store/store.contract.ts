/**
 * The Store port's contract, as one vitest suite every backend runs (SQLite now,
 * PostgreSQL later): `runStoreContract('sqlite', factory)` in the backend's test file.
 *
 * A backend that cannot honour a case skips it by name with a reason, e.g.
 * `{ 'persists across reopen': 'in-memory backend' }`; an empty reason, or a name that
 * matches no case, fails the suite so skips cannot rot silently.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlatformError, type ErrorCode } from '../core/errors.js';
import type { FunctionRecord } from '../core/model.js';
import type { Store } from '../core/ports.js';
import { describeScalingContract } from './scaling.contract.js';
import { runLayerCases } from './layer-store.contract.js';
import {
  aliasRecord,
  contractScopes,
  fnKey,
  functionRecord,
  namespaceRecord,
  provisionedRecord,
  versionRecord,
} from './store-records.fixture.js';

export { aliasRecord, fnKey, functionRecord, namespaceRecord, provisionedRecord, versionRecord };

export interface StoreUnderTest {
  readonly store: Store;
  /** Opens the same data again; the suite closes `store` first. Omit for non-durable backends. */
  readonly reopen?: () => Promise<Store>;
  /** Releases everything the factory made (temp dirs...); stores are already closed. */
  readonly cleanup: () => Promise<void>;
}

// ---- builders --------------------------------------------------------------------------

const { scopeA, scopeB, scopeC } = contractScopes;

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  expect((error as PlatformError).code).toBe(code);
}

// ---- the suite -------------------------------------------------------------------------

export function runStoreContract(
  name: string,
  newStore: () => Promise<StoreUnderTest>,
  skip: Partial<Record<string, string>> = {},
): void {
  const registered = new Set<string>();
  let current: StoreUnderTest;
  let open: Store[] = [];
  /** The store under test; replaced by `reopened()`. */
  let store: Store;

  const reopened = async (): Promise<Store> => {
    if (current.reopen === undefined) {
      throw new Error('the factory gave no reopen(); skip this case with a reason');
    }
    await store.close();
    store = await current.reopen();
    open.push(store);
    return store;
  };

  const test = (title: string, body: () => Promise<void>): void => {
    registered.add(title);
    const reason = skip[title];
    if (reason === undefined) {
      it(title, body);
    } else if (reason.trim() === '') {
      it(title, () => {
        throw new Error(`skip of "${title}" has no reason`);
      });
    } else {
      it.skip(`${title} (skipped: ${reason})`, body);
    }
  };

  describe(`Store contract: ${name}`, () => {
    beforeEach(async () => {
      current = await newStore();
      store = current.store;
      open = [store];
    });

    afterEach(async () => {
      for (const s of open) {
        await s.close();
      }
      await current.cleanup();
    });

    describe('functions', () => {
      test('creates and reads back a function', async () => {
        const fn = functionRecord(fnKey('f1'), { reservedConcurrency: 5, extra: { Qualifier: 'x' } });
        await store.createFunction(fn);
        expect(await store.getFunction(fnKey('f1'))).toEqual(fn);
        expect(await store.getFunction(fnKey('missing'))).toBeUndefined();
      });

      test('refuses a second function with the same key', async () => {
        const fn = functionRecord(fnKey('f1'));
        await store.createFunction(fn);
        await expectCode(
          store.createFunction(functionRecord(fnKey('f1'), { createdMs: 9 })),
          'FUNCTION_ALREADY_EXISTS',
        );
        expect(await store.getFunction(fnKey('f1'))).toEqual(fn);
      });

      test('creates a function with its published version 1 in one call', async () => {
        const fn = functionRecord(fnKey('f1'), { lastPublishedVersion: 1 });
        await store.createFunction(fn, versionRecord('1'));
        expect(await store.getFunction(fnKey('f1'))).toEqual(fn);
        expect(await store.getVersion(fnKey('f1'), '1')).toEqual(versionRecord('1'));
        expect(await store.listVersions(fnKey('f1'))).toEqual([versionRecord('1')]);
      });

      test('a refused create writes nothing, not even its version', async () => {
        await store.createFunction(functionRecord(fnKey('f1')));
        await expectCode(
          store.createFunction(functionRecord(fnKey('f1'), { lastPublishedVersion: 1 }), versionRecord('1')),
          'FUNCTION_ALREADY_EXISTS',
        );
        expect(await store.listVersions(fnKey('f1'))).toEqual([]);
      });

      test('updates a function row', async () => {
        await store.createFunction(functionRecord(fnKey('f1')));
        const updated = functionRecord(fnKey('f1'), {
          latest: versionRecord('$LATEST', { revisionId: 'rev-2' }),
          reservedConcurrency: 0,
          tags: {},
        });
        await store.updateFunction(updated);
        expect(await store.getFunction(fnKey('f1'))).toEqual(updated);
      });

      test('updating a missing function fails with FUNCTION_NOT_FOUND', async () => {
        await expectCode(store.updateFunction(functionRecord(fnKey('nope'))), 'FUNCTION_NOT_FOUND');
        expect(await store.getFunction(fnKey('nope'))).toBeUndefined();
      });

      test('deletes a function; deleting a missing one is a no-op', async () => {
        await store.createFunction(functionRecord(fnKey('f1')));
        await store.deleteFunction(fnKey('f1'));
        expect(await store.getFunction(fnKey('f1'))).toBeUndefined();
        expect(await store.listFunctions(scopeA)).toEqual([]);
        await store.deleteFunction(fnKey('f1'));
      });

      test('lists a scope by name, optionally one namespace', async () => {
        for (const [n, ns] of [
          ['charlie', 'default'],
          ['alpha', 'default'],
          ['bravo', 'team'],
          ['alpha', 'team'],
          ['Zulu', 'default'],
        ] as const) {
          await store.createFunction(functionRecord(fnKey(n, scopeA, ns)));
        }
        const all = await store.listFunctions(scopeA);
        expect(all.map((f) => `${f.key.namespace}/${f.key.name}`)).toEqual([
          'default/Zulu',
          'default/alpha',
          'team/alpha',
          'team/bravo',
          'default/charlie',
        ]);
        const team = await store.listFunctions(scopeA, 'team');
        expect(team.map((f) => f.key.name)).toEqual(['alpha', 'bravo']);
        expect(await store.listFunctions(scopeA, 'empty')).toEqual([]);
      });

      test('lists every function of every scope', async () => {
        await store.createFunction(functionRecord(fnKey('a', scopeA)));
        await store.createFunction(functionRecord(fnKey('b', scopeB)));
        await store.createFunction(functionRecord(fnKey('c', scopeC, 'ns')));
        const all = await store.listAllFunctions();
        expect(all.map((f) => f.key.name).sort()).toEqual(['a', 'b', 'c']);
        expect(all.find((f) => f.key.name === 'c')?.key).toEqual(fnKey('c', scopeC, 'ns'));
      });

      test('returned records are safe from caller mutation', async () => {
        const input = structuredClone(functionRecord(fnKey('f1'))) as {
          -readonly [K in keyof FunctionRecord]: FunctionRecord[K];
        };
        await store.createFunction(input);
        // The caller mutates what it passed in: the store must not see it.
        input.tags = { changed: 'yes' };
        const read = await store.getFunction(fnKey('f1'));
        expect(read?.tags).toEqual({ team: 'hearth' });
        // The caller mutates what it got back: a frozen record throws, a copy is harmless.
        try {
          (read as { tags: Record<string, string> }).tags.team = 'mutated';
        } catch {
          // frozen: fine
        }
        try {
          (await store.listFunctions(scopeA)).pop();
        } catch {
          // frozen array: fine
        }
        expect((await store.getFunction(fnKey('f1')))?.tags).toEqual({ team: 'hearth' });
        expect(await store.listFunctions(scopeA)).toHaveLength(1);
      });

      test('many concurrent writes all land', async () => {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.createFunction(functionRecord(fnKey(`f${i}`)))),
        );
        expect(await store.listFunctions(scopeA)).toHaveLength(50);
      });
    });

    describe('versions', () => {
      test('publishes a version and the function row together', async () => {
        await store.createFunction(functionRecord(fnKey('f1')));
        const head = functionRecord(fnKey('f1'), { lastPublishedVersion: 1 });
        await store.publishVersion(head, versionRecord('1'));
        expect(await store.getFunction(fnKey('f1'))).toEqual(head);
        expect(await store.getVersion(fnKey('f1'), '1')).toEqual(versionRecord('1'));
        expect(await store.getVersion(fnKey('f1'), '2')).toBeUndefined();
        expect(await store.getVersion(fnKey('nope'), '1')).toBeUndefined();
      });

      test('lists versions in ascending numeric order, without $LATEST', async () => {
        await store.createFunction(functionRecord(fnKey('f1')));
        for (const v of ['2', '10', '1', '9']) {
          await store.publishVersion(
            functionRecord(fnKey('f1'), { lastPublishedVersion: Number(v) }),
            versionRecord(v),
          );
        }
        expect((await store.listVersions(fnKey('f1'))).map((v) => v.version)).toEqual(['1', '2', '9', '10']);
        expect(await store.listVersions(fnKey('nope'))).toEqual([]);
      });

      test('publishing to a missing function fails and writes nothing', async () => {
        await expectCode(
          store.publishVersion(functionRecord(fnKey('nope')), versionRecord('1')),
          'FUNCTION_NOT_FOUND',
        );
        expect(await store.getVersion(fnKey('nope'), '1')).toBeUndefined();
        expect(await store.getFunction(fnKey('nope'))).toBeUndefined();
      });

      test('publishing an existing version number fails and leaves the function row', async () => {
        const fn = functionRecord(fnKey('f1'), { lastPublishedVersion: 1 });
        await store.createFunction(fn, versionRecord('1'));
        await expectCode(
          store.publishVersion(
            functionRecord(fnKey('f1'), { lastPublishedVersion: 7 }),
            versionRecord('1', { revisionId: 'other' }),
          ),
          'UPDATE_IN_PROGRESS',
        );
        expect(await store.getFunction(fnKey('f1'))).toEqual(fn);
        expect(await store.getVersion(fnKey('f1'), '1')).toEqual(versionRecord('1'));
      });

      test('deletes a version with its provisioned config only', async () => {
        await store.createFunction(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 1 }),
          versionRecord('1'),
        );
        await store.publishVersion(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 2 }),
          versionRecord('2'),
        );
        await store.putAlias(fnKey('f1'), aliasRecord('live', '2'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('1'));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('live'));
        await store.deleteVersion(fnKey('f1'), '1');
        expect(await store.getVersion(fnKey('f1'), '1')).toBeUndefined();
        expect((await store.listVersions(fnKey('f1'))).map((v) => v.version)).toEqual(['2']);
        expect(await store.getProvisionedConfig(fnKey('f1'), '1')).toBeUndefined();
        expect(await store.getProvisionedConfig(fnKey('f1'), 'live')).toEqual(provisionedRecord('live'));
        // The function row (and its lastPublishedVersion) is untouched: numbers are never reused.
        expect((await store.getFunction(fnKey('f1')))?.lastPublishedVersion).toBe(2);
        await store.deleteVersion(fnKey('f1'), '1');
        await store.deleteVersion(fnKey('nope'), '1');
      });
    });

    describe('aliases', () => {
      beforeEach(async () => {
        await store.createFunction(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 1 }),
          versionRecord('1'),
        );
      });

      test('inserts, reads and lists aliases by name', async () => {
        await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
        await store.putAlias(fnKey('f1'), aliasRecord('dev', '$LATEST'), false);
        await store.putAlias(
          fnKey('f1'),
          aliasRecord('canary', '1', { additionalVersionWeights: { '2': 0.25 }, extra: { x: 1 } }),
          false,
        );
        expect(await store.getAlias(fnKey('f1'), 'prod')).toEqual(aliasRecord('prod'));
        expect(await store.getAlias(fnKey('f1'), 'nope')).toBeUndefined();
        expect(await store.getAlias(fnKey('nope'), 'prod')).toBeUndefined();
        expect((await store.listAliases(fnKey('f1'))).map((a) => a.name)).toEqual(['canary', 'dev', 'prod']);
        expect(await store.listAliases(fnKey('nope'))).toEqual([]);
      });

      test('refuses an existing alias unless replacing', async () => {
        await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
        await expectCode(
          store.putAlias(fnKey('f1'), aliasRecord('prod', '$LATEST'), false),
          'ALIAS_ALREADY_EXISTS',
        );
        expect(await store.getAlias(fnKey('f1'), 'prod')).toEqual(aliasRecord('prod'));
        const moved = aliasRecord('prod', '$LATEST', { revisionId: 'rev-new' });
        await store.putAlias(fnKey('f1'), moved, true);
        expect(await store.getAlias(fnKey('f1'), 'prod')).toEqual(moved);
        expect(await store.listAliases(fnKey('f1'))).toHaveLength(1);
      });

      test('an alias on a missing function fails with FUNCTION_NOT_FOUND', async () => {
        await expectCode(store.putAlias(fnKey('nope'), aliasRecord('prod'), false), 'FUNCTION_NOT_FOUND');
      });

      test('deletes an alias with its provisioned config only', async () => {
        await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
        await store.putAlias(fnKey('f1'), aliasRecord('dev'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod'));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('1'));
        await store.deleteAlias(fnKey('f1'), 'prod');
        expect(await store.getAlias(fnKey('f1'), 'prod')).toBeUndefined();
        expect((await store.listAliases(fnKey('f1'))).map((a) => a.name)).toEqual(['dev']);
        expect(await store.getProvisionedConfig(fnKey('f1'), 'prod')).toBeUndefined();
        expect(await store.getProvisionedConfig(fnKey('f1'), '1')).toEqual(provisionedRecord('1'));
        await store.deleteAlias(fnKey('f1'), 'prod');
        await store.deleteAlias(fnKey('nope'), 'prod');
      });
    });

    describe('provisioned configs', () => {
      test('puts, replaces, lists by qualifier and deletes', async () => {
        await store.createFunction(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 1 }),
          versionRecord('1'),
        );
        await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod', 5));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('1', 1));
        expect(await store.getProvisionedConfig(fnKey('f1'), 'prod')).toEqual(provisionedRecord('prod', 5));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod', 7));
        expect(await store.getProvisionedConfig(fnKey('f1'), 'prod')).toEqual(provisionedRecord('prod', 7));
        expect((await store.listProvisionedConfigs(fnKey('f1'))).map((c) => c.qualifier)).toEqual([
          '1',
          'prod',
        ]);
        await store.deleteProvisionedConfig(fnKey('f1'), 'prod');
        expect(await store.getProvisionedConfig(fnKey('f1'), 'prod')).toBeUndefined();
        expect(await store.listProvisionedConfigs(fnKey('f1'))).toEqual([provisionedRecord('1', 1)]);
        await store.deleteProvisionedConfig(fnKey('f1'), 'prod');
        await store.deleteProvisionedConfig(fnKey('nope'), 'prod');
        expect(await store.getProvisionedConfig(fnKey('nope'), 'prod')).toBeUndefined();
        expect(await store.listProvisionedConfigs(fnKey('nope'))).toEqual([]);
      });

      test('a config on a missing function fails with FUNCTION_NOT_FOUND', async () => {
        await expectCode(
          store.putProvisionedConfig(fnKey('nope'), provisionedRecord('1')),
          'FUNCTION_NOT_FOUND',
        );
      });

      test('lists every config of every function with its key', async () => {
        await store.createFunction(functionRecord(fnKey('f1', scopeA)));
        await store.createFunction(functionRecord(fnKey('f2', scopeB, 'ns')));
        await store.putProvisionedConfig(fnKey('f1', scopeA), provisionedRecord('1'));
        await store.putProvisionedConfig(fnKey('f1', scopeA), provisionedRecord('live'));
        await store.putProvisionedConfig(fnKey('f2', scopeB, 'ns'), provisionedRecord('3'));
        const all = await store.listAllProvisionedConfigs();
        const seen = all.map(
          ({ key, config }) => `${key.accountId}/${key.namespace}/${key.name}:${config.qualifier}`,
        );
        expect(seen.sort()).toEqual([
          '111111111111/default/f1:1',
          '111111111111/default/f1:live',
          '222222222222/ns/f2:3',
        ]);
        expect(all.find((c) => c.config.qualifier === '3')?.key).toEqual(fnKey('f2', scopeB, 'ns'));
      });
    });

    describe('cascades', () => {
      test('deleting a function removes its versions, aliases and provisioned configs', async () => {
        await store.createFunction(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 1 }),
          versionRecord('1'),
        );
        await store.putAlias(fnKey('f1'), aliasRecord('prod'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod'));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('1'));
        await store.createFunction(functionRecord(fnKey('other')), versionRecord('1'));
        await store.putProvisionedConfig(fnKey('other'), provisionedRecord('1'));

        await store.deleteFunction(fnKey('f1'));
        expect(await store.listVersions(fnKey('f1'))).toEqual([]);
        expect(await store.listAliases(fnKey('f1'))).toEqual([]);
        expect(await store.listProvisionedConfigs(fnKey('f1'))).toEqual([]);
        expect((await store.listAllProvisionedConfigs()).map((c) => c.key.name)).toEqual(['other']);

        // A function re-created under the same name starts empty.
        await store.createFunction(functionRecord(fnKey('f1')));
        expect(await store.getVersion(fnKey('f1'), '1')).toBeUndefined();
        expect(await store.getAlias(fnKey('f1'), 'prod')).toBeUndefined();
        expect(await store.getProvisionedConfig(fnKey('f1'), '1')).toBeUndefined();
      });
    });

    describe('scopes', () => {
      test('accounts, regions and namespaces do not see each other', async () => {
        const keys = [
          fnKey('same', scopeA),
          fnKey('same', scopeB),
          fnKey('same', scopeC),
          fnKey('same', scopeA, 'ns'),
        ];
        for (const [i, key] of keys.entries()) {
          await store.createFunction(
            functionRecord(key, { createdMs: i }),
            versionRecord('1', { revisionId: `r${i}` }),
          );
          await store.putAlias(key, aliasRecord('prod', '1', { revisionId: `a${i}` }), false);
          await store.putProvisionedConfig(key, provisionedRecord('prod', i + 1));
        }
        for (const [i, key] of keys.entries()) {
          expect((await store.getFunction(key))?.createdMs).toBe(i);
          expect((await store.getVersion(key, '1'))?.revisionId).toBe(`r${i}`);
          expect((await store.getAlias(key, 'prod'))?.revisionId).toBe(`a${i}`);
          expect((await store.getProvisionedConfig(key, 'prod'))?.requested).toBe(i + 1);
        }
        expect(await store.listFunctions(scopeA)).toHaveLength(2);
        expect(await store.listFunctions(scopeA, 'default')).toHaveLength(1);
        expect(await store.listFunctions(scopeB)).toHaveLength(1);
        expect(await store.listFunctions(scopeC)).toHaveLength(1);
        expect(await store.listFunctions({ accountId: '333333333333', region: 'us-east-1' })).toEqual([]);

        await store.deleteFunction(fnKey('same', scopeA));
        expect(await store.getFunction(fnKey('same', scopeB))).toBeDefined();
        expect(await store.getAlias(fnKey('same', scopeA, 'ns'), 'prod')).toBeDefined();
        expect(await store.listAllProvisionedConfigs()).toHaveLength(3);
      });
    });

    describe('namespaces', () => {
      test('creates, lists by name and deletes namespaces per scope', async () => {
        await store.createNamespace(scopeA, namespaceRecord('zeta'));
        await store.createNamespace(scopeA, namespaceRecord('alpha'));
        await store.createNamespace(scopeB, namespaceRecord('beta'));
        expect(await store.listNamespaces(scopeA)).toEqual([
          namespaceRecord('alpha'),
          namespaceRecord('zeta'),
        ]);
        expect(await store.listNamespaces(scopeB)).toEqual([namespaceRecord('beta')]);
        expect(await store.listNamespaces(scopeC)).toEqual([]);
        await store.deleteNamespace(scopeA, 'zeta');
        await store.deleteNamespace(scopeA, 'zeta');
        await store.deleteNamespace(scopeC, 'beta');
        expect(await store.listNamespaces(scopeA)).toEqual([namespaceRecord('alpha')]);
        expect(await store.listNamespaces(scopeB)).toEqual([namespaceRecord('beta')]);
      });

      test('refuses an existing namespace, and `default`, which always exists', async () => {
        await store.createNamespace(scopeA, namespaceRecord('team'));
        await expectCode(store.createNamespace(scopeA, namespaceRecord('team')), 'NAMESPACE_ALREADY_EXISTS');
        await expectCode(
          store.createNamespace(scopeA, namespaceRecord('default')),
          'NAMESPACE_ALREADY_EXISTS',
        );
        // The same name in another scope is another namespace.
        await store.createNamespace(scopeB, namespaceRecord('team'));
        expect(await store.listNamespaces(scopeA)).toEqual([namespaceRecord('team')]);
      });
    });

    describe('settings', () => {
      test('round-trips per-scope settings and starts empty', async () => {
        expect(await store.getSettings(scopeA)).toEqual({});
        const settings = {
          concurrencyLimit: 1000,
          quotas: { memoryMb: 65536 },
          flags: ['a', 'b'],
          none: null,
        };
        await store.putSettings(scopeA, settings);
        expect(await store.getSettings(scopeA)).toEqual(settings);
        expect(await store.getSettings(scopeB)).toEqual({});
        await store.putSettings(scopeA, { concurrencyLimit: 10 });
        expect(await store.getSettings(scopeA)).toEqual({ concurrencyLimit: 10 });
      });
    });

    describe('layers', () => runLayerCases({ test, store: () => store, reopened }));

    describe('durability', () => {
      test('persists across reopen', async () => {
        const fn = functionRecord(fnKey('f1'), { lastPublishedVersion: 2, reservedConcurrency: 3 });
        await store.createFunction(functionRecord(fnKey('f1')), versionRecord('1'));
        await store.publishVersion(fn, versionRecord('2'));
        await store.putAlias(fnKey('f1'), aliasRecord('prod', '2'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('prod', 4));
        await store.createFunction(functionRecord(fnKey('gone', scopeB)), versionRecord('1'));
        await store.putProvisionedConfig(fnKey('gone', scopeB), provisionedRecord('1'));
        await store.deleteFunction(fnKey('gone', scopeB));
        await store.createNamespace(scopeA, namespaceRecord('team'));
        await store.putSettings(scopeA, { limit: 7 });

        const again = await reopened();
        expect(await again.getFunction(fnKey('f1'))).toEqual(fn);
        expect(await again.listVersions(fnKey('f1'))).toEqual([versionRecord('1'), versionRecord('2')]);
        expect(await again.getAlias(fnKey('f1'), 'prod')).toEqual(aliasRecord('prod', '2'));
        expect(await again.listAllProvisionedConfigs()).toEqual([
          { key: fnKey('f1'), config: provisionedRecord('prod', 4) },
        ]);
        expect(await again.getFunction(fnKey('gone', scopeB))).toBeUndefined();
        expect(await again.listNamespaces(scopeA)).toEqual([namespaceRecord('team')]);
        expect(await again.getSettings(scopeA)).toEqual({ limit: 7 });
        expect(await again.listAllFunctions()).toEqual([fn]);
      });

      test('deletes and cascades persist across reopen', async () => {
        await store.createFunction(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 2 }),
          versionRecord('1'),
        );
        await store.publishVersion(
          functionRecord(fnKey('f1'), { lastPublishedVersion: 2 }),
          versionRecord('2'),
        );
        await store.putAlias(fnKey('f1'), aliasRecord('a'), false);
        await store.putAlias(fnKey('f1'), aliasRecord('b'), false);
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('a'));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('1'));
        await store.putProvisionedConfig(fnKey('f1'), provisionedRecord('2'));
        await store.deleteAlias(fnKey('f1'), 'a');
        await store.deleteVersion(fnKey('f1'), '1');
        await store.createNamespace(scopeA, namespaceRecord('team'));
        await store.deleteNamespace(scopeA, 'team');

        const again = await reopened();
        expect((await again.listAliases(fnKey('f1'))).map((a) => a.name)).toEqual(['b']);
        expect((await again.listVersions(fnKey('f1'))).map((v) => v.version)).toEqual(['2']);
        expect((await again.listProvisionedConfigs(fnKey('f1'))).map((c) => c.qualifier)).toEqual(['2']);
        expect(await again.listNamespaces(scopeA)).toEqual([]);
      });
    });

    describeScalingContract({ test, store: () => store, reopened, scopeA, scopeB, fnKey });

    it('names only existing cases in its skip list', () => {
      const unknown = Object.keys(skip).filter((title) => !registered.has(title));
      expect(unknown).toEqual([]);
    });
  });
}

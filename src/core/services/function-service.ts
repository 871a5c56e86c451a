/**
 * Functions: create, read, update ($LATEST's code or configuration), delete, list.
 * Every mutation runs under the function's lock (read–modify–write of one row), so
 * concurrent updates never lose a write.
 *
 * Environments are not this service's business: whoever owns them (invoke, provisioned
 * concurrency) drains stale ones when the change feed reports `function-updated`,
 * `version-deleted` or `function-deleted`.
 */
import { PlatformError } from '../errors.js';
import type { FunctionKey, FunctionRecord, LayerVersionKey, Scope, VersionRecord } from '../model.js';
import { DEFAULT_NAMESPACE, LATEST, isVersionQualifier } from '../model.js';
import {
  applyPatch,
  buildConfig,
  configDigest,
  withCode,
  withLayers,
  type FunctionConfigInput,
  type FunctionConfigPatch,
} from './function-config.js';
import { functionLockKey } from './keyed-mutex.js';
import { createLayerService } from './layer-service.js';
import { resolveQualifier, type ResolvedFunction } from './qualifier-resolver.js';
import { assertRuntimeSupported } from './runtimes.js';
import { requireFunction, type ServiceContext } from './service-context.js';
import { assertTagLimit } from './tag-service.js';
import { publishLocked } from './version-service.js';

/** A function after a change, with the version published by that change, if any. */
export interface FunctionState {
  readonly fn: FunctionRecord;
  readonly published?: VersionRecord;
}

export interface CreateFunctionInput {
  readonly config: FunctionConfigInput;
  /** The deployment package; validated and stored by the PackageStore (CODE_* errors). */
  readonly zip: Buffer;
  /** Also publish version 1 in the same transaction. */
  readonly publish?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
  /** Layer versions to run with, in order (FUNCTION_LAYER* errors); absent: none. */
  readonly layers?: readonly LayerVersionKey[];
}

export interface UpdateCodeInput {
  readonly zip: Buffer;
  readonly architectures?: readonly string[];
  /** Publish a version once the code is updated. */
  readonly publish?: boolean;
  /** Validate and report the result without changing anything. */
  readonly dryRun?: boolean;
  /** Update only if `$LATEST`'s RevisionId is this (REVISION_MISMATCH otherwise). */
  readonly revisionId?: string;
}

/** One entry of a function listing: the function and one of its versions. */
export interface FunctionVersionItem {
  readonly fn: FunctionRecord;
  readonly version: VersionRecord;
}

export interface ListFunctionsOptions {
  /** Only this namespace (SCF); default: every namespace of the scope. */
  readonly namespace?: string;
  /** Every version of every function (`$LATEST` first), not only `$LATEST`. */
  readonly allVersions?: boolean;
}

export interface FunctionService {
  /** Creates a function (FUNCTION_ALREADY_EXISTS, RUNTIME_NOT_SUPPORTED, CODE_*, TOO_MANY_TAGS). */
  create(key: FunctionKey, input: CreateFunctionInput): Promise<FunctionState>;
  /** The function seen through `qualifier` (see resolveQualifier for the errors). */
  get(key: FunctionKey, qualifier?: string): Promise<ResolvedFunction>;
  /** Functions of a scope sorted by name; with `allVersions`, each followed by its versions. */
  list(scope: Scope, options?: ListFunctionsOptions): Promise<FunctionVersionItem[]>;
  /** Replaces `$LATEST`'s code; optionally publishes. */
  updateCode(key: FunctionKey, input: UpdateCodeInput): Promise<FunctionState>;
  /** Applies a partial configuration change to `$LATEST`. */
  updateConfiguration(
    key: FunctionKey,
    patch: FunctionConfigPatch,
    options?: { readonly revisionId?: string; readonly layers?: readonly LayerVersionKey[] },
  ): Promise<FunctionRecord>;
  /**
   * Without a qualifier deletes the function with its versions, aliases and provisioned
   * configs. With a version number deletes that version only (a no-op when it does not
   * exist, as on AWS; VERSION_REFERENCED_BY_ALIAS while an alias routes to it).
   * `$LATEST` → LATEST_NOT_DELETABLE; an alias name → INVALID_PARAMETER.
   */
  delete(key: FunctionKey, qualifier?: string): Promise<void>;
}

/** Builds the function service over the shared context. */
export function createFunctionService(ctx: ServiceContext): FunctionService {
  const { store, packages, clock } = ctx.deps;
  const layerService = createLayerService(ctx);

  async function assertNamespace(key: FunctionKey): Promise<void> {
    if (key.namespace === DEFAULT_NAMESPACE) {
      return;
    }
    const namespaces = await store.listNamespaces(key);
    if (!namespaces.some((ns) => ns.name === key.namespace)) {
      throw new PlatformError('NAMESPACE_NOT_FOUND', { namespace: key.namespace });
    }
  }

  return {
    async create(key, input) {
      assertRuntimeSupported(input.config.runtime);
      if (input.tags !== undefined) {
        assertTagLimit(key.name, Object.keys(input.tags).length);
      }
      await assertNamespace(key);
      const layers = input.layers === undefined ? undefined : await layerService.resolve(key, input.layers);
      // Content-addressed and idempotent, so storing before taking the lock is safe.
      const pkg = await packages.put(input.zip);
      return ctx.locks.run(functionLockKey(key), async () => {
        if ((await store.getFunction(key)) !== undefined) {
          throw new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: key.name });
        }
        const now = clock.now();
        const latest: VersionRecord = {
          version: LATEST,
          config: withLayers(buildConfig(input.config, pkg), layers),
          revisionId: ctx.newRevisionId(),
          lastModifiedMs: now,
        };
        let fn: FunctionRecord = {
          key,
          createdMs: now,
          latest,
          lastPublishedVersion: 0,
          tags: { ...(input.tags ?? {}) },
        };
        let published: VersionRecord | undefined;
        if (input.publish === true) {
          published = {
            version: '1',
            config: latest.config,
            revisionId: ctx.newRevisionId(),
            lastModifiedMs: now,
          };
          fn = { ...fn, lastPublishedVersion: 1, publishedFrom: configDigest(latest.config) };
        }
        await store.createFunction(fn, published);
        await ctx.changes.emit({ kind: 'function-created', key });
        if (published !== undefined) {
          await ctx.changes.emit({ kind: 'version-published', key, version: published.version });
          return { fn, published };
        }
        return { fn };
      });
    },

    get(key, qualifier) {
      return resolveQualifier(ctx, key, qualifier);
    },

    async list(scope, options = {}) {
      const fns = await store.listFunctions(scope, options.namespace);
      const items: FunctionVersionItem[] = [];
      for (const fn of fns) {
        items.push({ fn, version: fn.latest });
        if (options.allVersions === true) {
          for (const version of await store.listVersions(fn.key)) {
            items.push({ fn, version });
          }
        }
      }
      return items;
    },

    async updateCode(key, input) {
      await requireFunction(ctx, key);
      const pkg = await packages.put(input.zip);
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        checkRevision(fn, input.revisionId);
        const next: FunctionRecord = {
          ...fn,
          latest: {
            version: LATEST,
            config: withCode(fn.latest.config, pkg, input.architectures),
            revisionId: input.dryRun === true ? fn.latest.revisionId : ctx.newRevisionId(),
            lastModifiedMs: input.dryRun === true ? fn.latest.lastModifiedMs : clock.now(),
          },
        };
        if (input.dryRun === true) {
          return { fn: next };
        }
        await store.updateFunction(next);
        await ctx.changes.emit({ kind: 'function-updated', key });
        if (input.publish !== true) {
          return { fn: next };
        }
        const result = await publishLocked(ctx, next, {});
        if (result.created) {
          await ctx.changes.emit({ kind: 'version-published', key, version: result.version.version });
        }
        return { fn: result.fn, published: result.version };
      });
    },

    updateConfiguration(key, patch, options = {}) {
      if (patch.runtime !== undefined) {
        assertRuntimeSupported(patch.runtime);
      }
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        checkRevision(fn, options.revisionId);
        const layers =
          options.layers === undefined ? undefined : await layerService.resolve(key, options.layers);
        const next: FunctionRecord = {
          ...fn,
          latest: {
            version: LATEST,
            config: withLayers(applyPatch(fn.latest.config, patch), layers),
            revisionId: ctx.newRevisionId(),
            lastModifiedMs: clock.now(),
          },
        };
        await store.updateFunction(next);
        await ctx.changes.emit({ kind: 'function-updated', key });
        return next;
      });
    },

    delete(key, qualifier) {
      if (qualifier === LATEST) {
        return Promise.reject(new PlatformError('LATEST_NOT_DELETABLE', { functionName: key.name }));
      }
      if (qualifier !== undefined && !isVersionQualifier(qualifier)) {
        return Promise.reject(
          new PlatformError('INVALID_PARAMETER', {
            field: 'qualifier',
            reason: `Deleting an alias through DeleteFunction is not supported; delete alias ${qualifier} with DeleteAlias.`,
          }),
        );
      }
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        if (qualifier === undefined) {
          await store.deleteFunction(key);
          await ctx.changes.emit({ kind: 'function-deleted', key });
          return;
        }
        if ((await store.getVersion(key, qualifier)) === undefined) {
          return; // AWS answers 204 for a version that does not exist
        }
        const referencing = (await store.listAliases(key))
          .filter((a) => a.functionVersion === qualifier || qualifier in a.additionalVersionWeights)
          .map((a) => a.name);
        if (referencing.length > 0) {
          throw new PlatformError('VERSION_REFERENCED_BY_ALIAS', {
            functionName: key.name,
            version: qualifier,
            aliases: referencing,
          });
        }
        await store.deleteVersion(key, qualifier);
        if (fn.policies?.[qualifier] !== undefined) {
          // Its resource-based policy goes with it (policy-service.ts).
          const policies = { ...fn.policies };
          delete policies[qualifier];
          await store.updateFunction({ ...fn, policies });
        }
        await ctx.changes.emit({ kind: 'version-deleted', key, version: qualifier });
      });
    },
  };
}

function checkRevision(fn: FunctionRecord, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== fn.latest.revisionId) {
    throw new PlatformError('REVISION_MISMATCH', {});
  }
}

/**
 * Aliases: named pointers to a version, optionally splitting traffic with one additional
 * version by weight (spec §2.3, §3.6).
 */
import { PlatformError, notFound } from '../errors.js';
import { LATEST, type AliasRecord, type FunctionKey, type FunctionRecord } from '../model.js';
import { checkOneConfigPerVersion } from '../rules/provisioned-rules.js';
import { checkRouting, shiftOnMove } from './alias-rules.js';
import { functionLockKey } from './keyed-mutex.js';
import { versionOf } from './qualifier-resolver.js';
import { requireFunction, type ServiceContext } from './service-context.js';

export interface CreateAliasInput {
  readonly name: string;
  /** `$LATEST` or a published version number. */
  readonly functionVersion: string;
  readonly description?: string;
  /** Additional version → weight in [0, 1]; absent or empty for a plain alias. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
}

export interface UpdateAliasInput {
  readonly functionVersion?: string;
  readonly description?: string;
  /** Replaces the routing; `{}` removes it; absent keeps it. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
  /** Update only if the alias's RevisionId is this (REVISION_MISMATCH otherwise). */
  readonly revisionId?: string;
}

export interface AliasService {
  /**
   * Creates an alias. Errors: FUNCTION_NOT_FOUND (naming the target version, as AWS does),
   * routing rules (ROUTING_*), VERSION_NOT_FOUND, ALIAS_ALREADY_EXISTS.
   */
  create(key: FunctionKey, input: CreateAliasInput): Promise<AliasRecord>;
  /** FUNCTION_NOT_FOUND or ALIAS_NOT_FOUND. */
  get(key: FunctionKey, name: string): Promise<AliasRecord>;
  update(key: FunctionKey, name: string, input: UpdateAliasInput): Promise<AliasRecord>;
  /** Deletes the alias and its provisioned config; a missing alias is not an error (AWS: 204). */
  delete(key: FunctionKey, name: string): Promise<void>;
  /** Aliases sorted by name, optionally only those whose primary version is `functionVersion`. */
  list(key: FunctionKey, options?: { readonly functionVersion?: string }): Promise<AliasRecord[]>;
  /**
   * Ends a provisioned move (core, when the alias's config is READY or FAILED, or has gone):
   * the routing weight AWS added goes, if the alias still makes the same move.
   */
  endShift(key: FunctionKey, name: string, shift: ShiftRef): Promise<void>;
}

/** One provisioned move of an alias: from the version it left to the one it points to. */
export interface ShiftRef {
  readonly fromVersion: string;
  readonly toVersion: string;
}

/** Builds the alias service over the shared context. */
export function createAliasService(ctx: ServiceContext): AliasService {
  const { store, clock } = ctx.deps;

  async function checkTargets(
    fn: FunctionRecord,
    primary: string,
    weights: Readonly<Record<string, number>>,
  ) {
    checkRouting(primary, weights);
    await versionOf(ctx, fn, primary);
    for (const version of Object.keys(weights)) {
      await versionOf(ctx, fn, version);
    }
  }

  /**
   * An alias that carries provisioned concurrency may move only where a config could be put
   * (§3.3): not to `$LATEST`, and not onto a version another config already provisions.
   */
  async function checkProvisionedMove(key: FunctionKey, next: AliasRecord): Promise<boolean> {
    const configs = await store.listProvisionedConfigs(key);
    const config = configs.find((c) => c.qualifier === next.name);
    if (config === undefined) {
      return false;
    }
    if (next.functionVersion === LATEST) {
      throw new PlatformError('PROVISIONED_ON_UNPUBLISHED', { functionName: key.name });
    }
    const aliases = (await store.listAliases(key)).map((a) => (a.name === next.name ? next : a));
    checkOneConfigPerVersion(key.name, next.name, configs, aliases);
    return config.requested > 0;
  }

  return {
    create(key, input) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await store.getFunction(key);
        if (fn === undefined) {
          throw notFound.fn(key.name, input.functionVersion);
        }
        const weights = { ...(input.additionalVersionWeights ?? {}) };
        await checkTargets(fn, input.functionVersion, weights);
        if ((await store.getAlias(key, input.name)) !== undefined) {
          throw new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: input.name });
        }
        const now = clock.now();
        const alias: AliasRecord = {
          name: input.name,
          functionVersion: input.functionVersion,
          description: input.description ?? '',
          additionalVersionWeights: weights,
          revisionId: ctx.newRevisionId(),
          createdMs: now,
          lastModifiedMs: now,
        };
        await store.putAlias(key, alias, false);
        await ctx.changes.emit({ kind: 'alias-changed', key, alias: alias.name });
        return alias;
      });
    },

    async get(key, name) {
      await requireFunction(ctx, key);
      const alias = await store.getAlias(key, name);
      if (alias === undefined) {
        throw notFound.alias(key.name, name);
      }
      return alias;
    },

    update(key, name, input) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        const alias = await store.getAlias(key, name);
        if (alias === undefined) {
          throw notFound.alias(key.name, name);
        }
        if (input.revisionId !== undefined && input.revisionId !== alias.revisionId) {
          throw new PlatformError('REVISION_MISMATCH', {});
        }
        // The weight a provisioned move added is not the caller's: it is not kept as theirs.
        const { provisionedShift: shift, ...rest } = alias;
        const ownWeights = shift === undefined ? alias.additionalVersionWeights : {};
        let next: AliasRecord = {
          ...rest,
          functionVersion: input.functionVersion ?? alias.functionVersion,
          description: input.description ?? alias.description,
          additionalVersionWeights: { ...(input.additionalVersionWeights ?? ownWeights) },
          revisionId: ctx.newRevisionId(),
          lastModifiedMs: clock.now(),
        };
        await checkTargets(fn, next.functionVersion, next.additionalVersionWeights);
        const moved = next.functionVersion !== alias.functionVersion;
        const provisioned = moved ? await checkProvisionedMove(key, next) : false;
        const nextShift = moved
          ? shiftOnMove(alias, next, provisioned)
          : Object.keys(next.additionalVersionWeights).length > 0
            ? undefined // weights of the caller's own: a weighted alias, no longer a move
            : shift;
        if (nextShift !== undefined) {
          next = {
            ...next,
            additionalVersionWeights: { [nextShift.fromVersion]: 1 },
            provisionedShift: nextShift,
          };
        }
        await store.putAlias(key, next, true);
        await ctx.changes.emit({ kind: 'alias-changed', key, alias: name });
        return next;
      });
    },

    delete(key, name) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        if ((await store.getAlias(key, name)) === undefined) {
          return;
        }
        await store.deleteAlias(key, name);
        if (fn.policies?.[name] !== undefined) {
          // Its resource-based policy goes with it (policy-service.ts).
          const policies = { ...fn.policies };
          delete policies[name];
          await store.updateFunction({ ...fn, policies });
        }
        await ctx.changes.emit({ kind: 'alias-deleted', key, alias: name });
      });
    },

    endShift(key, name, ref) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const alias = await store.getAlias(key, name);
        if (
          alias?.provisionedShift?.fromVersion !== ref.fromVersion ||
          alias.functionVersion !== ref.toVersion
        ) {
          return;
        }
        const { provisionedShift: _ended, ...rest } = alias;
        const next: AliasRecord = {
          ...rest,
          additionalVersionWeights: {},
          revisionId: ctx.newRevisionId(),
          lastModifiedMs: clock.now(),
        };
        await store.putAlias(key, next, true);
        await ctx.changes.emit({ kind: 'alias-changed', key, alias: name });
      });
    },

    async list(key, options = {}) {
      await requireFunction(ctx, key);
      const aliases = await store.listAliases(key);
      const wanted = options.functionVersion;
      return wanted === undefined ? aliases : aliases.filter((a) => a.functionVersion === wanted);
    },
  };
}

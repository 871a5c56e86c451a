/**
 * Resolving a qualifier (`$LATEST`, a version number or an alias name) to the version
 * record it designates. Shared by every read and by invoke.
 */
import { notFound } from '../errors.js';
import type { AliasRecord, FunctionKey, FunctionRecord, VersionRecord } from '../model.js';
import { LATEST, isVersionQualifier } from '../model.js';
import { requireFunction, type ServiceContext } from './service-context.js';

/** A function seen through one qualifier. */
export interface ResolvedFunction {
  readonly fn: FunctionRecord;
  /**
   * The version the qualifier designates. For an alias this is its primary version; a
   * weighted alias's additional version is chosen per invocation, not here.
   */
  readonly version: VersionRecord;
  /** Set when the qualifier named an alias. */
  readonly alias?: AliasRecord;
  /** The qualifier as given (undefined for an unqualified request). */
  readonly qualifier?: string;
}

/**
 * Looks `qualifier` up on `key`. Errors: FUNCTION_NOT_FOUND (naming the qualifier when one
 * was given), VERSION_NOT_FOUND, ALIAS_NOT_FOUND.
 */
export async function resolveQualifier(
  ctx: ServiceContext,
  key: FunctionKey,
  qualifier?: string,
): Promise<ResolvedFunction> {
  const fn = await requireFunction(ctx, key, qualifier);
  if (qualifier === undefined || qualifier === LATEST) {
    return qualifier === undefined ? { fn, version: fn.latest } : { fn, version: fn.latest, qualifier };
  }
  if (isVersionQualifier(qualifier)) {
    const version = await ctx.deps.store.getVersion(key, qualifier);
    if (version === undefined) {
      throw notFound.version(key.name, qualifier);
    }
    return { fn, version, qualifier };
  }
  const alias = await ctx.deps.store.getAlias(key, qualifier);
  if (alias === undefined) {
    throw notFound.alias(key.name, qualifier);
  }
  return { fn, version: await versionOf(ctx, fn, alias.functionVersion), alias, qualifier };
}

/** `$LATEST` or a published version of `fn`, or VERSION_NOT_FOUND. */
export async function versionOf(
  ctx: ServiceContext,
  fn: FunctionRecord,
  version: string,
): Promise<VersionRecord> {
  if (version === LATEST) {
    return fn.latest;
  }
  const record = await ctx.deps.store.getVersion(fn.key, version);
  if (record === undefined) {
    throw notFound.version(fn.key.name, version);
  }
  return record;
}

/**
 * Resolving a qualifier (`$LATEST`, a version number or an alias name) to the version
 * record it designates: one lookup (`lookupQualifier`) for every read, invoke and the
 * provisioned rules, returning a tagged result; each caller chooses its wording, because
 * the vendors word the same miss differently per operation (GetFunction names the
 * qualified ARN; Invoke says FUNCTION_NOT_FOUND for everything; PutProvisioned…Config
 * names the version or alias even when the function is missing, spec §3.3).
 */
import { notFound } from '../errors.js';
import type { AliasRecord, FunctionKey, FunctionRecord, VersionRecord } from '../model.js';
import { LATEST, isVersionQualifier } from '../model.js';
import type { Store } from '../ports.js';
import type { ServiceContext } from './service-context.js';

/** What a qualifier designates, or what is missing. */
export type QualifierLookup =
  | {
      readonly kind: 'found';
      readonly fn: FunctionRecord;
      readonly version: VersionRecord;
      readonly alias?: AliasRecord;
    }
  | { readonly kind: 'no-function' }
  /** `version`: the number asked for, or the one an alias pointed to. */
  | {
      readonly kind: 'no-version';
      readonly fn: FunctionRecord;
      readonly version: string;
      readonly viaAlias: boolean;
    }
  | { readonly kind: 'no-alias'; readonly fn: FunctionRecord; readonly alias: string };

export interface LookupOptions {
  /** Which version of an alias serves (weighted routing for invoke); default: its primary. */
  readonly pick?: (alias: AliasRecord) => string;
  /** A published version known without a read (invoke's cache); undefined: read it. */
  readonly versionNow?: (key: FunctionKey, version: string) => VersionRecord | undefined;
  /** How a published version is read (a cache for invoke); default: the store. */
  readonly getVersion?: (key: FunctionKey, version: string) => Promise<VersionRecord | undefined>;
}

/** The one lookup behind every resolution. */
export async function lookupQualifier(
  store: Store,
  key: FunctionKey,
  qualifier: string | undefined,
  o: LookupOptions = {},
): Promise<QualifierLookup> {
  return await lookupQualifierNow(store, key, qualifier, o);
}

/**
 * lookupQualifier, answered at once unless a published version must be read: functions
 * and aliases are in memory (Store.functionNow, aliasNow), and so are the versions invoke
 * has seen (`o.versionNow`).
 */
export function lookupQualifierNow(
  store: Store,
  key: FunctionKey,
  qualifier: string | undefined,
  o: LookupOptions = {},
): QualifierLookup | Promise<QualifierLookup> {
  const fn = store.functionNow(key);
  if (fn === undefined) {
    return { kind: 'no-function' };
  }
  if (qualifier === undefined || qualifier === LATEST) {
    return { kind: 'found', fn, version: fn.latest };
  }
  let alias: AliasRecord | undefined;
  let versionName = qualifier;
  if (!isVersionQualifier(qualifier)) {
    alias = store.aliasNow(key, qualifier);
    if (alias === undefined) {
      return { kind: 'no-alias', fn, alias: qualifier };
    }
    versionName = o.pick?.(alias) ?? alias.functionVersion;
    if (versionName === LATEST) {
      return { kind: 'found', fn, version: fn.latest, alias };
    }
  }
  const found = (version: VersionRecord | undefined): QualifierLookup => {
    if (version === undefined) {
      return { kind: 'no-version', fn, version: versionName, viaAlias: alias !== undefined };
    }
    return alias === undefined ? { kind: 'found', fn, version } : { kind: 'found', fn, version, alias };
  };
  const known = o.versionNow?.(key, versionName);
  if (known !== undefined) {
    return found(known);
  }
  return (o.getVersion ?? ((k, v) => store.getVersion(k, v)))(key, versionName).then(found);
}

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
  const r = await lookupQualifier(ctx.deps.store, key, qualifier);
  switch (r.kind) {
    case 'no-function':
      throw notFound.fn(key.name, qualifier);
    case 'no-alias':
      throw notFound.alias(key.name, r.alias);
    case 'no-version':
      throw notFound.version(key.name, r.version);
    case 'found': {
      const q = qualifier === undefined ? {} : { qualifier };
      return r.alias === undefined
        ? { fn: r.fn, version: r.version, ...q }
        : { fn: r.fn, version: r.version, alias: r.alias, ...q };
    }
  }
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

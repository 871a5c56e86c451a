/**
 * What every core service shares: the ports, the locks, the change feed and an id source.
 * Built once by `createCore`; services are plain objects closed over it.
 */
import { randomUUID } from 'node:crypto';
import { notFound } from '../errors.js';
import type { CoreDeps } from '../index.js';
import type { FunctionKey, FunctionRecord } from '../model.js';
import { ChangeFeed } from './change-feed.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface ServiceContext {
  readonly deps: CoreDeps;
  readonly locks: KeyedMutex;
  readonly changes: ChangeFeed;
  /** A fresh RevisionId (a UUID). */
  readonly newRevisionId: () => string;
}

/** The shared context; `overrides` replace the id source, locks or feed (tests). */
export function createServiceContext(
  deps: CoreDeps,
  overrides: Partial<ServiceContext> = {},
): ServiceContext {
  return {
    deps,
    locks: overrides.locks ?? new KeyedMutex(),
    changes: overrides.changes ?? new ChangeFeed(),
    newRevisionId: overrides.newRevisionId ?? randomUUID,
  };
}

/**
 * The function, or FUNCTION_NOT_FOUND. `qualifier` only shapes the error (AWS names the
 * qualified ARN when the caller asked for one, spec §2.3 GetFunction).
 */
export async function requireFunction(
  ctx: ServiceContext,
  key: FunctionKey,
  qualifier?: string,
): Promise<FunctionRecord> {
  const fn = await ctx.deps.store.getFunction(key);
  if (fn === undefined) {
    throw notFound.fn(key.name, qualifier);
  }
  return fn;
}

/**
 * Published versions: immutable snapshots of `$LATEST` (spec §2.3 PublishVersion).
 */
import { PlatformError } from '../errors.js';
import type { FunctionKey, FunctionRecord, VersionRecord } from '../model.js';
import { configDigest, sameDeployment } from './function-config.js';
import { functionLockKey } from './keyed-mutex.js';
import { requireFunction, type ServiceContext } from './service-context.js';

/** A CodeSha256 precondition: the digest to compare and the caller's spelling of it (for the error). */
export interface CodeSha256Precondition {
  readonly sha256Hex: string;
  readonly asGiven: string;
}

export interface PublishOptions {
  /** The new version's description; defaults to `$LATEST`'s. */
  readonly description?: string;
  /** Publish only if `$LATEST`'s code has this digest (CODE_SHA256_MISMATCH otherwise). */
  readonly codeSha256?: CodeSha256Precondition;
  /** Publish only if `$LATEST`'s RevisionId is this (REVISION_MISMATCH otherwise). */
  readonly revisionId?: string;
}

export interface PublishResult {
  readonly fn: FunctionRecord;
  readonly version: VersionRecord;
  /** False when nothing changed since the last version and that one was returned. */
  readonly created: boolean;
}

export interface VersionService {
  /**
   * Publishes `$LATEST` as the next version. When `$LATEST` did not change since the last
   * publish (its description included), returns the newest version instead (AWS, spec §2.3). Checks the RevisionId
   * precondition, then the CodeSha256 one.
   */
  publish(key: FunctionKey, options?: PublishOptions): Promise<PublishResult>;
  /** `$LATEST` first, then published versions in ascending order. */
  list(
    key: FunctionKey,
  ): Promise<{ readonly fn: FunctionRecord; readonly versions: readonly VersionRecord[] }>;
}

/** Builds the version service over the shared context. */
export function createVersionService(ctx: ServiceContext): VersionService {
  return {
    publish(key, options = {}) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        const result = await publishLocked(ctx, fn, options);
        if (result.created) {
          await ctx.changes.emit({ kind: 'version-published', key, version: result.version.version });
        }
        return result;
      });
    },
    async list(key) {
      const fn = await requireFunction(ctx, key);
      const published = await ctx.deps.store.listVersions(key);
      return { fn, versions: [fn.latest, ...published] };
    },
  };
}

/**
 * Publishes `fn`'s `$LATEST`; the caller holds the function lock and emits the change.
 * Also used by CreateFunction/UpdateFunctionCode with `Publish`.
 */
export async function publishLocked(
  ctx: ServiceContext,
  fn: FunctionRecord,
  options: PublishOptions,
): Promise<PublishResult> {
  if (options.revisionId !== undefined && options.revisionId !== fn.latest.revisionId) {
    throw new PlatformError('REVISION_MISMATCH', {});
  }
  const latestSha = fn.latest.config.codeSha256Hex;
  if (options.codeSha256 !== undefined && options.codeSha256.sha256Hex.toLowerCase() !== latestSha) {
    throw new PlatformError('CODE_SHA256_MISMATCH', { given: options.codeSha256.asGiven, actual: latestSha });
  }
  const latestDigest = configDigest(fn.latest.config);
  if (fn.lastPublishedVersion > 0) {
    // AWS (recorded 2025-11): a version is new when $LATEST changed since the last publish,
    // even if only its Description did; with no change in between, publish is idempotent.
    const newest = await ctx.deps.store.getVersion(fn.key, String(fn.lastPublishedVersion));
    const unchanged =
      fn.publishedFrom === undefined
        ? newest !== undefined && sameDeployment(newest.config, fn.latest.config)
        : fn.publishedFrom === latestDigest;
    if (newest !== undefined && unchanged) {
      return { fn, version: newest, created: false };
    }
  }
  const number = fn.lastPublishedVersion + 1;
  const version: VersionRecord = {
    version: String(number),
    config: { ...fn.latest.config, description: options.description ?? fn.latest.config.description },
    revisionId: ctx.newRevisionId(),
    lastModifiedMs: ctx.deps.clock.now(),
  };
  // Publishing is a change of the function: $LATEST gets a new RevisionId (spec §1.6).
  const updated: FunctionRecord = {
    ...fn,
    lastPublishedVersion: number,
    publishedFrom: latestDigest,
    latest: { ...fn.latest, revisionId: ctx.newRevisionId() },
  };
  await ctx.deps.store.publishVersion(updated, version);
  return { fn: updated, version, created: true };
}

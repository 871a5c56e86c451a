/**
 * Tags of a function (function-level only: versions and aliases carry none).
 */
import { PlatformError } from '../errors.js';
import type { FunctionKey } from '../model.js';
import { functionLockKey } from './keyed-mutex.js';
import { requireFunction, type ServiceContext } from './service-context.js';

/** Tags one function may carry (AWS: 50, spec §2.3 Tags). */
export const MAX_TAGS_PER_FUNCTION = 50;

export interface TagService {
  list(key: FunctionKey): Promise<Readonly<Record<string, string>>>;
  /** Adds or overwrites tags (TOO_MANY_TAGS past the limit). */
  tag(key: FunctionKey, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Removes tags; absent keys are ignored. */
  untag(key: FunctionKey, tagKeys: readonly string[]): Promise<void>;
}

/** TOO_MANY_TAGS when a function would carry more than MAX_TAGS_PER_FUNCTION tags. */
export function assertTagLimit(functionName: string, count: number): void {
  if (count > MAX_TAGS_PER_FUNCTION) {
    throw new PlatformError('TOO_MANY_TAGS', { functionName, limit: MAX_TAGS_PER_FUNCTION });
  }
}

/** Builds the tag service over the shared context. */
export function createTagService(ctx: ServiceContext): TagService {
  const { store } = ctx.deps;
  return {
    async list(key) {
      return (await requireFunction(ctx, key)).tags;
    },
    tag(key, tags) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        const merged = { ...fn.tags, ...tags };
        assertTagLimit(key.name, Object.keys(merged).length);
        await store.updateFunction({ ...fn, tags: merged });
      });
    },
    untag(key, tagKeys) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await requireFunction(ctx, key);
        const remaining: Record<string, string> = { ...fn.tags };
        for (const k of tagKeys) {
          delete remaining[k];
        }
        await store.updateFunction({ ...fn, tags: remaining });
      });
    },
  };
}

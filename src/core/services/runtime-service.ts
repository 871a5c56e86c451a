/**
 * Runtime versions and AWS's runtime management controls (PutRuntimeManagementConfig,
 * GetRuntimeManagementConfig), as far as hearth can honour them: it runs each runtime on
 * one interpreter (the pool's, RuntimeCatalog), so
 *
 *   - `Auto` and `FunctionUpdate` are kept and reported; both run the interpreter hearth
 *     has, which is what Auto means and what FunctionUpdate gives once the function is
 *     updated (hearth has no older runtime version to keep) [DESIGN];
 *   - `Manual` pins the version hearth runs now; a version it does not have is refused
 *     (RUNTIME_VERSION_UNAVAILABLE) rather than accepted and silently not honoured.
 */
import { PlatformError, notFound } from '../errors.js';
import { LATEST, isVersionQualifier, type FunctionKey, type RuntimeManagement } from '../model.js';
import { functionLockKey } from './keyed-mutex.js';
import { versionOf } from './qualifier-resolver.js';
import { requireFunction, type ServiceContext } from './service-context.js';

export interface RuntimeService {
  /** The version hearth runs `runtime` on, or undefined (OS-only runtimes, no catalog). */
  versionOf(runtime: string): { readonly name: string; readonly digest: string } | undefined;
  /** The controls of `$LATEST` (qualifier undefined) or a version; Auto when never set. */
  getManagement(key: FunctionKey, qualifier: string | undefined): Promise<RuntimeManagement>;
  /** Sets them; Manual needs `pinnedDigest` equal to the version hearth runs. */
  putManagement(
    key: FunctionKey,
    qualifier: string | undefined,
    management: RuntimeManagement,
  ): Promise<RuntimeManagement>;
}

export function createRuntimeService(ctx: ServiceContext): RuntimeService {
  const { store } = ctx.deps;
  const catalogOf = (runtime: string) => ctx.deps.runtimes?.versionOf(runtime);

  /** `$LATEST` or a published version; anything else names no function version. */
  async function target(key: FunctionKey, qualifier: string | undefined) {
    const fn = await requireFunction(ctx, key, qualifier);
    const q = qualifier ?? LATEST;
    if (q !== LATEST && !isVersionQualifier(q)) {
      throw notFound.fn(key.name, q);
    }
    return { fn, q, version: await versionOf(ctx, fn, q) };
  }

  return {
    versionOf: catalogOf,

    async getManagement(key, qualifier) {
      const { fn, q } = await target(key, qualifier);
      return fn.runtimeManagement?.[q] ?? { updateRuntimeOn: 'Auto' };
    },

    putManagement(key, qualifier, management) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const { fn, q, version } = await target(key, qualifier);
        let stored: RuntimeManagement = { updateRuntimeOn: management.updateRuntimeOn };
        if (management.updateRuntimeOn === 'Manual') {
          const runtime = version.config.runtime;
          const current = catalogOf(runtime);
          const digest = management.pinnedDigest;
          if (digest === undefined) {
            throw new PlatformError('INVALID_PARAMETER', {
              field: 'runtimeVersionArn',
              reason: 'RuntimeVersionArn is required when UpdateRuntimeOn is Manual.',
            });
          }
          if (current === undefined || current.digest !== digest) {
            throw new PlatformError('RUNTIME_VERSION_UNAVAILABLE', {
              runtime,
              digest,
              ...(current === undefined ? {} : { current: current.digest }),
            });
          }
          stored = { updateRuntimeOn: 'Manual', pinnedDigest: digest };
        }
        await store.updateFunction({
          ...fn,
          runtimeManagement: { ...(fn.runtimeManagement ?? {}), [q]: stored },
        });
        await ctx.changes.emit({ kind: 'function-updated', key });
        return stored;
      });
    },
  };
}

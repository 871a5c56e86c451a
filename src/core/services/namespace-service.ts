/**
 * Namespaces: SCF's grouping of functions inside a scope (model.ts). `default` always
 * exists and is never stored (ports.ts); the AWS dialect sees only `default`.
 *
 * Built from the shared ServiceContext, so a dialect can construct it from `core.context`
 * until `createCore` exposes it as `core.namespaces`.
 */
import { PlatformError } from '../errors.js';
import { DEFAULT_NAMESPACE, type NamespaceRecord, type Scope } from '../model.js';
import { scopeLockKey } from './keyed-mutex.js';
import type { ServiceContext } from './service-context.js';

export interface NamespaceService {
  /** Stored namespaces of a scope (`default` is not among them), sorted by name. */
  list(scope: Scope): Promise<NamespaceRecord[]>;
  /** True for `default` and for every stored namespace. */
  exists(scope: Scope, name: string): Promise<boolean>;
  /** NAMESPACE_ALREADY_EXISTS for `default` or a stored name. */
  create(
    scope: Scope,
    input: { readonly name: string; readonly description?: string },
  ): Promise<NamespaceRecord>;
  /**
   * NAMESPACE_NOT_FOUND, NAMESPACE_NOT_EMPTY while functions live in it. `default` cannot
   * be deleted (INVALID_PARAMETER); dialects word that themselves first.
   */
  delete(scope: Scope, name: string): Promise<void>;
}

export function createNamespaceService(ctx: ServiceContext): NamespaceService {
  const { store, clock } = ctx.deps;

  async function list(scope: Scope): Promise<NamespaceRecord[]> {
    const all = await store.listNamespaces(scope);
    return [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  return {
    list,

    async exists(scope, name) {
      return name === DEFAULT_NAMESPACE || (await store.listNamespaces(scope)).some((ns) => ns.name === name);
    },

    create(scope, input) {
      return ctx.locks.run(scopeLockKey(scope), async () => {
        if (
          input.name === DEFAULT_NAMESPACE ||
          (await store.listNamespaces(scope)).some((ns) => ns.name === input.name)
        ) {
          throw new PlatformError('NAMESPACE_ALREADY_EXISTS', { namespace: input.name });
        }
        const now = clock.now();
        const record: NamespaceRecord = {
          name: input.name,
          description: input.description ?? '',
          createdMs: now,
          lastModifiedMs: now,
        };
        await store.createNamespace(scope, record);
        return record;
      });
    },

    delete(scope, name) {
      if (name === DEFAULT_NAMESPACE) {
        return Promise.reject(
          new PlatformError('INVALID_PARAMETER', {
            field: 'namespace',
            reason: 'The default namespace cannot be deleted.',
          }),
        );
      }
      return ctx.locks.run(scopeLockKey(scope), async () => {
        if (!(await store.listNamespaces(scope)).some((ns) => ns.name === name)) {
          throw new PlatformError('NAMESPACE_NOT_FOUND', { namespace: name });
        }
        if ((await store.listFunctions(scope, name)).length > 0) {
          throw new PlatformError('NAMESPACE_NOT_EMPTY', { namespace: name });
        }
        await store.deleteNamespace(scope, name);
      });
    },
  };
}

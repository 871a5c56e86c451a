/**
 * Resource-based policies (AWS AddPermission, RemovePermission, GetPolicy): statements kept
 * per target — the unqualified function, a published version or an alias — in the
 * function's record, so they live and die with it. What a statement says is the dialect's
 * (an IAM statement for AWS); core keeps the rules that do not depend on its wording:
 *
 *   1. the target must exist (function, then version or alias); `$LATEST` named explicitly
 *      is refused (AWS: policies are added to the unqualified function instead);
 *   2. a statement id is unique within its target's policy;
 *   3. an optional RevisionId precondition matches the policy's revision or, before the
 *      policy changed since, the target's own (AWS accepts the function's or alias's
 *      RevisionId from GetFunction/GetAlias, and the policy's from GetPolicy);
 *   4. every change gives the policy a new revision, which becomes the RevisionId of the
 *      unqualified function or the alias too (AWS: "function revision is the same as policy
 *      revision" right after AddPermission; a version's own RevisionId stays, [DESIGN]).
 *
 * Deleting an alias or version deletes its policy (alias-service.ts, the store).
 */
import { PlatformError, notFound } from '../errors.js';
import {
  LATEST,
  isVersionQualifier,
  type FunctionKey,
  type FunctionRecord,
  type PolicyStatement,
  type ResourcePolicy,
} from '../model.js';
import { functionLockKey } from './keyed-mutex.js';
import type { ServiceContext } from './service-context.js';

/** Alias names: not only digits, letters, digits, `-` and `_` (model pattern of Name). */
const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9-_]+$/;

export interface PolicyService {
  /**
   * Adds `statement` to the policy of `qualifier` (undefined: the unqualified function).
   * Errors: FUNCTION_NOT_FOUND, VERSION_NOT_FOUND, ALIAS_NOT_FOUND, POLICY_ON_LATEST,
   * POLICY_STATEMENT_EXISTS, POLICY_REVISION_MISMATCH.
   */
  add(
    key: FunctionKey,
    qualifier: string | undefined,
    statement: PolicyStatement,
    revisionId?: string,
  ): Promise<ResourcePolicy>;
  /**
   * Removes a statement. Errors: POLICY_NOT_FOUND (no function, or no policy),
   * ALIAS_NOT_FOUND, VERSION_NOT_FOUND, POLICY_STATEMENT_NOT_FOUND, POLICY_REVISION_MISMATCH.
   */
  remove(
    key: FunctionKey,
    qualifier: string | undefined,
    statementId: string,
    revisionId?: string,
  ): Promise<void>;
  /** The policy of a target; POLICY_NOT_FOUND when it or the target does not exist. */
  get(key: FunctionKey, qualifier: string | undefined): Promise<ResourcePolicy>;
}

/** The record key of a target. */
function targetOf(qualifier: string | undefined): string {
  return qualifier ?? LATEST;
}

export function createPolicyService(ctx: ServiceContext): PolicyService {
  const { store } = ctx.deps;

  /** The target's own RevisionId (step 3), or NOT_FOUND errors. */
  async function targetRevision(fn: FunctionRecord, qualifier: string | undefined): Promise<string> {
    if (qualifier === undefined) {
      return fn.latest.revisionId;
    }
    if (isVersionQualifier(qualifier)) {
      const version = await store.getVersion(fn.key, qualifier);
      if (version === undefined) {
        throw notFound.version(fn.key.name, qualifier);
      }
      return version.revisionId;
    }
    if (!ALIAS_NAME.test(qualifier)) {
      // Neither a version nor an alias name (e.g. with a `$`): AWS names the function.
      throw notFound.fn(fn.key.name, qualifier);
    }
    const alias = await store.getAlias(fn.key, qualifier);
    if (alias === undefined) {
      throw notFound.alias(fn.key.name, qualifier);
    }
    return alias.revisionId;
  }

  function checkRevision(given: string | undefined, policy: ResourcePolicy | undefined, own: string): void {
    if (given !== undefined && given !== own && given !== policy?.revisionId) {
      throw new PlatformError('POLICY_REVISION_MISMATCH', {});
    }
  }

  /** Writes the target's new policy (step 4); an empty policy is removed. */
  async function write(
    fn: FunctionRecord,
    qualifier: string | undefined,
    statements: readonly PolicyStatement[],
  ): Promise<ResourcePolicy> {
    const revisionId = ctx.newRevisionId();
    const policy: ResourcePolicy = { revisionId, statements };
    const policies = { ...(fn.policies ?? {}) };
    if (statements.length === 0) {
      delete policies[targetOf(qualifier)];
    } else {
      policies[targetOf(qualifier)] = policy;
    }
    const updated: FunctionRecord = {
      ...fn,
      policies,
      ...(qualifier === undefined ? { latest: { ...fn.latest, revisionId } } : {}),
    };
    await store.updateFunction(updated);
    if (qualifier !== undefined && !isVersionQualifier(qualifier)) {
      const alias = await store.getAlias(fn.key, qualifier);
      if (alias !== undefined) {
        await store.putAlias(fn.key, { ...alias, revisionId }, true);
        await ctx.changes.emit({ kind: 'alias-changed', key: fn.key, alias: qualifier });
      }
    }
    await ctx.changes.emit({ kind: 'function-updated', key: fn.key });
    return policy;
  }

  return {
    add(key, qualifier, statement, revisionId) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await store.getFunction(key);
        if (fn === undefined) {
          throw notFound.fn(key.name, qualifier);
        }
        if (qualifier === LATEST) {
          throw new PlatformError('POLICY_ON_LATEST', {});
        }
        const own = await targetRevision(fn, qualifier);
        const policy = fn.policies?.[targetOf(qualifier)];
        checkRevision(revisionId, policy, own);
        if (policy?.statements.some((s) => s.sid === statement.sid) === true) {
          throw new PlatformError('POLICY_STATEMENT_EXISTS', { statementId: statement.sid });
        }
        return write(fn, qualifier, [...(policy?.statements ?? []), statement]);
      });
    },

    remove(key, qualifier, statementId, revisionId) {
      return ctx.locks.run(functionLockKey(key), async () => {
        const fn = await store.getFunction(key);
        if (fn === undefined) {
          throw new PlatformError('POLICY_NOT_FOUND', {
            functionName: key.name,
            ...(qualifier === undefined ? {} : { qualifier }),
            functionMissing: true,
          });
        }
        const own = await targetRevision(fn, qualifier === LATEST ? undefined : qualifier);
        const policy = fn.policies?.[targetOf(qualifier)];
        if (policy === undefined || policy.statements.length === 0) {
          throw new PlatformError('POLICY_NOT_FOUND', {
            functionName: key.name,
            ...(qualifier === undefined ? {} : { qualifier }),
            functionMissing: false,
          });
        }
        checkRevision(revisionId, policy, own);
        if (!policy.statements.some((s) => s.sid === statementId)) {
          throw new PlatformError('POLICY_STATEMENT_NOT_FOUND', { statementId });
        }
        await write(
          fn,
          qualifier,
          policy.statements.filter((s) => s.sid !== statementId),
        );
      });
    },

    async get(key, qualifier) {
      const missing = (functionMissing: boolean) =>
        new PlatformError('POLICY_NOT_FOUND', {
          functionName: key.name,
          ...(qualifier === undefined ? {} : { qualifier }),
          functionMissing,
        });
      const fn = await store.getFunction(key);
      if (fn === undefined) {
        throw missing(true);
      }
      try {
        await targetRevision(fn, qualifier === LATEST ? undefined : qualifier);
      } catch {
        // AWS answers GetPolicy on a missing version or alias as on a missing policy.
        throw missing(false);
      }
      const policy = fn.policies?.[targetOf(qualifier)];
      if (policy === undefined || policy.statements.length === 0) {
        throw missing(false);
      }
      return policy;
    },
  };
}

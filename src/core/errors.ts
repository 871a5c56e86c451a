/**
 * The one error catalog of hearth's core.
 *
 * Core throws `PlatformError` with a SCREAMING_SNAKE code and typed details; it never
 * knows a vendor's wording. Each dialect maps every code through a complete table
 * (`Record<ErrorCode, ...>`), so adding a code here is a compile error until every
 * dialect has said how it renders it (ARCHITECTURE.md principle 5).
 *
 * A function that fails is not a PlatformError: it is an invocation outcome (see
 * `InvocationOutcome` in ports.ts) that the dialect renders.
 *
 * @example
 *   throw new PlatformError('FUNCTION_NOT_FOUND', { functionName: 'fn' });
 */

import type { LayerVersionKey } from './model.js';

/** Details carried by each code. `qualifier` undefined means the unqualified resource. */
export interface ErrorDetails {
  // ---- lookups ----------------------------------------------------------------------
  FUNCTION_NOT_FOUND: { functionName: string; qualifier?: string };
  VERSION_NOT_FOUND: { functionName: string; version: string };
  ALIAS_NOT_FOUND: { functionName: string; alias: string };
  NAMESPACE_NOT_FOUND: { namespace: string };
  // ---- conflicts ----------------------------------------------------------------------
  FUNCTION_ALREADY_EXISTS: { functionName: string };
  ALIAS_ALREADY_EXISTS: { functionName: string; alias: string };
  NAMESPACE_ALREADY_EXISTS: { namespace: string };
  NAMESPACE_NOT_EMPTY: { namespace: string };
  /** A mutation lost a race against another one on the same resource. */
  UPDATE_IN_PROGRESS: { functionName: string };
  // ---- preconditions ------------------------------------------------------------------
  REVISION_MISMATCH: Record<string, never>;
  /** `given` as the caller spelled it; `actual` is the hex sha256 of `$LATEST`'s code. */
  CODE_SHA256_MISMATCH: { given: string; actual: string };
  LATEST_NOT_DELETABLE: { functionName: string };
  /** A published version cannot be deleted while aliases route to it. */
  VERSION_REFERENCED_BY_ALIAS: { functionName: string; version: string; aliases: readonly string[] };
  // ---- code packages ------------------------------------------------------------------
  CODE_INVALID_ZIP: { reason: string };
  CODE_ZIPPED_TOO_LARGE: { limitBytes: number };
  CODE_UNZIPPED_TOO_LARGE: { limitBytes: number };
  CODE_UNSAFE_ENTRY: { entry: string };
  // ---- layers -------------------------------------------------------------------------
  LAYER_NOT_FOUND: { layerName: string };
  LAYER_VERSION_NOT_FOUND: { layerName: string; version: number };
  // ---- function configuration ---------------------------------------------------------
  /** A function may use at most `limit` layers. */
  FUNCTION_LAYERS_TOO_MANY: { limit: number };
  /** Two versions (or the same one twice) of one layer in a function's layers. */
  FUNCTION_LAYER_DUPLICATE: { first: LayerVersionKey; second: LayerVersionKey };
  /** A layer of another region than the function's (`region`). */
  FUNCTION_LAYER_WRONG_REGION: { region: string; layer: LayerVersionKey };
  /** A layer version of another account: hearth has no layer permissions, so never allowed. */
  FUNCTION_LAYER_ACCESS_DENIED: { accountId: string; layer: LayerVersionKey };
  /** A layer version that does not exist (or was deleted) named in a function's layers. */
  FUNCTION_LAYER_NOT_FOUND: { layer: LayerVersionKey };
  /** The runtime is not one hearth can run; `supported` lists the canonical ids it can. */
  RUNTIME_NOT_SUPPORTED: { runtime: string; supported: readonly string[] };
  /** A runtime version hearth cannot run `runtime` on (Manual runtime management). */
  RUNTIME_VERSION_UNAVAILABLE: { runtime: string; digest: string; current?: string };
  /** Adding tags would exceed the per-function limit. */
  TOO_MANY_TAGS: { functionName: string; limit: number };
  // ---- aliases ------------------------------------------------------------------------
  ROUTING_TOO_MANY_VERSIONS: Record<string, never>;
  ROUTING_SAME_AS_PRIMARY: { version: string };
  ROUTING_WITH_LATEST: Record<string, never>;
  // ---- resource-based policies ------------------------------------------------------
  /** No policy on the target; `functionMissing`: not even the function exists. */
  POLICY_NOT_FOUND: { functionName: string; qualifier?: string; functionMissing: boolean };
  POLICY_STATEMENT_NOT_FOUND: { statementId: string };
  POLICY_STATEMENT_EXISTS: { statementId: string };
  /** The RevisionId precondition of AddPermission/RemovePermission failed. */
  POLICY_REVISION_MISMATCH: Record<string, never>;
  /** Policies are kept for the unqualified function, versions and aliases, never `$LATEST`. */
  POLICY_ON_LATEST: Record<string, never>;
  // ---- concurrency --------------------------------------------------------------------
  /** Reserved concurrency would leave the account's unreserved pool below its floor. */
  RESERVED_BELOW_UNRESERVED_MINIMUM: { minimum: number };
  /** Reserved concurrency lower than the function's total provisioned concurrency. */
  RESERVED_BELOW_PROVISIONED: { requested: number; totalProvisioned: number };
  QUALIFIED_NOT_ALLOWED: { functionName: string };
  // ---- provisioned concurrency --------------------------------------------------------
  PROVISIONED_ON_UNPUBLISHED: { functionName: string };
  PROVISIONED_QUALIFIER_INVALID: { functionName: string; qualifier: string };
  PROVISIONED_ON_WEIGHTED_ALIAS: { functionName: string; alias: string };
  PROVISIONED_EXCEEDS_RESERVED: { requested: number; reserved: number };
  PROVISIONED_EXCEEDS_UNRESERVED: { unreserved: number };
  PROVISIONED_BELOW_UNRESERVED_MINIMUM: { minimum: number };
  PROVISIONED_ALIAS_ON_PROVISIONED_VERSION: { functionName: string; alias: string; version: string };
  PROVISIONED_VERSION_POINTED_BY_ALIAS: { functionName: string; version: string; alias: string };
  PROVISIONED_CONFIG_NOT_FOUND: { functionName: string; qualifier: string };
  PROVISIONED_IN_PROGRESS: { functionName: string; qualifier: string };
  // ---- invoke -------------------------------------------------------------------------
  /** `zeroReserved`: the reservation is 0, so waiting cannot help (§3.2). */
  THROTTLED_RESERVED: { functionName: string; zeroReserved?: boolean };
  THROTTLED_ACCOUNT: Record<string, never>;
  FUNCTION_NOT_ACTIVE: { functionName: string; state: string };
  PAYLOAD_TOO_LARGE: { limitBytes: number };
  ASYNC_QUEUE_FULL: { functionName: string };
  // ---- generic ------------------------------------------------------------------------
  /** A rule of core's own was broken; `field` is the neutral field name. */
  INVALID_PARAMETER: { field: string; reason: string };
  /** Something that is a bug or a platform fault, never the caller's. */
  INTERNAL: { reason: string };
}

export type ErrorCode = keyof ErrorDetails;

/** User errors are the caller's to fix; system errors are ours (rendered as 5xx). */
export const SYSTEM_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INTERNAL']);

export class PlatformError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: ErrorDetails[C];

  constructor(code: C, details: ErrorDetails[C], options?: { cause?: unknown }) {
    super(`${code}: ${JSON.stringify(details)}`, options);
    this.name = 'PlatformError';
    this.code = code;
    this.details = details;
  }

  get isSystemError(): boolean {
    return SYSTEM_ERROR_CODES.has(this.code);
  }

  /** Narrows an error to one code, for dialect renderers and tests. */
  is<K extends ErrorCode>(code: K): this is PlatformError<K> {
    const mine: string = this.code;
    return mine === code;
  }
}

export function isPlatformError(e: unknown): e is PlatformError {
  return e instanceof PlatformError;
}

/** Convenience for the common not-found cases. */
export const notFound = {
  fn: (functionName: string, qualifier?: string) =>
    new PlatformError(
      'FUNCTION_NOT_FOUND',
      qualifier === undefined ? { functionName } : { functionName, qualifier },
    ),
  version: (functionName: string, version: string) =>
    new PlatformError('VERSION_NOT_FOUND', { functionName, version }),
  alias: (functionName: string, alias: string) =>
    new PlatformError('ALIAS_NOT_FOUND', { functionName, alias }),
};

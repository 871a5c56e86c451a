/**
 * Pieces shared by the operation handlers: naming the function of a request and the
 * Qualifier query parameter.
 */
import { PlatformError } from '../../../core/errors.js';
import {
  parseFunctionName,
  toFunctionRef,
  type FunctionNameShape,
  type FunctionRef,
  type ParsedFunctionName,
} from '../function-name.js';
import type { Violations } from '../validation.js';
import { wholePattern } from '../validation.js';
import type { OperationCall } from './types.js';

/** NumericLatestPublishedOrAliasQualifier (GetFunction, DeleteFunction, Invoke...). */
export const QUALIFIER_PATTERN = wholePattern(String.raw`\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`);

/** The Qualifier query parameter, checked against the model (min 1, max 128, pattern). */
export function readQualifierParam(v: Violations, call: OperationCall): string | undefined {
  const q = call.query.get('Qualifier') ?? undefined;
  v.string('qualifier', q, { min: 1, max: 128, pattern: QUALIFIER_PATTERN });
  return q;
}

/**
 * A function named by the `{FunctionName}` label, parsed into `v`. Finish with
 * `resolveRef` once the other members are validated too.
 */
export function parseFunctionLabel(
  v: Violations,
  call: OperationCall,
  shape: FunctionNameShape = 'FunctionName',
): ParsedFunctionName | undefined {
  return parseFunctionName(v, call.labels.FunctionName, shape);
}

/** Throws the collected violations, then applies the name rules of spec §1.2. */
export function resolveRef(
  v: Violations,
  call: OperationCall,
  parsed: ParsedFunctionName | undefined,
  qualifierParam?: string,
): FunctionRef {
  v.throwIfAny();
  if (parsed === undefined) {
    // parseFunctionName adds a violation whenever it returns undefined.
    throw new PlatformError('INTERNAL', { reason: 'function name missing after validation' });
  }
  return toFunctionRef(call.ctx, parsed, qualifierParam);
}

/**
 * For operations on the function itself (not a version or alias): a qualified name is
 * rejected as AWS does for PutFunctionConcurrency (spec §1.2). [DESIGN] AWS's answer for
 * the other function-level operations is unrecorded; we give the same one.
 */
export function requireUnqualified(ref: FunctionRef): FunctionRef {
  if (ref.qualifier !== undefined) {
    throw new PlatformError('QUALIFIED_NOT_ALLOWED', { functionName: ref.key.name });
  }
  return ref;
}

/**
 * Parameters most actions share: Namespace (default `default`, checked to exist first, spec
 * §3.5 step 2), FunctionName and Qualifier, and SCF's string flags.
 */
import { DEFAULT_NAMESPACE, type FunctionKey } from '../../../core/model.js';
import type { ActionCall } from '../types.js';
import { invalidParameterValue, missingParameter, scfError } from '../wire-error.js';

/** Namespaces: "up to 30 characters of letters, digits, hyphens (-), and underscores (_)" (Appendix B). */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,30}$/;
/** CreateFunction: 2–60 characters, letters, digits, `_` and `-`, starting with a letter and ending with a letter or digit (spec §4, §3.5). */
export const NEW_FUNCTION_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;
/** Lookups accept every name a function can have, including AWS-made ones (up to 64 characters). */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** `$LATEST`, `$DEFAULT`, a version number or an alias name. */
export const QUALIFIER_PATTERN = /^(\$LATEST|\$DEFAULT|[0-9]+|[A-Za-z0-9_-]{1,128})$/;

/** The Namespace member: validated, and known to exist (ResourceNotFound.Namespace). */
export async function readNamespace(
  call: ActionCall,
  opts: { readonly required?: boolean } = {},
): Promise<string> {
  const ns = call.params.string('Namespace', opts) ?? DEFAULT_NAMESPACE;
  if (!NAMESPACE_PATTERN.test(ns)) {
    throw invalidParameterValue(
      'Namespace',
      `'${ns}' is not a valid namespace name.`,
      'InvalidParameterValue.Namespace',
    );
  }
  if (!(await call.services.namespaces.exists(call.scope, ns))) {
    throw scfError('ResourceNotFound.Namespace', `Namespace does not exist. (Namespace: ${ns})`);
  }
  return ns;
}

/** The FunctionName member of a lookup (required). */
export function readFunctionName(call: ActionCall, member = 'FunctionName'): string {
  const name = call.params.string(member, { required: true }) ?? '';
  if (!FUNCTION_NAME_PATTERN.test(name)) {
    throw scfError(
      'InvalidParameterValue.FunctionName',
      `The value of \`${member}\` does not conform to the specification: '${name}'.`,
    );
  }
  return name;
}

/** FunctionName then Namespace, in the order Tencent reports them (spec §3.5 steps 1–2). */
export async function readFunctionKey(call: ActionCall): Promise<FunctionKey> {
  const name = readFunctionName(call);
  const namespace = await readNamespace(call);
  return keyOf(call, namespace, name);
}

export function keyOf(call: ActionCall, namespace: string, name: string): FunctionKey {
  return { accountId: call.scope.accountId, region: call.scope.region, namespace, name };
}

export function readQualifier(
  call: ActionCall,
  opts: { readonly required?: boolean } = {},
): string | undefined {
  const q = call.params.string('Qualifier', opts);
  // An empty string counts as absent: the action's default qualifier applies.
  if (q === '') {
    if (opts.required === true) {
      throw missingParameter('Qualifier');
    }
    return undefined;
  }
  if (q !== undefined && !QUALIFIER_PATTERN.test(q)) {
    throw scfError('InvalidParameterValue.Qualifier', `Unsupported function version. (Qualifier: ${q})`);
  }
  return q;
}

/** A `"TRUE"` / `"FALSE"` string flag (spec §4 reading guide). */
export function readFlag(
  call: ActionCall,
  member: string,
  code = 'InvalidParameterValue',
): boolean | undefined {
  const v = call.params.string(member);
  if (v === undefined || v === '') {
    return undefined;
  }
  const upper = v.toUpperCase();
  if (upper !== 'TRUE' && upper !== 'FALSE') {
    throw invalidParameterValue(member, `'${v}' must be TRUE or FALSE.`, code);
  }
  return upper === 'TRUE';
}

/** Offset/Limit paging (ListFunctions, ListNamespaces...). */
export function readPaging(
  call: ActionCall,
  opts: { readonly asStrings?: boolean; readonly maxLimit?: number } = {},
): { offset: number; limit: number } {
  let offset: number | undefined;
  let limit: number | undefined;
  if (opts.asStrings === true) {
    // ListAliases types Offset and Limit as strings (spec §4 reading guide).
    const o = call.params.string('Offset');
    const l = call.params.string('Limit');
    if (o !== undefined && !/^\d+$/.test(o)) {
      throw invalidParameterValue('Offset', `'${o}' is not a non-negative integer.`);
    }
    if (l !== undefined && !/^\d+$/.test(l)) {
      throw invalidParameterValue('Limit', `'${l}' is not a non-negative integer.`);
    }
    offset = o === undefined ? undefined : Number(o);
    limit = l === undefined ? undefined : Number(l);
  } else {
    offset = call.params.integer('Offset');
    limit = call.params.integer('Limit');
  }
  if (offset !== undefined && offset < 0) {
    throw invalidParameterValue('Offset', 'must be ≥ 0.', 'InvalidParameterValue.Offset');
  }
  const maxLimit = opts.maxLimit ?? 100;
  if (limit !== undefined && (limit < 0 || limit > maxLimit)) {
    throw invalidParameterValue('Limit', `must be between 0 and ${maxLimit}.`, 'InvalidParameterValue.Limit');
  }
  return { offset: offset ?? 0, limit: limit ?? 20 };
}

/** ASC / DESC (case-insensitive), or the default. */
export function readOrder(call: ActionCall, defaultOrder: 'ASC' | 'DESC'): 'ASC' | 'DESC' {
  const v = call.params.string('Order');
  if (v === undefined || v === '') {
    return defaultOrder;
  }
  const upper = v.toUpperCase();
  if (upper !== 'ASC' && upper !== 'DESC') {
    throw invalidParameterValue('Order', `'${v}' must be ASC or DESC.`, 'InvalidParameterValue.Order');
  }
  return upper;
}

export function page<T>(items: readonly T[], paging: { offset: number; limit: number }): T[] {
  return items.slice(paging.offset, paging.offset + paging.limit);
}

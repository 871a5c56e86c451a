/**
 * FunctionName in all its forms (spec §1.2): `name`, `name:qualifier`,
 * `123456789012:function:name[:q]`, `arn:aws:lambda:<region>:<acct>:function:name[:q]`.
 *
 *   1. model constraints (length, pattern) → ValidationException, collected with the
 *      request's other violations;
 *   2. the name part longer than 64 → InvalidParameterValueException (Type, message);
 *   3. another account → 403 AccessDeniedException; another region → 404
 *      `Functions from '<r1>' are not reachable in this region ('<r2>')`;
 *   4. a qualifier in the name and a different `Qualifier` parameter →
 *      `The derived qualifier from the function name does not match the specified qualifier.`
 */
import type { FunctionKey } from '../../core/model.js';
import { DEFAULT_NAMESPACE } from '../../core/model.js';
import type { RequestContext } from './request-context.js';
import type { Violations } from './validation.js';
import { constraint, wholePattern } from './validation.js';
import { accessDenied, invalidParameter, resourceNotFound } from './wire-error.js';

/** The model's FunctionName (max 140) and NamespacedFunctionName (max 256) shapes. */
export type FunctionNameShape = 'FunctionName' | 'NamespacedFunctionName';

/** Patterns as real AWS quotes them in its messages (Appendix A, with the `eusc-` prefix). */
export const FUNCTION_NAME_PATTERN = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`;
export const NAMESPACED_FUNCTION_NAME_PATTERN = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`;
/** TaggableResource (the `layer:` branch as recorded; unknown kinds are not taggable here). */
export const TAGGABLE_RESOURCE_PATTERN = String.raw`arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`;

const SHAPES: Record<FunctionNameShape, { max: number; pattern: string; parse: RegExp }> = {
  FunctionName: {
    max: 140,
    pattern: FUNCTION_NAME_PATTERN,
    parse:
      /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[a-zA-Z0-9-_]+)(?::(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$/,
  },
  NamespacedFunctionName: {
    max: 256,
    pattern: NAMESPACED_FUNCTION_NAME_PATTERN,
    parse:
      /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?(?:(?<account>\d{12}):)?(?:function:)?(?<name>[a-zA-Z0-9-_.]+)(?::(?<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/,
  },
};

const TAGGABLE = wholePattern(TAGGABLE_RESOURCE_PATTERN);
const TAGGABLE_FUNCTION =
  /^arn:(?:aws[a-zA-Z-]*):lambda:(?<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):(?<account>\d{12}):function:(?<name>[a-zA-Z0-9-_]+)(?::(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$/;

/** Longest name AWS accepts when only a name is given (spec §1.2). */
export const MAX_NAME_LENGTH = 64;

/** The parts of a syntactically valid FunctionName. */
export interface ParsedFunctionName {
  readonly name: string;
  readonly qualifier?: string;
  readonly region?: string;
  readonly accountId?: string;
}

/**
 * Checks the model constraints of a FunctionName member and parses it. Violations are
 * added to `v` (and undefined returned); a missing value is a `must not be null` violation.
 */
export function parseFunctionName(
  v: Violations,
  value: string | undefined,
  shape: FunctionNameShape,
  member = 'functionName',
): ParsedFunctionName | undefined {
  if (!v.required(member, value) || value === undefined) {
    return undefined;
  }
  const s = SHAPES[shape];
  if (value.length > s.max) {
    v.add(member, value, constraint.maxLength(s.max));
    return undefined;
  }
  if (value.length < 1) {
    v.add(member, value, constraint.minLength(1));
    return undefined;
  }
  const key = `${shape} ${value}`;
  const known = recentNames.get(key);
  if (known !== undefined) {
    return known;
  }
  const m = s.parse.exec(value);
  const name = m?.groups?.name;
  if (m === null || name === undefined) {
    v.add(member, value, constraint.pattern(s.pattern));
    return undefined;
  }
  const { region, account, qualifier } = m.groups ?? {};
  const parsed: ParsedFunctionName = Object.freeze({
    name,
    ...(qualifier === undefined ? {} : { qualifier }),
    ...(region === undefined ? {} : { region }),
    ...(account === undefined ? {} : { accountId: account }),
  });
  if (recentNames.size >= RECENT_NAMES_MAX) {
    recentNames.clear();
  }
  recentNames.set(key, parsed);
  return parsed;
}

/** Names parseFunctionName remembers (valid ones, at most 256 characters each). */
const RECENT_NAMES_MAX = 1024;
/**
 * Valid names by shape, parsed once: the same few name every invoke, and the pattern's
 * named groups were ~1 µs of each (_one-off_, V8 profile). Results are frozen and shared.
 */
const recentNames = new Map<string, ParsedFunctionName>();

/** Checks and parses a TaggableResource ARN (must be a full function ARN to be found here). */
export function parseTaggableResource(
  v: Violations,
  value: string | undefined,
): ParsedFunctionName | 'other' | undefined {
  const member = 'resource';
  if (!v.required(member, value) || value === undefined) {
    return undefined;
  }
  v.string(member, value, { min: 1, max: 256, pattern: TAGGABLE });
  if (value.length > 256 || !TAGGABLE.regex.test(value)) {
    return undefined;
  }
  const m = TAGGABLE_FUNCTION.exec(value);
  const { region, account, name, qualifier } = m?.groups ?? {};
  if (name === undefined || region === undefined || account === undefined) {
    return 'other';
  }
  return { name, region, accountId: account, ...(qualifier === undefined ? {} : { qualifier }) };
}

/** A function named by a request, with the qualifier reconciled from name and parameter. */
export interface FunctionRef {
  readonly key: FunctionKey;
  readonly qualifier?: string;
}

/**
 * Applies the semantic rules (steps 2–4 above) to a parsed name and builds the core key
 * in the caller's scope.
 */
export function toFunctionRef(
  ctx: RequestContext,
  parsed: ParsedFunctionName,
  qualifierParam?: string,
): FunctionRef {
  if (parsed.name.length > MAX_NAME_LENGTH) {
    throw invalidParameter(
      `1 validation error detected: Value '${parsed.name}' at 'functionName' failed to satisfy constraint: ${constraint.maxLength(MAX_NAME_LENGTH)}`,
    );
  }
  if (parsed.accountId !== undefined && parsed.accountId !== ctx.accountId) {
    // The IAM action of Invoke is lambda:InvokeFunction; the others share the API's name.
    const action = ctx.operation === 'Invoke' ? 'InvokeFunction' : ctx.operation;
    const arn = `arn:aws:lambda:${parsed.region ?? ctx.region}:${parsed.accountId}:function:${parsed.name}`;
    throw accessDenied(
      ctx.accountId,
      action,
      parsed.qualifier === undefined ? arn : `${arn}:${parsed.qualifier}`,
    );
  }
  if (parsed.region !== undefined && parsed.region !== ctx.region) {
    throw resourceNotFound(
      `Functions from '${parsed.region}' are not reachable in this region ('${ctx.region}')`,
    );
  }
  if (parsed.qualifier !== undefined && qualifierParam !== undefined && parsed.qualifier !== qualifierParam) {
    throw invalidParameter(
      'The derived qualifier from the function name does not match the specified qualifier.',
    );
  }
  const qualifier = parsed.qualifier ?? qualifierParam;
  return {
    key: { accountId: ctx.accountId, region: ctx.region, namespace: DEFAULT_NAMESPACE, name: parsed.name },
    ...(qualifier === undefined ? {} : { qualifier }),
  };
}

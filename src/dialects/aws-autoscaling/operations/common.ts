/**
 * What every operation shares: its context, the mapping of core's ScalingError kinds to
 * AWS's errors, pagination tokens and timestamps.
 */
import { ScalingError, type ScalableTargetService } from '../../../core/scaling/scalable-target-service.js';
import {
  AutoScalingError,
  invalidToken,
  noPolicy,
  noScheduledAction,
  noTargetFound,
  noTargetRegistered,
  unsupported,
  validation,
} from '../errors.js';
import type { Input, Json } from '../input.js';
import {
  checkNamespace,
  lambdaResource,
  SCALABLE_DIMENSIONS,
  SERVICE_NAMESPACES,
  type ResourceRef,
  type Scope,
} from '../resource.js';

export interface OperationContext {
  readonly targets: ScalableTargetService;
  readonly scope: Scope;
}

export type Operation = (ctx: OperationContext, input: Input) => Promise<Json>;

/** JSON 1.1 timestamps are epoch seconds. */
export const seconds = (ms: number) => ms / 1000;

/** ServiceNamespace + ScalableDimension + ResourceId of a single-target operation. */
export function resourceOf(ctx: OperationContext, input: Input): ResourceRef {
  const namespace = input.enumeration('ServiceNamespace', SERVICE_NAMESPACES, true);
  const dimension = input.enumeration('ScalableDimension', SCALABLE_DIMENSIONS, true);
  const resourceId = input.string('ResourceId', { required: true, min: 1, max: 1600 });
  input.check();
  return lambdaResource(ctx.scope, namespace, dimension, resourceId ?? '');
}

/** The filters of a Describe: false when the namespace/dimension can have nothing here. */
export function listingOf(input: Input): { matches: boolean } {
  const namespace = input.enumeration('ServiceNamespace', SERVICE_NAMESPACES, true);
  const dimension = input.enumeration('ScalableDimension', SCALABLE_DIMENSIONS);
  return { matches: checkNamespace(namespace, dimension) };
}

/**
 * Maps core's kinds to AWS's errors; `unregistered` picks the wording for a missing target
 * (Put* say "registered", Deregister says "found").
 */
export async function mapped<T>(
  r: ResourceRef,
  work: () => Promise<T>,
  unregistered: 'registered' | 'found' = 'registered',
): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof ScalingError)) {
      throw e;
    }
    throw toWire(r, e, unregistered);
  }
}

function toWire(r: ResourceRef, e: ScalingError, unregistered: 'registered' | 'found'): AutoScalingError {
  switch (e.kind) {
    case 'target-not-found':
      return unregistered === 'registered' ? noTargetRegistered(r) : noTargetFound(r);
    case 'resource-not-found':
      // [DESIGN] AWS's wording for a Lambda resource that does not exist is not recorded.
      return validation(
        `Lambda function ${r.key.name} has no alias or version ${r.qualifier} (ResourceId ${r.resourceId})`,
      );
    case 'unpublished':
      return unsupported();
    case 'capacity-required':
      return validation('MinCapacity and MaxCapacity are required for registering a new scalable target');
    case 'min-above-max':
      return validation('Minimum capacity cannot be greater than maximum capacity');
    case 'action-not-found':
      return noScheduledAction(r, e.detail.name ?? '');
    case 'policy-not-found':
      return noPolicy(r, e.detail.name ?? '');
    case 'too-many-actions':
      return new AutoScalingError(
        'LimitExceededException',
        `Too many scheduled actions for ${r.resourceId} (the limit is 200)`,
      );
    case 'too-many-policies':
      return new AutoScalingError(
        'LimitExceededException',
        `Too many scaling policies for ${r.resourceId} (the limit is 50)`,
      );
  }
}

/** One page of `items` from `NextToken` (an opaque offset) with `MaxResults` ≤ `limit`. */
export function page<T>(input: Input, items: readonly T[], limit: number): { items: T[]; next?: string } {
  const max = input.integer('MaxResults', { max: limit }) ?? limit;
  const token = input.string('NextToken');
  input.check();
  let start = 0;
  if (token !== undefined) {
    const m = /^h1\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    start = Number(m?.[1] ?? NaN);
    if (m === null || !Number.isSafeInteger(start) || start > items.length) {
      throw invalidToken();
    }
  }
  const size = Math.max(1, max);
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { next: Buffer.from(`h1.${end}`).toString('base64url') } : {}),
  };
}

/**
 * RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget and the tag
 * operations (TagResource, UntagResource, ListTagsForResource), keyed by the target's ARN.
 */
import type { FunctionKey } from '../../../core/model.js';
import type { ScalableTargetRecord } from '../../../core/scaling/scalable-target.js';
import { AutoScalingError } from '../errors.js';
import type { Input, Json } from '../input.js';
import { LAMBDA_DIMENSION, resourceIdOf, targetArn, targetIdOfArn, type Scope } from '../resource.js';
import {
  listingOf,
  mapped,
  page,
  resourceOf,
  seconds,
  type Operation,
  type OperationContext,
} from './common.js';

/** AWS: at most 50 tags per scalable target. */
const MAX_TAGS = 50;

const roleArn = (s: Scope) =>
  `arn:aws:iam::${s.accountId}:role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency`;

export function renderTarget(s: Scope, key: FunctionKey, t: ScalableTargetRecord): Json {
  return {
    ServiceNamespace: 'lambda',
    ResourceId: resourceIdOf(key, t.qualifier),
    ScalableDimension: LAMBDA_DIMENSION,
    MinCapacity: t.minCapacity,
    MaxCapacity: t.maxCapacity,
    RoleARN: roleArn(s),
    CreationTime: seconds(t.createdMs),
    SuspendedState: {
      DynamicScalingInSuspended: t.suspended.dynamicScalingIn,
      DynamicScalingOutSuspended: t.suspended.dynamicScalingOut,
      ScheduledScalingSuspended: t.suspended.scheduled,
    },
    ScalableTargetARN: targetArn(s, t.id),
  };
}

const RegisterScalableTarget: Operation = async (ctx, input) => {
  const min = input.integer('MinCapacity', { min: 0 });
  const max = input.integer('MaxCapacity', { min: 0 });
  input.string('RoleARN', { min: 1, max: 1600 });
  const suspended = input.struct('SuspendedState');
  const flags = {
    dynamicScalingIn: suspended?.boolean('DynamicScalingInSuspended'),
    dynamicScalingOut: suspended?.boolean('DynamicScalingOutSuspended'),
    scheduled: suspended?.boolean('ScheduledScalingSuspended'),
  };
  const tags = input.stringMap('Tags');
  const r = resourceOf(ctx, input);
  if (tags !== undefined && Object.keys(tags).length > MAX_TAGS) {
    throw new AutoScalingError('TooManyTagsException', `A scalable target can have at most ${MAX_TAGS} tags`);
  }
  const t = await mapped(r, () =>
    ctx.targets.register(r.key, r.qualifier, {
      ...(min === undefined ? {} : { min }),
      ...(max === undefined ? {} : { max }),
      suspended: Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
      ...(tags === undefined ? {} : { tags }),
    }),
  );
  return { ScalableTargetARN: targetArn(ctx.scope, t.id) };
};

const DescribeScalableTargets: Operation = async (ctx, input) => {
  const { matches } = listingOf(input);
  const ids = input.strings('ResourceIds', { max: 50 });
  input.check();
  const all = matches ? await ctx.targets.list(ctx.scope) : [];
  const wanted = all.filter(
    (e) =>
      e.key.namespace === 'default' &&
      (ids === undefined || ids.includes(resourceIdOf(e.key, e.target.qualifier))),
  );
  const p = page(input, wanted, 50);
  return {
    ScalableTargets: p.items.map((e) => renderTarget(ctx.scope, e.key, e.target)),
    ...(p.next === undefined ? {} : { NextToken: p.next }),
  };
};

const DeregisterScalableTarget: Operation = async (ctx, input) => {
  const r = resourceOf(ctx, input);
  await mapped(r, () => ctx.targets.deregister(r.key, r.qualifier), 'found');
  return {};
};

/** The target an ARN names, or ResourceNotFoundException. */
async function byArn(ctx: OperationContext, input: Input) {
  const arn = input.string('ResourceARN', { required: true, min: 1, max: 1011 });
  input.check();
  const id = targetIdOfArn(ctx.scope, arn ?? '');
  const found = (await ctx.targets.list(ctx.scope)).find((e) => e.target.id === id);
  if (found === undefined) {
    // [DESIGN] AWS's wording for an unknown target ARN is not recorded.
    throw new AutoScalingError(
      'ResourceNotFoundException',
      `Scalable target with ARN ${arn ?? ''} not found`,
    );
  }
  return found;
}

const TagResource: Operation = async (ctx, input) => {
  const tags = input.stringMap('Tags', true) ?? {};
  const { key, target } = await byArn(ctx, input);
  if (Object.keys({ ...target.tags, ...tags }).length > MAX_TAGS) {
    throw new AutoScalingError('TooManyTagsException', `A scalable target can have at most ${MAX_TAGS} tags`);
  }
  await ctx.targets.retag(key, target.qualifier, tags, []);
  return {};
};

const UntagResource: Operation = async (ctx, input) => {
  const keys = input.strings('TagKeys', { required: true, max: 200 }) ?? [];
  const { key, target } = await byArn(ctx, input);
  await ctx.targets.retag(key, target.qualifier, {}, keys);
  return {};
};

const ListTagsForResource: Operation = async (ctx, input) => {
  const { target } = await byArn(ctx, input);
  return { Tags: { ...target.tags } };
};

export const TARGET_OPERATIONS: Record<string, Operation> = {
  RegisterScalableTarget,
  DescribeScalableTargets,
  DeregisterScalableTarget,
  TagResource,
  UntagResource,
  ListTagsForResource,
};

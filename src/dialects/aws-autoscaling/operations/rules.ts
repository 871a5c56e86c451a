/**
 * Scheduled actions, target-tracking policies and scaling activities of a target:
 * PutScheduledAction, DescribeScheduledActions, DeleteScheduledAction, PutScalingPolicy,
 * DescribeScalingPolicies, DeleteScalingPolicy, DescribeScalingActivities.
 */
import type { FunctionKey } from '../../../core/model.js';
import { alarmNames } from '../../../core/scaling/range-driver.js';
import type {
  BoundsActionRecord,
  ScalableTargetRecord,
  TrackingPolicyRecord,
} from '../../../core/scaling/scalable-target.js';
import { noPolicy, noScheduledAction, noTargetRegistered, validation } from '../errors.js';
import type { Json } from '../input.js';
import {
  LAMBDA_DIMENSION,
  alarmArn,
  policyArn,
  resourceIdOf,
  scheduledActionArn,
  type Scope,
} from '../resource.js';
import { AWS_SCHEDULE_KIND, ScheduleError, isTimeZone, scheduleOf } from '../schedule.js';
import { listingOf, mapped, page, resourceOf, seconds, type Operation } from './common.js';

/** AWS's range for LambdaProvisionedConcurrencyUtilization's TargetValue [DESIGN: wording]. */
const TARGET_MIN = 0.1;
const TARGET_MAX = 0.9;
const METRIC_TYPES = [
  'DynamoDBReadCapacityUtilization',
  'DynamoDBWriteCapacityUtilization',
  'ALBRequestCountPerTarget',
  'RDSReaderAverageCPUUtilization',
  'RDSReaderAverageDatabaseConnections',
  'EC2SpotFleetRequestAverageCPUUtilization',
  'EC2SpotFleetRequestAverageNetworkIn',
  'EC2SpotFleetRequestAverageNetworkOut',
  'SageMakerVariantInvocationsPerInstance',
  'ECSServiceAverageCPUUtilization',
  'ECSServiceAverageMemoryUtilization',
  'AppStreamAverageCapacityUtilization',
  'ComprehendInferenceUtilization',
  'LambdaProvisionedConcurrencyUtilization',
  'CassandraReadCapacityUtilization',
  'CassandraWriteCapacityUtilization',
  'KafkaBrokerStorageUtilization',
  'ElastiCacheEngineCPUUtilization',
  'ElastiCacheDatabaseMemoryUsagePercentage',
  'ElastiCachePrimaryEngineCPUUtilization',
  'ElastiCacheReplicaEngineCPUUtilization',
  'ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage',
  'NeptuneReaderAverageCPUUtilization',
  'SageMakerVariantProvisionedConcurrencyUtilization',
  'ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage',
  'SageMakerInferenceComponentInvocationsPerCopy',
  'WorkSpacesAverageUserSessionsCapacityUtilization',
  'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution',
  'SageMakerVariantConcurrentRequestsPerModelHighResolution',
] as const;
const POLICY_TYPES = ['StepScaling', 'TargetTrackingScaling', 'PredictiveScaling'] as const;
const NAME_RULE = /^(?![ ])(?!.*[ ]$)(?!.*[\u0000-\u001f\u007f-\u009f:/|]).+$/s;

function renderAction(s: Scope, key: FunctionKey, qualifier: string, a: BoundsActionRecord): Json {
  const resourceId = resourceIdOf(key, qualifier);
  return {
    ScheduledActionName: a.name,
    ScheduledActionARN: scheduledActionArn(s, a.id, resourceId, a.name),
    ServiceNamespace: 'lambda',
    Schedule: a.schedule.expression,
    Timezone: a.schedule.timeZone,
    ResourceId: resourceId,
    ScalableDimension: LAMBDA_DIMENSION,
    ...(a.startMs === undefined ? {} : { StartTime: seconds(a.startMs) }),
    ...(a.endMs === undefined ? {} : { EndTime: seconds(a.endMs) }),
    ScalableTargetAction: {
      ...(a.min === undefined ? {} : { MinCapacity: a.min }),
      ...(a.max === undefined ? {} : { MaxCapacity: a.max }),
    },
    CreationTime: seconds(a.createdMs),
  };
}

function renderPolicy(s: Scope, key: FunctionKey, t: ScalableTargetRecord, p: TrackingPolicyRecord): Json {
  const resourceId = resourceIdOf(key, t.qualifier);
  const alarms = alarmNames(resourceId, p.id);
  return {
    PolicyARN: policyArn(s, p.id, resourceId, p.name),
    PolicyName: p.name,
    ServiceNamespace: 'lambda',
    ResourceId: resourceId,
    ScalableDimension: LAMBDA_DIMENSION,
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: p.targetValue,
      PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' },
      ScaleOutCooldown: p.scaleOutCooldownSec,
      ScaleInCooldown: p.scaleInCooldownSec,
      DisableScaleIn: p.disableScaleIn,
    },
    Alarms: [
      { AlarmName: alarms.high, AlarmARN: alarmArn(s, alarms.high) },
      { AlarmName: alarms.low, AlarmARN: alarmArn(s, alarms.low) },
    ],
    CreationTime: seconds(p.createdMs),
  };
}

const PutScheduledAction: Operation = async (ctx, input) => {
  const name = input.string('ScheduledActionName', { required: true, min: 1, max: 256 });
  const schedule = input.string('Schedule', { min: 1, max: 1600 });
  const zone = input.string('Timezone', { min: 1, max: 1600 });
  const startMs = input.timestampMs('StartTime');
  const endMs = input.timestampMs('EndTime');
  const action = input.struct('ScalableTargetAction');
  const min = action?.integer('MinCapacity', { min: 0 });
  const max = action?.integer('MaxCapacity', { min: 0 });
  const r = resourceOf(ctx, input);
  if (name !== undefined && !NAME_RULE.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'scheduledActionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!((^[ ]+.*)|(.*([\\u0000-\\u001f]|[\\u007f-\\u009f]|[:/|])+.*)|(.*[ ]+$))).+`,
    );
  }
  const target = await ctx.targets.get(r.key, r.qualifier);
  if (target === undefined) {
    throw noTargetRegistered(r);
  }
  // An update keeps what it does not name (AWS: "the corresponding value remains unchanged").
  const old = target.scheduledActions.find((a) => a.name === name);
  const expression = schedule ?? old?.schedule.expression;
  const timeZone = zone ?? old?.schedule.timeZone ?? 'UTC';
  const start = startMs ?? old?.startMs;
  const end = endMs ?? old?.endMs;
  const newMin = action === undefined ? old?.min : min;
  const newMax = action === undefined ? old?.max : max;
  if (expression === undefined) {
    throw validation('Schedule is required when creating a scheduled action [hearth]');
  }
  if (!isTimeZone(timeZone)) {
    throw validation(`Invalid Timezone: ${timeZone}`);
  }
  try {
    scheduleOf(expression, timeZone, 0);
  } catch (e) {
    throw validation(`Invalid schedule expression: ${e instanceof ScheduleError ? e.message : String(e)}`);
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw validation('The end time must be after the start time');
  }
  if (newMin === undefined && newMax === undefined) {
    throw validation('ScalableTargetAction must specify MinCapacity, MaxCapacity or both');
  }
  if (newMin !== undefined && newMax !== undefined && newMin > newMax) {
    throw validation('Minimum capacity cannot be greater than maximum capacity');
  }
  await mapped(r, () =>
    ctx.targets.putScheduledAction(r.key, r.qualifier, {
      name: name ?? '',
      schedule: {
        kind: AWS_SCHEDULE_KIND,
        expression,
        timeZone,
        ...(start === undefined ? {} : { anchorMs: start }),
      },
      ...(start === undefined ? {} : { startMs: start }),
      ...(end === undefined ? {} : { endMs: end }),
      ...(newMin === undefined ? {} : { min: newMin }),
      ...(newMax === undefined ? {} : { max: newMax }),
    }),
  );
  return {};
};

const DescribeScheduledActions: Operation = async (ctx, input) => {
  const { matches } = listingOf(input);
  const names = input.strings('ScheduledActionNames', { max: 50 });
  const resourceId = input.string('ResourceId', { min: 1, max: 1600 });
  input.check();
  const out: Json[] = [];
  for (const { key, target } of matches ? await ctx.targets.list(ctx.scope) : []) {
    if (resourceId !== undefined && resourceIdOf(key, target.qualifier) !== resourceId) {
      continue;
    }
    for (const a of target.scheduledActions) {
      if (names === undefined || names.includes(a.name)) {
        out.push(renderAction(ctx.scope, key, target.qualifier, a));
      }
    }
  }
  const p = page(input, out, 50);
  return { ScheduledActions: p.items, ...(p.next === undefined ? {} : { NextToken: p.next }) };
};

const DeleteScheduledAction: Operation = async (ctx, input) => {
  const name = input.string('ScheduledActionName', { required: true, min: 1, max: 1600 }) ?? '';
  const r = resourceOf(ctx, input);
  if ((await ctx.targets.get(r.key, r.qualifier)) === undefined) {
    throw noScheduledAction(r, name);
  }
  await mapped(r, () => ctx.targets.deleteScheduledAction(r.key, r.qualifier, name));
  return {};
};

const PutScalingPolicy: Operation = async (ctx, input) => {
  const name = input.string('PolicyName', { required: true, min: 1, max: 256 }) ?? '';
  const type = input.enumeration('PolicyType', POLICY_TYPES) ?? 'StepScaling';
  const config = input.struct('TargetTrackingScalingPolicyConfiguration');
  const targetValue = config?.double('TargetValue', true);
  const predefined = config?.struct('PredefinedMetricSpecification');
  const metric = predefined?.enumeration('PredefinedMetricType', METRIC_TYPES, true);
  const scaleOut = config?.integer('ScaleOutCooldown', { min: 0, max: 31_536_000 });
  const scaleIn = config?.integer('ScaleInCooldown', { min: 0, max: 31_536_000 });
  const disableScaleIn = config?.boolean('DisableScaleIn');
  const r = resourceOf(ctx, input);
  if (type !== 'TargetTrackingScaling') {
    // Lambda provisioned concurrency scales by target tracking and schedules only (AWS docs).
    throw validation(`Unsupported policy type ${type} for service namespace lambda`);
  }
  if (config === undefined) {
    throw validation(
      'TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy',
    );
  }
  if (config.has('CustomizedMetricSpecification')) {
    throw validation('hearth supports only the predefined metric LambdaProvisionedConcurrencyUtilization');
  }
  if (predefined === undefined) {
    throw validation(
      'Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified',
    );
  }
  if (metric !== 'LambdaProvisionedConcurrencyUtilization') {
    throw validation(`Unsupported metric type ${metric ?? ''} for service namespace lambda`);
  }
  if (targetValue === undefined || targetValue < TARGET_MIN || targetValue > TARGET_MAX) {
    throw validation(
      `The target value for LambdaProvisionedConcurrencyUtilization must be between ${TARGET_MIN} and ${TARGET_MAX}`,
    );
  }
  const t = await mapped(r, () =>
    ctx.targets.putPolicy(r.key, r.qualifier, {
      name,
      targetValue,
      scaleOutCooldownSec: scaleOut ?? 0,
      scaleInCooldownSec: scaleIn ?? 0,
      disableScaleIn: disableScaleIn ?? false,
    }),
  );
  const p = t.policies.find((x) => x.name === name);
  const rendered = p === undefined ? {} : renderPolicy(ctx.scope, r.key, t, p);
  return { PolicyARN: rendered.PolicyARN, Alarms: rendered.Alarms };
};

const DescribeScalingPolicies: Operation = async (ctx, input) => {
  const { matches } = listingOf(input);
  const names = input.strings('PolicyNames', { max: 50 });
  const resourceId = input.string('ResourceId', { min: 1, max: 1600 });
  input.check();
  const out: Json[] = [];
  for (const { key, target } of matches ? await ctx.targets.list(ctx.scope) : []) {
    if (resourceId !== undefined && resourceIdOf(key, target.qualifier) !== resourceId) {
      continue;
    }
    for (const p of target.policies) {
      if (names === undefined || names.includes(p.name)) {
        out.push(renderPolicy(ctx.scope, key, target, p));
      }
    }
  }
  const p = page(input, out, 10);
  return { ScalingPolicies: p.items, ...(p.next === undefined ? {} : { NextToken: p.next }) };
};

const DeleteScalingPolicy: Operation = async (ctx, input) => {
  const name = input.string('PolicyName', { required: true, min: 1, max: 1600 }) ?? '';
  const r = resourceOf(ctx, input);
  if ((await ctx.targets.get(r.key, r.qualifier)) === undefined) {
    throw noPolicy(r, name);
  }
  await mapped(r, () => ctx.targets.deletePolicy(r.key, r.qualifier, name));
  return {};
};

const DescribeScalingActivities: Operation = async (ctx, input) => {
  const { matches } = listingOf(input);
  const resourceId = input.string('ResourceId', { min: 1, max: 1600 });
  input.boolean('IncludeNotScaledActivities');
  input.check();
  const all = matches ? await ctx.targets.activities(ctx.scope) : [];
  const wanted = all.filter(
    (e) => resourceId === undefined || resourceIdOf(e.key, e.activity.qualifier) === resourceId,
  );
  const p = page(input, wanted, 50);
  return {
    ScalingActivities: p.items.map(({ key, activity: a }) => ({
      ActivityId: a.id,
      ServiceNamespace: 'lambda',
      ResourceId: resourceIdOf(key, a.qualifier),
      ScalableDimension: LAMBDA_DIMENSION,
      Description: a.description,
      Cause: a.cause,
      StartTime: seconds(a.startMs),
      ...(a.endMs === undefined ? {} : { EndTime: seconds(a.endMs) }),
      StatusCode: a.status,
      ...(a.statusMessage === undefined ? {} : { StatusMessage: a.statusMessage }),
    })),
    ...(p.next === undefined ? {} : { NextToken: p.next }),
  };
};

export const RULE_OPERATIONS: Record<string, Operation> = {
  PutScheduledAction,
  DescribeScheduledActions,
  DeleteScheduledAction,
  PutScalingPolicy,
  DescribeScalingPolicies,
  DeleteScalingPolicy,
  DescribeScalingActivities,
};

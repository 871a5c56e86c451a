/**
 * What the requests name: the service namespace and scalable dimension (only Lambda's
 * provisioned concurrency is scaled here), `ResourceId` `function:<name>:<qualifier>`, and
 * the ARNs AWS gives targets, scheduled actions, policies and their alarms.
 */
import type { FunctionKey } from '../../core/model.js';
import { unsupported, validation } from './errors.js';

/** The model's enums (botocore application-autoscaling 2016-02-06). */
export const SERVICE_NAMESPACES = [
  'ecs',
  'elasticmapreduce',
  'ec2',
  'appstream',
  'dynamodb',
  'rds',
  'sagemaker',
  'custom-resource',
  'comprehend',
  'lambda',
  'cassandra',
  'kafka',
  'elasticache',
  'neptune',
  'workspaces',
] as const;
export const SCALABLE_DIMENSIONS = [
  'ecs:service:DesiredCount',
  'ec2:spot-fleet-request:TargetCapacity',
  'elasticmapreduce:instancegroup:InstanceCount',
  'appstream:fleet:DesiredCapacity',
  'dynamodb:table:ReadCapacityUnits',
  'dynamodb:table:WriteCapacityUnits',
  'dynamodb:index:ReadCapacityUnits',
  'dynamodb:index:WriteCapacityUnits',
  'rds:cluster:ReadReplicaCount',
  'sagemaker:variant:DesiredInstanceCount',
  'custom-resource:ResourceType:Property',
  'comprehend:document-classifier-endpoint:DesiredInferenceUnits',
  'comprehend:entity-recognizer-endpoint:DesiredInferenceUnits',
  'lambda:function:ProvisionedConcurrency',
  'cassandra:table:ReadCapacityUnits',
  'cassandra:table:WriteCapacityUnits',
  'kafka:broker-storage:VolumeSize',
  'elasticache:cache-cluster:Nodes',
  'elasticache:replication-group:NodeGroups',
  'elasticache:replication-group:Replicas',
  'neptune:cluster:ReadReplicaCount',
  'sagemaker:variant:DesiredProvisionedConcurrency',
  'sagemaker:inference-component:DesiredCopyCount',
  'workspaces:workspacespool:DesiredUserSessions',
] as const;

export const LAMBDA_DIMENSION = 'lambda:function:ProvisionedConcurrency';

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

/** A parsed `function:<name>:<qualifier>`. */
export interface ResourceRef {
  readonly resourceId: string;
  readonly key: FunctionKey;
  readonly qualifier: string;
}

const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const QUALIFIER = /^(\$LATEST|[0-9]+|[a-zA-Z0-9-_]{1,128})$/;

/**
 * Namespace and dimension must be Lambda's (any other valid pair is a service hearth does
 * not scale, worded as AWS words an unsupported combination); the ResourceId must be
 * `function:<name>:<alias or version>`.
 */
export function lambdaResource(
  scope: Scope,
  namespace: string | undefined,
  dimension: string | undefined,
  resourceId: string,
): ResourceRef {
  if (namespace !== 'lambda' || (dimension !== undefined && dimension !== LAMBDA_DIMENSION)) {
    throw unsupported();
  }
  const m = /^function:([^:]+):([^:]+)$/.exec(resourceId);
  if (m === null || !FUNCTION_NAME.test(m[1] ?? '') || !QUALIFIER.test(m[2] ?? '')) {
    throw unsupported();
  }
  return {
    resourceId,
    key: { accountId: scope.accountId, region: scope.region, namespace: 'default', name: m[1] ?? '' },
    qualifier: m[2] ?? '',
  };
}

/** `ServiceNamespace` must be `lambda` for listings too (any other has nothing here). */
export function checkNamespace(namespace: string | undefined, dimension: string | undefined): boolean {
  if (namespace !== 'lambda') {
    return false;
  }
  if (dimension !== undefined && dimension !== LAMBDA_DIMENSION) {
    return false;
  }
  return true;
}

export const resourceIdOf = (key: FunctionKey, qualifier: string) => `function:${key.name}:${qualifier}`;

export const targetArn = (s: Scope, id: string) =>
  `arn:aws:application-autoscaling:${s.region}:${s.accountId}:scalable-target/${id}`;

export const scheduledActionArn = (s: Scope, id: string, resourceId: string, name: string) =>
  `arn:aws:autoscaling:${s.region}:${s.accountId}:scheduledAction:${id}:resource/lambda/${resourceId}:scheduledActionName/${name}`;

export const policyArn = (s: Scope, id: string, resourceId: string, name: string) =>
  `arn:aws:autoscaling:${s.region}:${s.accountId}:scalingPolicy:${id}:resource/lambda/${resourceId}:policyName/${name}`;

export const alarmArn = (s: Scope, name: string) =>
  `arn:aws:cloudwatch:${s.region}:${s.accountId}:alarm:${name}`;

/** `arn:aws:application-autoscaling:<region>:<account>:scalable-target/<id>` → id, or a ValidationException. */
export function targetIdOfArn(s: Scope, arn: string): string | undefined {
  const m = /^arn:[^:]+:application-autoscaling:([^:]+):([0-9]+):scalable-target\/([a-zA-Z0-9-]+)$/.exec(arn);
  if (m === null) {
    throw validation(
      `1 validation error detected: Value '${arn}' at 'resourceARN' failed to satisfy constraint: Member must satisfy regular expression pattern: ^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\\/[a-zA-Z0-9-]+$`,
    );
  }
  return m[1] === s.region && m[2] === s.accountId ? m[3] : undefined;
}

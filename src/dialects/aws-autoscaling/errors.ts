/**
 * Application Auto Scaling errors on the wire (JSON 1.1): HTTP 400,
 * `{"__type": "<Shape>", "Message": "..."}` (the model's member is `Message`) and the
 * `x-amzn-RequestId` header. Messages are AWS's where recorded (README "Errors").
 */
import type { SigV4FailureType } from '../../auth/sigv4-errors.js';
import type { WireResponse } from '../http.js';
import type { ResourceRef } from './resource.js';

export const CONTENT_TYPE = 'application/x-amz-json-1.1';

export type ErrorType =
  | 'ValidationException'
  | 'ObjectNotFoundException'
  | 'ConcurrentUpdateException'
  | 'InternalServiceException'
  | 'LimitExceededException'
  | 'InvalidNextTokenException'
  | 'FailedResourceAccessException'
  | 'ResourceNotFoundException'
  | 'TooManyTagsException'
  | 'SerializationException'
  | 'UnknownOperationException'
  // Authentication (src/auth/README.md "Errors"), status 400.
  | SigV4FailureType;

export class AutoScalingError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string | undefined,
    readonly status = 400,
  ) {
    super(message ?? '');
    this.name = 'AutoScalingError';
  }
}

export const validation = (message: string) => new AutoScalingError('ValidationException', message);

/** The body is not JSON, or a member has the wrong JSON type (coral's deserializer). */
export const serialization = () => new AutoScalingError('SerializationException', undefined);

const where = (r: ResourceRef) =>
  `service namespace: lambda, resource ID: ${r.resourceId}, scalable dimension: lambda:function:ProvisionedConcurrency`;

/** PutScalingPolicy/PutScheduledAction on an unregistered target (recorded, ansible#40237). */
export const noTargetRegistered = (r: ResourceRef) =>
  new AutoScalingError('ObjectNotFoundException', `No scalable target registered for ${where(r)}`);

/** DeregisterScalableTarget of an unknown target [DESIGN: wording by analogy]. */
export const noTargetFound = (r: ResourceRef) =>
  new AutoScalingError('ObjectNotFoundException', `No scalable target found for ${where(r)}`);

export const noPolicy = (r: ResourceRef, name: string) =>
  new AutoScalingError(
    'ObjectNotFoundException',
    `No scaling policy found for ${where(r)}, policy name: ${name}`,
  );

export const noScheduledAction = (r: ResourceRef, name: string) =>
  new AutoScalingError(
    'ObjectNotFoundException',
    `No scheduled action found for ${where(r)}, scheduled action name: ${name}`,
  );

/** The namespace/dimension/ResourceId combination hearth (or AWS) does not scale (recorded, pulumi-aws#822). */
export const unsupported = () =>
  validation('Unsupported service namespace, resource type or scalable dimension');

export const invalidToken = () => new AutoScalingError('InvalidNextTokenException', 'Invalid NextToken');

export function renderError(e: AutoScalingError, requestId: string): WireResponse {
  const body: Record<string, string> = { __type: e.type };
  if (e.message !== '') {
    body.Message = e.message;
  }
  return {
    status: e.status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

/**
 * An error already in AWS's wire terms: what the dialect raises for failures that never
 * reach core (ValidationException, malformed requests, other accounts...). Core's
 * PlatformErrors are translated into the same shape by errors.ts.
 */

/** Everything needed to write one AWS error response (spec §1.4). */
export interface AwsErrorBody {
  readonly status: number;
  /** The error shape name: `x-amzn-ErrorType` header and `__type` in the body. */
  readonly type: string;
  /** Omitted from the body when undefined (AccessDeniedException has none, Appendix A). */
  readonly message?: string;
  /** The model member's casing: `message` or `Message` (spec §0 rule 1). */
  readonly messageKey: 'message' | 'Message';
  /** The `Type` member; absent for the few errors AWS sends without it (Appendix A). */
  readonly userType?: 'User' | 'Service';
  /** TooManyRequestsException's `Reason`. */
  readonly reason?: string;
  /** Sent as `Retry-After` (TooManyRequestsException). */
  readonly retryAfterSeconds?: number;
}

export class AwsWireError extends Error {
  constructor(readonly body: AwsErrorBody) {
    super(`${body.type}: ${body.message ?? ''}`);
    this.name = 'AwsWireError';
  }
}

/** InvalidParameterValueException (400, `message`); `typed: false` drops `Type` (Appendix A). */
export function invalidParameter(message: string, typed = true): AwsWireError {
  return new AwsWireError({
    status: 400,
    type: 'InvalidParameterValueException',
    message,
    messageKey: 'message',
    ...(typed ? { userType: 'User' as const } : {}),
  });
}

/** ResourceNotFoundException (404, `Message`). */
export function resourceNotFound(message: string): AwsWireError {
  return new AwsWireError({
    status: 404,
    type: 'ResourceNotFoundException',
    message,
    messageKey: 'Message',
    userType: 'User',
  });
}

/**
 * The body could not be read as the operation's JSON input (malformed JSON, a member of
 * the wrong type, bad base64). [DESIGN] AWS's exact answer for control-plane operations is
 * unrecorded; InvalidRequestContentException is the modelled Lambda error for it on Invoke.
 */
export function invalidRequestContent(detail: string): AwsWireError {
  return new AwsWireError({
    status: 400,
    type: 'InvalidRequestContentException',
    message: `Could not parse request body into json: ${detail}`,
    messageKey: 'message',
    userType: 'User',
  });
}

/**
 * 403 for an ARN of another account (spec §1.2): AWS names the caller, the IAM action and
 * the resource, and says no resource-based policy allows it (hearth has no cross-account
 * grants). The caller is the account's root principal: hearth keys have no IAM user.
 */
export function accessDenied(callerAccountId: string, action: string, resourceArn: string): AwsWireError {
  return new AwsWireError({
    status: 403,
    type: 'AccessDeniedException',
    message:
      `User: arn:aws:iam::${callerAccountId}:root is not authorized to perform: lambda:${action} ` +
      `on resource: ${resourceArn} because no resource-based policy allows the lambda:${action} action`,
    messageKey: 'Message',
  });
}

/** 403 AccessDeniedException without a message, as AWS answers a layer of another account (recorded). */
export function layerAccessDenied(): AwsWireError {
  return new AwsWireError({ status: 403, type: 'AccessDeniedException', messageKey: 'Message' });
}

/** 413 RequestEntityTooLargeException, body key `Message` only (spec §1.4). */
export function requestTooLarge(message: string): AwsWireError {
  return new AwsWireError({
    status: 413,
    type: 'RequestEntityTooLargeException',
    message,
    messageKey: 'Message',
  });
}

/**
 * An AWS Lambda operation (by AWS's model) that hearth does not implement: named, so that
 * a user knows what is missing rather than guessing at a routing problem. [DESIGN] AWS has
 * no such answer; the type stays the one clients already see for unknown requests.
 */
export function notImplemented(operation: string, method: string, path: string): AwsWireError {
  return new AwsWireError({
    status: 404,
    type: 'UnknownOperationException',
    message: `hearth does not implement the AWS Lambda operation ${operation} (${method} ${path}) yet`,
    messageKey: 'message',
    userType: 'User',
  });
}

/** No operation has this method and path. */
export function unknownOperation(method: string, path: string): AwsWireError {
  return new AwsWireError({
    status: 404,
    type: 'UnknownOperationException',
    message: `No operation matches ${method} ${path}`,
    messageKey: 'message',
    userType: 'User',
  });
}

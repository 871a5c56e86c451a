/**
 * CloudWatch Logs errors on the wire (JSON 1.1): HTTP 400 (500 for ServiceUnavailable),
 * `{"__type": "<Shape>", "message": "..."}` and the `x-amzn-RequestId` header. Messages are
 * AWS's where recorded (README "Sources").
 */
import type { WireResponse } from '../http.js';

export const CONTENT_TYPE = 'application/x-amz-json-1.1';

export class LogsError extends Error {
  constructor(
    readonly type: string,
    message: string | undefined,
    readonly status = 400,
  ) {
    super(message ?? '');
    this.name = 'LogsError';
  }
}

export const invalidParameter = (message: string) => new LogsError('InvalidParameterException', message);

export const groupNotFound = () =>
  new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');

export const streamNotFound = () =>
  new LogsError('ResourceNotFoundException', 'The specified log stream does not exist.');

export const invalidToken = () => invalidParameter('The specified nextToken is invalid.');

/** The body is not JSON, or a member has the wrong JSON type (coral's deserializer). */
export const serialization = () => new LogsError('SerializationException', undefined);

export function renderError(e: LogsError, requestId: string): WireResponse {
  const body: Record<string, string> = { __type: e.type };
  if (e.message !== '') {
    body.message = e.message;
  }
  return {
    status: e.status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

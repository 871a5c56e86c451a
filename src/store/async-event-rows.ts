/**
 * What the SQL async event stores share (sqlite/ and postgres/async-event-store.ts): one
 * row shape (the same columns in both schemas), its mapping to the port's records, and
 * how a driver's error becomes the port's.
 */
import { PlatformError, isPlatformError } from '../core/errors.js';
import type { FunctionKey } from '../core/model.js';
import type { AsyncEventRecord, AsyncEventStatus, AsyncEventSummary } from '../core/ports.js';

/**
 * A row of the async events table. Milliseconds are numbers in SQLite and strings in
 * PostgreSQL (`bigint`, which node-postgres gives as text): both go through Number().
 */
export interface AsyncEventRow {
  request_id: string;
  account_id: string;
  region: string;
  namespace: string;
  function: string;
  version: string;
  qualifier: string | null;
  invoked_arn: string;
  payload: Buffer;
  client_context: string | null;
  trace_id: string | null;
  enqueued_ms: number | string;
  attempts: number;
  throttles: number;
  not_before_ms: number | string;
  status: AsyncEventStatus;
  end_ms: number | string | null;
}

/** The key columns' values, in the order both stores' `KEY_WHERE` names them. */
export const keyParams = (k: FunctionKey): [string, string, string, string] => [
  k.accountId,
  k.region,
  k.namespace,
  k.name,
];

const keyOf = (r: AsyncEventRow): FunctionKey => ({
  accountId: r.account_id,
  region: r.region,
  namespace: r.namespace,
  name: r.function,
});

export function recordOf(r: AsyncEventRow): AsyncEventRecord {
  return {
    requestId: r.request_id,
    key: keyOf(r),
    version: r.version,
    ...(r.qualifier === null ? {} : { qualifier: r.qualifier }),
    invokedFunctionArn: r.invoked_arn,
    payload: r.payload,
    ...(r.client_context === null ? {} : { clientContext: r.client_context }),
    ...(r.trace_id === null ? {} : { traceId: r.trace_id }),
    enqueuedMs: Number(r.enqueued_ms),
    attempts: r.attempts,
    throttles: r.throttles,
    notBeforeMs: Number(r.not_before_ms),
  };
}

/** A summary needs only the columns a list selects (no payload). */
export function summaryOf(
  r: Pick<
    AsyncEventRow,
    | 'request_id'
    | 'account_id'
    | 'region'
    | 'namespace'
    | 'function'
    | 'version'
    | 'qualifier'
    | 'status'
    | 'enqueued_ms'
    | 'end_ms'
    | 'attempts'
  >,
): AsyncEventSummary {
  return {
    requestId: r.request_id,
    key: { accountId: r.account_id, region: r.region, namespace: r.namespace, name: r.function },
    version: r.version,
    ...(r.qualifier === null ? {} : { qualifier: r.qualifier }),
    status: r.status,
    enqueuedMs: Number(r.enqueued_ms),
    ...(r.end_ms === null ? {} : { endMs: Number(r.end_ms) }),
    attempts: r.attempts,
  };
}

/** A driver's error as the port's INTERNAL (a PlatformError passes as it is). */
export function wrapEventStoreError(e: unknown): Error {
  if (isPlatformError(e)) {
    return e;
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new PlatformError('INTERNAL', { reason: `event store: ${reason}` }, { cause: e });
}

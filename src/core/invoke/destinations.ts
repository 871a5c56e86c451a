/**
 * Destinations of asynchronous invocations: when an event settles, its config's OnSuccess
 * or OnFailure function is invoked asynchronously (through the same durable queue) with
 * an invocation record. The record is AWS's documented format (Lambda developer guide,
 * "Capturing records of Lambda asynchronous invocations"): the payload a destination
 * function receives is part of the function contract, whichever dialect configured it.
 *
 * A destination function deleted since the config was put: the record is dropped with a
 * log line, never retried. Without an OnFailure destination, a failed event goes to the
 * function's DeadLetterConfig when that names a function.
 */
import { isPlatformError } from '../errors.js';
import { LATEST, type FunctionKey } from '../model.js';
import type { AsyncEventRecord, Clock, InvocationOutcome } from '../ports.js';
import type { EventConfigService } from './event-config-service.js';
import type { Settlement } from './event-queue.js';
import type { InvokeService } from './invoke-service.js';

export interface DestinationDeps {
  readonly configs: EventConfigService;
  readonly invoke: () => InvokeService;
  readonly clock: Clock;
  readonly report: (what: string, error: unknown) => void;
}

/** JSON payloads stay JSON in the record; anything else is carried as a string. */
function asJson(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `arn:…:function:name[:qualifier]` → the unqualified ARN with the executed version. */
function executedArn(invokedArn: string, version: string): string {
  const parts = invokedArn.split(':');
  return `${parts.slice(0, 7).join(':')}:${version}`;
}

export function destinationRecord(
  ev: AsyncEventRecord,
  s: Exclude<Settlement, { kind: 'dropped' }>,
  attempts: number,
  nowMs: number,
): Buffer {
  const outcome: InvocationOutcome | undefined = s.outcome;
  const version = outcome?.executedVersion ?? ev.version;
  const record = {
    version: '1.0',
    timestamp: new Date(nowMs).toISOString(),
    requestContext: {
      requestId: ev.requestId,
      functionArn: executedArn(ev.invokedFunctionArn, version),
      condition: s.kind === 'success' ? 'Success' : s.condition,
      approximateInvokeCount: attempts,
    },
    requestPayload: asJson(ev.payload),
    // [DESIGN] an event that never ran (throttled until its age ran out) has no response.
    ...(outcome === undefined
      ? {}
      : {
          responseContext: {
            statusCode: 200,
            executedVersion: version,
            ...(outcome.kind === 'function-error' ? { functionError: 'Unhandled' } : {}),
          },
          responsePayload: asJson(outcome.payload),
        }),
  };
  return Buffer.from(JSON.stringify(record));
}

export function createDestinations(d: DestinationDeps) {
  /**
   * [DESIGN] A DeadLetterConfig naming a hearth function receives the event's own payload
   * (what an SQS or SNS dead-letter queue receives as its message body), asynchronously.
   */
  const deadLetter = async (ev: AsyncEventRecord, s: Settlement): Promise<void> => {
    const version = s.kind === 'dropped' ? ev.version : (s.outcome?.executedVersion ?? ev.version);
    const dest = await d.configs.deadLetterOf(ev.key, version);
    if (dest === undefined) {
      return;
    }
    try {
      await d.invoke().invoke({
        key: dest.key,
        ...(dest.qualifier === undefined ? {} : { qualifier: dest.qualifier }),
        payload: ev.payload,
        invocationType: 'Event',
        wantLog: false,
        invokedFunctionArn: dest.arn,
      });
    } catch (e) {
      d.report(`dead-letter function ${dest.arn} of ${ev.key.name}: event ${ev.requestId} dropped`, e);
    }
  };
  return async (ev: AsyncEventRecord, s: Settlement, attempts: number): Promise<void> => {
    if (s.kind === 'dropped') {
      d.report(`async event ${ev.requestId} for ${ev.key.name} dropped: ${s.reason}`, undefined);
      return;
    }
    const config = await d.configs.configOf(ev.key, ev.qualifier ?? LATEST);
    const dest = s.kind === 'success' ? config?.onSuccess : config?.onFailure;
    if (dest === undefined) {
      if (s.kind === 'failure') {
        await deadLetter(ev, s);
      }
      return;
    }
    const key: FunctionKey = dest.key;
    try {
      await d.invoke().invoke({
        key,
        ...(dest.qualifier === undefined ? {} : { qualifier: dest.qualifier }),
        payload: destinationRecord(ev, s, attempts, d.clock.now()),
        invocationType: 'Event',
        wantLog: false,
        invokedFunctionArn: dest.arn,
      });
    } catch (e) {
      const why = isPlatformError(e) && e.code === 'FUNCTION_NOT_FOUND' ? 'no longer exists' : 'refused it';
      d.report(`destination ${dest.arn} of ${ev.key.name} ${why}: record of ${ev.requestId} dropped`, e);
    }
  };
}

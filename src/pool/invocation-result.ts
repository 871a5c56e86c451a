/**
 * What an answered invocation becomes: its outcome for the caller, and the END and REPORT
 * lines that close its log (aws-lambda.md §5.7). Pure; environment.ts decides when each
 * is made (the answer at once, the lines one event-loop turn later).
 */
import type { InitializationType, InvocationOutcome } from '../core/ports.js';
import { endLine, reportLine, type ReportStatus } from './log-capture.js';
import type { ErrorDocument } from './outcomes.js';

/** How the runtime answered. */
export type Result =
  | { readonly kind: 'success'; readonly payload: Buffer; readonly contentType: string }
  | { readonly kind: 'error'; readonly doc: ErrorDocument; readonly status: ReportStatus };

/** The invocation's facts, fixed when it was answered. */
export interface Answered {
  readonly requestId: string;
  readonly executedVersion: string;
  readonly durationMs: number;
  readonly initializationType: InitializationType;
  /** Set for the invocation that waited for its environment's init. */
  readonly initDurationMs: number | undefined;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The caller's outcome, built in one shape with its optional fields set only when known:
 * spread from objects of several shapes, it cost V8 a megamorphic clone per invocation.
 */
export function outcomeOf(
  a: Answered,
  result: Result,
  maxMemoryUsedMb: number | undefined,
  log: string | undefined,
): InvocationOutcome {
  const outcome: Writable<InvocationOutcome> =
    result.kind === 'success'
      ? {
          kind: 'success',
          requestId: a.requestId,
          executedVersion: a.executedVersion,
          durationMs: a.durationMs,
          initializationType: a.initializationType,
          payload: result.payload,
          contentType: result.contentType,
        }
      : {
          kind: 'function-error',
          requestId: a.requestId,
          executedVersion: a.executedVersion,
          durationMs: a.durationMs,
          initializationType: a.initializationType,
          payload: result.doc.payload,
          errorType: result.doc.errorType,
        };
  if (a.initDurationMs !== undefined) {
    outcome.initDurationMs = a.initDurationMs;
  }
  if (log !== undefined) {
    outcome.log = log;
  }
  if (maxMemoryUsedMb !== undefined) {
    outcome.maxMemoryUsedMb = maxMemoryUsedMb;
  }
  return outcome;
}

/** The END and REPORT lines that close the invocation's log. */
export function closingLines(
  a: Answered,
  result: Result,
  memoryMb: number,
  maxMemoryUsedMb: number | undefined,
): string {
  return (
    endLine(a.requestId) +
    reportLine({
      requestId: a.requestId,
      durationMs: a.durationMs,
      memoryMb,
      maxMemoryUsedMb,
      initDurationMs: a.initDurationMs,
      ...(result.kind === 'error' ? { status: result.status } : {}),
    })
  );
}

/**
 * The outcome an invocation gets when the environment started for it failed init (§5.6):
 * the /init/error body verbatim, or the platform's Runtime.ExitError, Sandbox.Timedout or
 * Runtime.InvalidEntrypoint document (§5.7, outcomes.ts), with its log lines when asked.
 */
import { performance } from 'node:perf_hooks';
import type { InvocationOutcome } from '../../core/ports.js';
import type { Environment } from '../environment.js';
import { LogCapture, endLine, reportLine, startLine } from '../log-capture.js';
import {
  exitError,
  initTimeoutError,
  invalidEntrypointError,
  timeoutError,
  type ErrorDocument,
} from '../outcomes.js';
import type { InitPhase } from '../init-limits.js';
import type { InitFailure, Waiter } from '../types.js';

function initFailureDocument(f: InitFailure, requestId: string, phase: InitPhase): ErrorDocument {
  switch (f.kind) {
    case 'init-error':
      // §5.7: the body posted to /init/error, verbatim.
      return { errorType: f.errorType, payload: f.body };
    case 'exit':
      return exitError(requestId, f.code, f.signal);
    case 'timeout':
      // A retry inside the invoke ran under the function's timeout: AWS's Sandbox.Timedout
      // "Task timed out after <Timeout> seconds" (§3.8). A function's own InitTimeout (SCF)
      // has no retry, and says so [DESIGN].
      return phase === 'invoke' ? timeoutError(requestId, f.afterMs) : initTimeoutError(requestId, f.afterMs);
    case 'entrypoint':
      return invalidEntrypointError(requestId, f.detail);
    case 'killed':
      return exitError(requestId, null, 'SIGKILL');
  }
}

/**
 * `retry`: the init was a retry inside the invocation (init-limits.ts); its log follows the
 * START line, after the log of the first init that timed out.
 */
export function initFailureOutcome(
  w: Waiter,
  env: Environment,
  f: InitFailure,
  initLog: string,
  retry?: { readonly phase: InitPhase; readonly firstInitLog: string },
): InvocationOutcome {
  const id = w.req.requestId;
  const doc = initFailureDocument(f, id, retry?.phase ?? 'init');
  const durationMs = performance.now() - w.since;
  let log: string | undefined;
  if (w.req.wantLog) {
    const capture = new LogCapture();
    if (retry?.phase === 'invoke') {
      capture.append(retry.firstInitLog);
      capture.append(startLine(id, env.spec.version));
      capture.append(initLog);
    } else {
      capture.append(initLog);
      capture.append(startLine(id, env.spec.version));
    }
    capture.append(endLine(id));
    capture.append(
      reportLine({
        requestId: id,
        durationMs,
        memoryMb: env.spec.memoryMb,
        maxMemoryUsedMb: undefined,
        initDurationMs: undefined,
        status: f.kind === 'timeout' ? { kind: 'timeout' } : { kind: 'error', errorType: doc.errorType },
      }),
    );
    log = capture.text();
  }
  return {
    kind: 'function-error',
    requestId: id,
    executedVersion: env.spec.version,
    durationMs,
    initializationType: 'on-demand',
    payload: doc.payload,
    errorType: doc.errorType,
    ...(log === undefined ? {} : { log }),
  };
}

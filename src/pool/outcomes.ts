/**
 * The error documents the platform itself writes when a function fails without saying so
 * (aws-lambda.md §5.7), exactly as AWS words them.
 */

/** Go's `ProcessState.String()` wording for a signal, which the RIE/AWS message uses (§5.7). */
const SIGNAL_WORDS: Readonly<Partial<Record<NodeJS.Signals, string>>> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
};

export interface ErrorDocument {
  readonly errorType: string;
  readonly payload: Buffer;
}

function doc(errorType: string, errorMessage: string): ErrorDocument {
  return { errorType, payload: Buffer.from(JSON.stringify({ errorType, errorMessage })) };
}

/** `Runtime exited with error: exit status 127` / `signal: killed` / `without providing a reason`. */
export function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) {
    return `Runtime exited with error: signal: ${SIGNAL_WORDS[signal] ?? signal}`;
  }
  if (code !== null && code !== 0) {
    return `Runtime exited with error: exit status ${code}`;
  }
  return 'Runtime exited without providing a reason';
}

/** §5.7: the process ended while (or before) serving `requestId`. */
export function exitError(
  requestId: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): ErrorDocument {
  return doc('Runtime.ExitError', `RequestId: ${requestId} Error: ${exitReason(code, signal)}`);
}

/** §5.7 (current AWS): seconds always formatted with two decimals. */
export function timeoutError(requestId: string, timeoutMs: number): ErrorDocument {
  return doc(
    'Sandbox.Timedout',
    `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  );
}

/**
 * An init that outlived the function's own init limit (SCF's InitTimeout), which has no
 * retry inside the invoke [DESIGN: AWS's Sandbox.Timedout type, the init named].
 */
export function initTimeoutError(requestId: string, limitMs: number): ErrorDocument {
  return doc(
    'Sandbox.Timedout',
    `RequestId: ${requestId} Error: Init timed out after ${(limitMs / 1000).toFixed(2)} seconds`,
  );
}

/** §5.7: a response over 6291556 bytes. */
export function responseTooLargeError(): ErrorDocument {
  return {
    errorType: 'Function.ResponseSizeTooLarge',
    payload: Buffer.from(
      '{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}',
    ),
  };
}

/** The bootstrap could not be executed (missing, not executable, unknown runtime). */
export function invalidEntrypointError(requestId: string, detail: string): ErrorDocument {
  return doc('Runtime.InvalidEntrypoint', `RequestId: ${requestId} Error: ${detail}`);
}

/**
 * errorType of a runtime's own error body: its header or field (already extracted by the
 * channel), else the body's `errorType`, else `Runtime.Unknown` (the RIE's fallback, §5.3).
 */
export function errorTypeOf(given: string, body: Buffer): string {
  if (given !== '') {
    return given;
  }
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'errorType' in parsed &&
      typeof parsed.errorType === 'string'
    ) {
      return parsed.errorType;
    }
  } catch {
    // not JSON
  }
  return 'Runtime.Unknown';
}

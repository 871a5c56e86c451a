import { describe, expect, it } from 'vitest';
import { errorTypeOf, exitError, exitReason, responseTooLargeError, timeoutError } from './outcomes.js';

describe('exit reasons (aws-lambda.md §5.7)', () => {
  it.each([
    [127, null, 'Runtime exited with error: exit status 127'],
    [1, null, 'Runtime exited with error: exit status 1'],
    [0, null, 'Runtime exited without providing a reason'],
    [null, null, 'Runtime exited without providing a reason'],
    [null, 'SIGKILL', 'Runtime exited with error: signal: killed'],
    [null, 'SIGSEGV', 'Runtime exited with error: signal: segmentation fault'],
    [null, 'SIGABRT', 'Runtime exited with error: signal: aborted'],
    [null, 'SIGTERM', 'Runtime exited with error: signal: terminated'],
  ] as const)('code %s signal %s', (code, signal, want) => {
    expect(exitReason(code, signal)).toBe(want);
  });

  it('wraps the reason with the request id', () => {
    const d = exitError('req-1', 127, null);
    expect(d.errorType).toBe('Runtime.ExitError');
    expect(JSON.parse(d.payload.toString())).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: req-1 Error: Runtime exited with error: exit status 127',
    });
  });
});

describe('timeout document', () => {
  it('formats the seconds with two decimals', () => {
    expect(JSON.parse(timeoutError('abc', 1000).payload.toString())).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: abc Error: Task timed out after 1.00 seconds',
    });
    expect(JSON.parse(timeoutError('abc', 2500).payload.toString()).errorMessage).toBe(
      'RequestId: abc Error: Task timed out after 2.50 seconds',
    );
  });
});

describe('response too large', () => {
  it('is the recorded AWS document', () => {
    expect(responseTooLargeError().payload.toString()).toBe(
      '{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}',
    );
  });
});

describe('errorTypeOf', () => {
  it.each([
    ['Runtime.HandlerNotFound', '{}', 'Runtime.HandlerNotFound'],
    ['', '{"errorType":"TypeError","errorMessage":"x"}', 'TypeError'],
    ['', 'not json', 'Runtime.Unknown'],
    ['', '{"errorMessage":"no type"}', 'Runtime.Unknown'],
  ])('header %j body %j', (given, body, want) => {
    expect(errorTypeOf(given, Buffer.from(body))).toBe(want);
  });
});

import { describe, expect, it } from 'vitest';
import { closingLines, outcomeOf, type Answered } from './invocation-result.js';

const answered: Answered = {
  requestId: 'r1',
  executedVersion: '3',
  durationMs: 1.234,
  initializationType: 'on-demand',
  initDurationMs: undefined,
};

describe('invocation result', () => {
  it('sets the optional fields only when known', () => {
    const ok = outcomeOf(
      answered,
      { kind: 'success', payload: Buffer.from('1'), contentType: 'a/b' },
      undefined,
      undefined,
    );
    expect(ok).toEqual({
      kind: 'success',
      requestId: 'r1',
      executedVersion: '3',
      durationMs: 1.234,
      initializationType: 'on-demand',
      payload: Buffer.from('1'),
      contentType: 'a/b',
    });
    expect(Object.keys(ok)).not.toContain('log');
    const failed = outcomeOf(
      { ...answered, initDurationMs: 20 },
      {
        kind: 'error',
        doc: { errorType: 'Runtime.ExitError', payload: Buffer.from('{}') },
        status: { kind: 'error', errorType: 'Runtime.ExitError' },
      },
      41,
      'the log',
    );
    expect(failed).toMatchObject({
      kind: 'function-error',
      errorType: 'Runtime.ExitError',
      initDurationMs: 20,
      maxMemoryUsedMb: 41,
      log: 'the log',
    });
  });

  it('closes a log with END and a REPORT that carries the status of an error', () => {
    expect(
      closingLines(answered, { kind: 'success', payload: Buffer.alloc(0), contentType: '' }, 128, 40),
    ).toBe(
      'END RequestId: r1\nREPORT RequestId: r1\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n',
    );
    expect(
      closingLines(
        answered,
        { kind: 'error', doc: { errorType: 'X', payload: Buffer.alloc(0) }, status: { kind: 'timeout' } },
        128,
        undefined,
      ),
    ).toMatch(/Max Memory Used: 0 MB\tStatus: timeout\n$/);
  });
});

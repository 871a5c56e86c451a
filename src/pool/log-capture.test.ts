import { describe, expect, it } from 'vitest';
import {
  LogCapture,
  endLine,
  initReportLine,
  initStartLine,
  reportLine,
  startLine,
  timeoutLine,
} from './log-capture.js';

describe('LogCapture', () => {
  it('keeps everything under the limit', () => {
    const c = new LogCapture(100);
    c.append('a\n');
    c.append(Buffer.from('b\n'));
    expect(c.text()).toBe('a\nb\n');
  });

  it('keeps only the last bytes of a flood', () => {
    const c = new LogCapture(10);
    for (let i = 0; i < 1000; i++) {
      c.append(`line ${i}\n`);
    }
    expect(c.text()).toBe(' 998\nline 999\n'.slice(-10));
  });
});

describe('platform log lines (aws-lambda.md §5.7)', () => {
  it('START / END', () => {
    expect(startLine('id', '$LATEST')).toBe('START RequestId: id Version: $LATEST\n');
    expect(endLine('id')).toBe('END RequestId: id\n');
  });

  it('REPORT with init duration', () => {
    expect(
      reportLine({
        requestId: 'id',
        durationMs: 12.345,
        memoryMb: 128,
        maxMemoryUsedMb: 40,
        initDurationMs: 123.456,
      }),
    ).toBe(
      'REPORT RequestId: id\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 123.46 ms\t\n',
    );
  });

  it('REPORT with a status', () => {
    expect(
      reportLine({
        requestId: 'id',
        durationMs: 1000,
        memoryMb: 256,
        maxMemoryUsedMb: 50,
        initDurationMs: undefined,
        status: { kind: 'timeout' },
      }),
    ).toBe(
      'REPORT RequestId: id\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\tMemory Size: 256 MB\tMax Memory Used: 50 MB\tStatus: timeout\n',
    );
    expect(
      reportLine({
        requestId: 'id',
        durationMs: 0.2,
        memoryMb: 128,
        maxMemoryUsedMb: undefined,
        initDurationMs: undefined,
        status: { kind: 'error', errorType: 'Runtime.ExitError' },
      }),
    ).toBe(
      'REPORT RequestId: id\tDuration: 0.20 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.ExitError\n',
    );
  });

  it('old-style timeout line', () => {
    expect(timeoutLine('id', 3000, new Date('2026-01-02T03:04:05.678Z'))).toBe(
      '2026-01-02T03:04:05.678Z id Task timed out after 3.00 seconds\n',
    );
  });

  it('INIT_START names the interpreter, or the runtime id for a command hearth did not choose', () => {
    expect(
      initStartLine('nodejs20.x', 'eu-west-1', { versionName: 'nodejs:20.v2', versionDigest: 'abc' }),
    ).toBe(
      'INIT_START Runtime Version: nodejs:20.v2\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc\n',
    );
    expect(initStartLine('provided.al2023', 'eu-west-1', undefined)).toBe(
      'INIT_START Runtime Version: hearth:provided.al2023\tRuntime Version ARN: hearth:provided.al2023\n',
    );
  });

  it('INIT_REPORT', () => {
    expect(initReportLine(21.604, 'timeout')).toBe(
      'INIT_REPORT Init Duration: 21.60 ms\tPhase: init\tStatus: timeout\n',
    );
  });
});

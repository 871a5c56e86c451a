import { describe, expect, it } from 'vitest';
import { reportLine } from '../../pool/log-capture.js';
import { parseReport, parseStart } from './platform-lines.js';

describe('platform lines', () => {
  it('reads a REPORT line as the pool writes it, with and without its optional fields', () => {
    const fields = { requestId: 'r-1', durationMs: 12.345, memoryMb: 128 } as const;
    expect(
      parseReport(reportLine({ ...fields, maxMemoryUsedMb: 40, initDurationMs: undefined }).trimEnd()),
    ).toEqual({
      requestId: 'r-1',
      durationMs: 12.35,
      billedMs: 13,
      memoryMb: 128,
      maxMemoryUsedMb: 40,
      initDurationMs: undefined,
      status: 'success',
      errorType: undefined,
    });
    expect(
      parseReport(
        reportLine({
          ...fields,
          maxMemoryUsedMb: undefined,
          initDurationMs: 150.5,
          status: { kind: 'error', errorType: 'Runtime.ExitError' },
        }).trimEnd(),
      ),
    ).toMatchObject({
      maxMemoryUsedMb: 0,
      initDurationMs: 150.5,
      status: 'error',
      errorType: 'Runtime.ExitError',
    });
    expect(
      parseReport(
        reportLine({
          ...fields,
          maxMemoryUsedMb: 41,
          initDurationMs: undefined,
          status: { kind: 'timeout' },
        }).trimEnd(),
      ),
    ).toMatchObject({ status: 'timeout', errorType: undefined, maxMemoryUsedMb: 41 });
  });

  it('takes the last of repeated fields, skips pairs without a name, and rejects what is not a REPORT', () => {
    expect(
      parseReport('REPORT RequestId: a\tDuration: 1.00 ms\tDuration: 2.50 ms\t: odd\tnocolon\tStatus: weird'),
    ).toMatchObject({ requestId: 'a', durationMs: 2.5, billedMs: 0, status: 'success' });
    expect(parseReport('REPORT RequestId: \tDuration: 1 ms')).toBeUndefined();
    expect(parseReport('REPORT RequestId:x')).toBeUndefined();
    expect(parseReport('START RequestId: a Version: 1')).toBeUndefined();
    expect(parseReport('REPORT RequestId: b\tDuration: soon')).toMatchObject({
      requestId: 'b',
      durationMs: 0,
    });
    expect(parseStart('START RequestId: a Version: $LATEST')).toEqual({ requestId: 'a', version: '$LATEST' });
  });
});

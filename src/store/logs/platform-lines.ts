/**
 * Reading the platform's own lines back (aws-lambda.md §5.7, src/pool/log-capture.ts):
 * `START RequestId: <id> Version: <v>` opens an invocation and its `REPORT` line closes it
 * with the figures SCF's FunctionLog shows. Anything else is the function's output.
 */

export interface StartLine {
  readonly requestId: string;
  readonly version: string;
}

export interface ReportLine {
  readonly requestId: string;
  readonly durationMs: number;
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly maxMemoryUsedMb: number;
  readonly initDurationMs: number | undefined;
  readonly status: 'success' | 'timeout' | 'error';
  readonly errorType: string | undefined;
}

const START = /^START RequestId: (\S+) Version: (\S+)/;

export function parseStart(line: string): StartLine | undefined {
  const m = START.exec(line);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { requestId: m[1], version: m[2] };
}

/** Fields of a REPORT line are tab-separated `Name: value` pairs after the request id. */
export function parseReport(line: string): ReportLine | undefined {
  if (!line.startsWith('REPORT RequestId: ')) {
    return undefined;
  }
  const fields = new Map<string, string>();
  for (const part of line.slice('REPORT '.length).split('\t')) {
    const i = part.indexOf(': ');
    if (i > 0) {
      fields.set(part.slice(0, i), part.slice(i + 2));
    }
  }
  const requestId = fields.get('RequestId');
  if (requestId === undefined || requestId === '') {
    return undefined;
  }
  const number = (name: string): number | undefined => {
    const v = fields.get(name);
    const n = v === undefined ? NaN : Number.parseFloat(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const status = fields.get('Status');
  return {
    requestId,
    durationMs: number('Duration') ?? 0,
    billedMs: number('Billed Duration') ?? 0,
    memoryMb: number('Memory Size') ?? 0,
    maxMemoryUsedMb: number('Max Memory Used') ?? 0,
    initDurationMs: number('Init Duration'),
    status: status === 'timeout' ? 'timeout' : status === 'error' ? 'error' : 'success',
    errorType: fields.get('Error Type'),
  };
}

/** A line the platform writes as a whole (so a pending partial line of the function ends before it). */
export function isPlatformLine(text: string): boolean {
  return /^(START|END|REPORT|INIT_START|INIT_REPORT) /.test(text);
}

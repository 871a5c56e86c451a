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

/**
 * Fields of a REPORT line are tab-separated `Name: value` pairs after the request id (a
 * later pair of the same name wins). Read in place, field by field: every invocation's
 * REPORT line passes here on the log writer.
 */
export function parseReport(line: string): ReportLine | undefined {
  if (!line.startsWith('REPORT RequestId: ')) {
    return undefined;
  }
  let requestId: string | undefined;
  let durationMs = 0;
  let billedMs = 0;
  let memoryMb = 0;
  let maxMemoryUsedMb = 0;
  let initDurationMs: number | undefined;
  let status: ReportLine['status'] = 'success';
  let errorType: string | undefined;
  for (let at = 'REPORT '.length; at < line.length;) {
    let end = line.indexOf('\t', at);
    if (end === -1) {
      end = line.length;
    }
    const colon = line.indexOf(': ', at);
    if (colon > at && colon < end) {
      const value = line.slice(colon + 2, end);
      switch (line.slice(at, colon)) {
        case 'RequestId':
          requestId = value;
          break;
        case 'Duration':
          durationMs = number(value) ?? 0;
          break;
        case 'Billed Duration':
          billedMs = number(value) ?? 0;
          break;
        case 'Memory Size':
          memoryMb = number(value) ?? 0;
          break;
        case 'Max Memory Used':
          maxMemoryUsedMb = number(value) ?? 0;
          break;
        case 'Init Duration':
          initDurationMs = number(value);
          break;
        case 'Status':
          status = value === 'timeout' ? 'timeout' : value === 'error' ? 'error' : 'success';
          break;
        case 'Error Type':
          errorType = value;
          break;
        default:
          break;
      }
    }
    at = end + 1;
  }
  if (requestId === undefined || requestId === '') {
    return undefined;
  }
  return { requestId, durationMs, billedMs, memoryMb, maxMemoryUsedMb, initDurationMs, status, errorType };
}

function number(v: string): number | undefined {
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A line the platform writes as a whole (so a pending partial line of the function ends before it). */
export function isPlatformLine(text: string): boolean {
  return /^(START|END|REPORT|INIT_START|INIT_REPORT) /.test(text);
}

/**
 * An invocation's log text, as AWS returns it in X-Amz-Log-Result (aws-lambda.md §5.7):
 * the platform's START/END/REPORT lines around what the process printed meanwhile.
 * Only the tail is kept (dialects send the last 4 KB; SCF shows more), so a function that
 * floods stdout costs bounded memory.
 */

/** How much of an invocation's log is kept. */
export const LOG_CAPTURE_BYTES = 64 * 1024;

export class LogCapture {
  #chunks: Buffer[] = [];
  #bytes = 0;
  readonly #limit: number;

  constructor(limitBytes = LOG_CAPTURE_BYTES) {
    this.#limit = limitBytes;
  }

  append(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.#chunks.push(b);
    this.#bytes += b.length;
    // Drop whole chunks from the front while what remains still covers the limit.
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.#limit) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks, this.#bytes);
    return (all.length > this.#limit ? all.subarray(all.length - this.#limit) : all).toString('utf8');
  }
}

export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}\n`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}\n`;
}

export type ReportStatus =
  { readonly kind: 'timeout' } | { readonly kind: 'error'; readonly errorType: string };

export interface ReportFields {
  readonly requestId: string;
  readonly durationMs: number;
  readonly memoryMb: number;
  readonly maxMemoryUsedMb: number | undefined;
  readonly initDurationMs: number | undefined;
  /** New-style status suffix: `timeout`, or `error` with the error type (§5.7). */
  readonly status?: ReportStatus;
}

/** `REPORT RequestId: …\tDuration: 12.34 ms\tBilled Duration: 13 ms\t…` (§5.7). */
export function reportLine(r: ReportFields): string {
  let line =
    `REPORT RequestId: ${r.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\t` +
    `Billed Duration: ${Math.max(1, Math.ceil(r.durationMs))} ms\tMemory Size: ${r.memoryMb} MB\t` +
    `Max Memory Used: ${r.maxMemoryUsedMb ?? 0} MB\t`;
  if (r.initDurationMs !== undefined) {
    line += `Init Duration: ${r.initDurationMs.toFixed(2)} ms\t`;
  }
  if (r.status?.kind === 'timeout') {
    line += 'Status: timeout';
  } else if (r.status?.kind === 'error') {
    line += `Status: error\tError Type: ${r.status.errorType}`;
  }
  return `${line}\n`;
}

/** The old-style timeout line, still what most log tooling looks for (§5.7). */
export function timeoutLine(requestId: string, timeoutMs: number, now: Date): string {
  return `${now.toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds\n`;
}

/**
 * §5.7: AWS's INIT_START names the runtime version and its ARN; a bundled client's are
 * its interpreter's (interpreters.ts), a command hearth did not choose is named by its id.
 */
export function initStartLine(
  runtime: string,
  region: string,
  interpreter: { readonly versionName: string; readonly versionDigest: string } | undefined,
): string {
  return interpreter === undefined
    ? `INIT_START Runtime Version: hearth:${runtime}\tRuntime Version ARN: hearth:${runtime}\n`
    : `INIT_START Runtime Version: ${interpreter.versionName}\tRuntime Version ARN: arn:aws:lambda:${region}::runtime:${interpreter.versionDigest}\n`;
}

/** `INIT_REPORT Init Duration: 21.60 ms\tPhase: init\tStatus: success` (§5.7). */
export function initReportLine(
  durationMs: number,
  status: 'success' | 'error' | 'timeout',
  phase: 'init' | 'invoke' = 'init',
): string {
  return `INIT_REPORT Init Duration: ${durationMs.toFixed(2)} ms\tPhase: ${phase}\tStatus: ${status}\n`;
}

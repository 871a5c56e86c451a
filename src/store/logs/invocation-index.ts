/**
 * SCF's FunctionLog rows from a stream's lines, for both log stores: a START line opens an
 * invocation on its stream, the REPORT line with the same request id closes it with the
 * figures it carries (platform-lines.ts). Pure; the key is whatever names a stream to the
 * store (a row id in SQLite, a stream key in PostgreSQL).
 */
import { parseReport, parseStart, type ReportLine } from './platform-lines.js';

export interface ClosedInvocation {
  readonly requestId: string;
  readonly version: string;
  readonly startMs: number;
  readonly firstEventId: number;
  readonly lastEventId: number;
  readonly report: ReportLine;
}

interface OpenInvocation {
  readonly requestId: string;
  readonly version: string;
  readonly startMs: number;
  readonly firstEventId: number;
}

export class InvocationIndex<K> {
  readonly #open = new Map<K, OpenInvocation>();

  /** The invocation this line (stored as event `id`) closes, if it closes one. */
  see(
    key: K,
    line: { readonly timestampMs: number; readonly message: string },
    id: number,
  ): ClosedInvocation | undefined {
    const start = parseStart(line.message);
    if (start !== undefined) {
      this.#open.set(key, { ...start, startMs: line.timestampMs, firstEventId: id });
      return undefined;
    }
    const report = parseReport(line.message);
    const open = this.#open.get(key);
    if (report === undefined || open === undefined || open.requestId !== report.requestId) {
      return undefined;
    }
    this.#open.delete(key);
    return { ...open, lastEventId: id, report };
  }

  /** Forgets every open invocation (their streams' ids are no longer valid). */
  clear(): void {
    this.#open.clear();
  }
}

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

const S = 'S'.charCodeAt(0);
const R = 'R'.charCodeAt(0);

export class InvocationIndex<K> {
  readonly #open = new Map<K, OpenInvocation>();

  /** The invocation this line (stored as event `id`) closes, if it closes one. */
  see(
    key: K,
    line: { readonly timestampMs: number; readonly message: string },
    id: number,
  ): ClosedInvocation | undefined {
    // Most lines are neither: one character tells (every line of a busy stream passes here).
    const first = line.message.charCodeAt(0);
    if (first !== S && first !== R) {
      return undefined;
    }
    const start = parseStart(line.message);
    if (start !== undefined) {
      this.#open.set(key, {
        requestId: start.requestId,
        version: start.version,
        startMs: line.timestampMs,
        firstEventId: id,
      });
      return undefined;
    }
    const open = this.#open.get(key);
    const report = open === undefined ? undefined : parseReport(line.message);
    if (report === undefined || open === undefined || open.requestId !== report.requestId) {
      return undefined;
    }
    this.#open.delete(key);
    return {
      requestId: open.requestId,
      version: open.version,
      startMs: open.startMs,
      firstEventId: open.firstEventId,
      lastEventId: id,
      report,
    };
  }

  /** Forgets every open invocation (their streams' ids are no longer valid). */
  clear(): void {
    this.#open.clear();
  }
}

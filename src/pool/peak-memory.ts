/**
 * An environment's peak memory (Max Memory Used in the REPORT line, SCF's MemUsage), as
 * its process reports it (LaunchedProcess, launchers/launcher.ts).
 *
 * Read without blocking and at most once a second per environment, off the invoke path:
 * a read per invocation cost the platform more CPU than the invocation itself under load
 * (bench/paired.mjs). An answer's peak (SCF's MemUsage) is thus at most a second old
 * [DESIGN] (the peak only grows), except an environment's first; the REPORT line's is read
 * exactly, after the answer has gone (environment.ts): one pread of an fd kept open on the
 * process's status (launchers/proc-status.ts), no longer an open-read-close per answer.
 */
import { performance } from 'node:perf_hooks';
import type { LaunchedProcess } from './launchers/launcher.js';

/** The least time between two background reads of one environment's peak. */
const REFRESH_MS = 1000;

export class PeakMemory {
  /** The peak as last read, MB. */
  #knownMb: number | undefined;
  /** performance.now() of the last background read. */
  #readAt = -Infinity;

  constructor(private readonly proc: LaunchedProcess) {}

  /** Starts a background read unless one was started within REFRESH_MS. */
  refresh(): void {
    const now = performance.now();
    if (now - this.#readAt < REFRESH_MS) {
      return;
    }
    this.#readAt = now;
    void this.proc.readPeakMemoryMb().then((mb) => this.#raise(mb));
  }

  /**
   * The peak to report with an answer: read now when `exact` (a log is written) or when
   * no background read is in yet; else the last one read.
   */
  forAnswer(exact: boolean): number | undefined {
    if (!exact && this.#knownMb !== undefined) {
      return this.#knownMb;
    }
    const mb = this.proc.peakMemoryMb();
    this.#raise(mb);
    return mb;
  }

  #raise(mb: number | undefined): void {
    if (mb !== undefined) {
      this.#knownMb = Math.max(this.#knownMb ?? 0, mb);
    }
  }
}

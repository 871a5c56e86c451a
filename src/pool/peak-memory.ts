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
 *
 * A runtime that reports its own peak with its answer (the bundled runtimes' PEAK frame:
 * runtimes/node/channel-fd.cjs, runtimes/python/hearth_channel.py) spares both: that
 * answer's peak, and its REPORT
 * line's, are the reported one, exact at no cost to the platform, and no background read
 * runs for it any more.
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
  /** The runtime's report for the invocation in flight, MB; undefined without one. */
  #reportedMb: number | undefined;
  /** The runtime has reported a peak: it reports them, background reads are not needed. */
  #runtimeReports = false;

  constructor(private readonly proc: LaunchedProcess) {}

  /** A new invocation: an earlier report does not describe it. */
  begin(): void {
    this.#reportedMb = undefined;
  }

  /** The runtime's own peak, KB (sent just before its answer). */
  reported(kb: number): void {
    const mb = Math.ceil(kb / 1024);
    this.#reportedMb = mb;
    this.#runtimeReports = true;
    this.#raise(mb);
  }

  /** Starts a background read unless one was started within REFRESH_MS. */
  refresh(): void {
    if (this.#runtimeReports) {
      return;
    }
    const now = performance.now();
    if (now - this.#readAt < REFRESH_MS) {
      return;
    }
    this.#readAt = now;
    void this.proc.readPeakMemoryMb().then((mb) => this.#raise(mb));
  }

  /**
   * The peak to report with an answer: the runtime's report for it if there is one; else
   * read now when `exact` (a log is written) or when no background read is in yet; else
   * the last one read.
   */
  forAnswer(exact: boolean): number | undefined {
    if (this.#reportedMb !== undefined || (!exact && this.#knownMb !== undefined)) {
      return this.#knownMb;
    }
    const mb = this.proc.peakMemoryMb();
    this.#raise(mb);
    return mb === undefined ? undefined : this.#knownMb;
  }

  #raise(mb: number | undefined): void {
    if (mb !== undefined) {
      this.#knownMb = Math.max(this.#knownMb ?? 0, mb);
    }
  }
}

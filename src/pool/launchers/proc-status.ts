/**
 * A process's peak resident memory (VmHWM, the REPORT line's Max Memory Used) read from
 * `/proc/<pid>/status` through one fd kept open for the process's life.
 *
 * Why a kept fd: with a log, the peak is read at every answer (peak-memory.ts), and
 * `readFileSync` costs open, fstat, read and close each time; a pread at offset 0 of an
 * open /proc file makes the kernel render it afresh, in one syscall (11 µs against 35 µs per
 * read on the 2-core bench machine, a one-off measurement). The fd names the process it was opened on,
 * not its pid: once that process is gone the read fails (ESRCH) and nothing is reported,
 * even if the pid has been reused.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Enough for the status file's head, where VmHWM is (about 1.4 KB in all). */
const scratch = Buffer.allocUnsafe(4096);

export class PeakReader {
  #fd: number | undefined;

  /** Opens `/proc/<pid>/status` now; a process already gone has no peak to read. */
  constructor(pid: number) {
    try {
      this.#fd = openSync(`/proc/${pid}/status`, 'r');
    } catch {
      this.#fd = undefined;
    }
  }

  /** The peak in MB, rounded up; undefined once the process is gone or the reader closed. */
  read(): number | undefined {
    if (this.#fd === undefined) {
      return undefined;
    }
    let n: number;
    try {
      n = readSync(this.#fd, scratch, 0, scratch.length, 0);
    } catch {
      return undefined; // gone
    }
    return peakOfStatus(scratch.toString('latin1', 0, n));
  }

  /** Closes the fd; idempotent. */
  close(): void {
    if (this.#fd !== undefined) {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }
}

/** Peak resident memory (VmHWM) of a /proc/<pid>/status text, MB rounded up. */
export function peakOfStatus(status: string | undefined): number | undefined {
  const m = status === undefined ? null : /VmHWM:\s+(\d+) kB/.exec(status);
  return m?.[1] === undefined ? undefined : Math.ceil(Number(m[1]) / 1024);
}

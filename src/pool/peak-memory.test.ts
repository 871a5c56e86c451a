import { describe, expect, it } from 'vitest';
import type { LaunchedProcess } from './launchers/launcher.js';
import { PeakMemory } from './peak-memory.js';

/** A process whose peak is `now`; counts the reads of each kind. */
function fakeProcess(peaks: { now: number | undefined }) {
  const reads = { sync: 0, async: 0 };
  const proc: LaunchedProcess = {
    pid: 1,
    privateSocket: undefined,
    kill: () => undefined,
    oomKilled: () => false,
    peakMemoryMb: () => {
      reads.sync++;
      return peaks.now;
    },
    readPeakMemoryMb: () => {
      reads.async++;
      return Promise.resolve(peaks.now);
    },
  };
  return { proc, reads };
}

describe('PeakMemory', () => {
  it('reads at the answer until a background read is in, then reports that one without reading', async () => {
    const peaks = { now: 40 as number | undefined };
    const { proc, reads } = fakeProcess(peaks);
    const peak = new PeakMemory(proc);
    expect(peak.forAnswer(false)).toBe(40);
    expect(reads.sync).toBe(1);
    peaks.now = 55;
    peak.refresh();
    await Promise.resolve();
    expect(peak.forAnswer(false)).toBe(55);
    expect(reads).toEqual({ sync: 1, async: 1 });
  });

  it('reads at most once a second in the background', () => {
    const { proc, reads } = fakeProcess({ now: 40 });
    const peak = new PeakMemory(proc);
    peak.refresh();
    peak.refresh();
    peak.refresh();
    expect(reads.async).toBe(1);
  });

  it('with a log, reads now; the known peak never goes down; a process gone reports nothing', () => {
    const peaks = { now: 70 as number | undefined };
    const { proc, reads } = fakeProcess(peaks);
    const peak = new PeakMemory(proc);
    expect(peak.forAnswer(true)).toBe(70);
    peaks.now = undefined;
    expect(peak.forAnswer(true)).toBeUndefined();
    expect(peak.forAnswer(false)).toBe(70);
    expect(reads.sync).toBe(2);
  });

  it("takes the runtime's report for its invocation, MB rounded up, and reads nothing", async () => {
    const { proc, reads } = fakeProcess({ now: 40 });
    const peak = new PeakMemory(proc);
    peak.begin();
    peak.reported(50 * 1024 + 1);
    expect(peak.forAnswer(false)).toBe(51);
    expect(peak.forAnswer(true)).toBe(51);
    // A runtime that reports needs no background reads either.
    peak.refresh();
    await Promise.resolve();
    expect(reads).toEqual({ sync: 0, async: 0 });
  });

  it('a report describes its own invocation only; the next one without a report is read', () => {
    const peaks = { now: 40 as number | undefined };
    const { proc, reads } = fakeProcess(peaks);
    const peak = new PeakMemory(proc);
    peak.begin();
    peak.reported(60 * 1024);
    expect(peak.forAnswer(true)).toBe(60);
    peak.begin();
    // /proc says less than the runtime did (its counters lag by per-CPU batches): the peak
    // reported never goes down.
    expect(peak.forAnswer(true)).toBe(60);
    peaks.now = 75;
    peak.begin();
    expect(peak.forAnswer(true)).toBe(75);
    expect(reads.sync).toBe(2);
  });
});

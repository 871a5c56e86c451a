import { describe, expect, it } from 'vitest';
import type { LaunchedProcess } from './launchers/launcher.js';
import { PeakMemory } from './peak-memory.js';

/** A process whose /proc peak is `mb`, counting the reads. */
function fakeProcess(mb: number) {
  const reads = { exact: 0, background: 0 };
  const proc = {
    peakMemoryMb: () => {
      reads.exact++;
      return mb;
    },
    readPeakMemoryMb: () => {
      reads.background++;
      return Promise.resolve(mb);
    },
  } as unknown as LaunchedProcess;
  return { proc, reads };
}

describe('PeakMemory', () => {
  it('reads /proc for an exact peak when the runtime reports none', () => {
    const { proc, reads } = fakeProcess(40);
    const peak = new PeakMemory(proc);
    peak.begin();
    expect(peak.forAnswer(true)).toBe(40);
    expect(peak.forAnswer(false)).toBe(40);
    expect(reads.exact).toBe(1);
  });

  it("takes the runtime's report for its invocation, MB rounded up, and reads nothing", () => {
    const { proc, reads } = fakeProcess(40);
    const peak = new PeakMemory(proc);
    peak.begin();
    peak.reported(50 * 1024 + 1);
    expect(peak.forAnswer(false)).toBe(51);
    expect(peak.forAnswer(true)).toBe(51);
    peak.refresh();
    expect(reads).toEqual({ exact: 0, background: 0 });
  });

  it('a report describes its invocation only; the peak never goes down', () => {
    const { proc, reads } = fakeProcess(40);
    const peak = new PeakMemory(proc);
    peak.begin();
    peak.reported(60 * 1024);
    expect(peak.forAnswer(true)).toBe(60);
    // The next invocation's answer comes without a report: /proc is read, and the larger
    // figure stays.
    peak.begin();
    expect(peak.forAnswer(true)).toBe(60);
    expect(reads.exact).toBe(1);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PeakReader, peakOfStatus } from './proc-status.js';

describe('peakOfStatus', () => {
  it('VmHWM in MB, rounded up; nothing when unreadable', () => {
    expect(peakOfStatus('Name:\tnode\nVmPeak:\t  999999 kB\nVmHWM:\t   40961 kB\nVmRSS:\t 1 kB\n')).toBe(41);
    expect(peakOfStatus('Name:\tnode\n')).toBeUndefined();
    expect(peakOfStatus(undefined)).toBeUndefined();
  });
});

describe.runIf(process.platform === 'linux')('PeakReader', () => {
  it('reads the peak afresh through its kept fd as it grows', () => {
    const reader = new PeakReader(process.pid);
    const before = reader.read();
    expect(before).toBeGreaterThan(0);
    const held = Buffer.alloc(64 * 1024 * 1024, 1);
    expect(reader.read()).toBeGreaterThanOrEqual((before ?? 0) + 60);
    expect(held[0]).toBe(1);
    reader.close();
    expect(reader.read()).toBeUndefined();
    reader.close();
  });

  it('reports nothing once its process has exited, even before it is closed', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const reader = new PeakReader(child.pid ?? -1);
    expect(reader.read()).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(reader.read()).toBeUndefined();
    reader.close();
  });

  it('reports nothing for a process that does not exist', () => {
    expect(new PeakReader(2 ** 22 + 1).read()).toBeUndefined();
  });
});

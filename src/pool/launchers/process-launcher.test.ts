import { describe, expect, it } from 'vitest';
import { commandLine, peakOfStatus } from './process-launcher.js';

describe('commandLine', () => {
  const node = { command: '/usr/bin/node', args: ['--max-old-space-size=230', 'bootstrap.cjs'] };

  it('under SCHED_BATCH: chrt execs the command with the same arguments', () => {
    expect(commandLine({ ...node, batchScheduling: true }, '/usr/bin/chrt')).toEqual({
      command: '/usr/bin/chrt',
      args: ['--batch', '0', '/usr/bin/node', '--max-old-space-size=230', 'bootstrap.cjs'],
    });
  });

  it('directly when not asked for, or without chrt', () => {
    expect(commandLine({ ...node, batchScheduling: false }, '/usr/bin/chrt')).toEqual({
      command: node.command,
      args: node.args,
    });
    expect(commandLine({ ...node, batchScheduling: true }, undefined)).toEqual({
      command: node.command,
      args: node.args,
    });
  });
});

describe('peakOfStatus', () => {
  it('VmHWM in MB, rounded up; nothing when unreadable', () => {
    expect(peakOfStatus('Name:\tnode\nVmPeak:\t  999999 kB\nVmHWM:\t   40961 kB\nVmRSS:\t 1 kB\n')).toBe(41);
    expect(peakOfStatus('Name:\tnode\n')).toBeUndefined();
    expect(peakOfStatus(undefined)).toBeUndefined();
  });
});

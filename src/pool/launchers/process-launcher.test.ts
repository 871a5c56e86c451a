import { describe, expect, it } from 'vitest';
import { commandLine, spawnedCommandLine } from './process-launcher.js';

describe('commandLine', () => {
  const node = { command: '/usr/bin/node', args: ['--max-old-space-size=230', 'bootstrap.cjs'] };

  it('under SCHED_BATCH: chrt execs the command with the same arguments', () => {
    expect(commandLine({ ...node, batchScheduling: true }, '/usr/bin/chrt')).toEqual({
      command: '/usr/bin/chrt',
      args: ['--batch', '0', '/usr/bin/node', '--max-old-space-size=230', 'bootstrap.cjs'],
    });
  });

  it('with a parent-death signal: setpriv execs the rest', () => {
    expect(commandLine({ ...node, batchScheduling: true }, '/usr/bin/chrt', '/usr/bin/setpriv')).toEqual({
      command: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'KILL', '/usr/bin/chrt', '--batch', '0', '/usr/bin/node', ...node.args],
    });
    expect(commandLine({ ...node, batchScheduling: false }, undefined, '/usr/bin/setpriv')).toEqual({
      command: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'KILL', '/usr/bin/node', ...node.args],
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

describe('spawnedCommandLine', () => {
  const node = { command: '/usr/bin/node', args: ['--max-old-space-size=230', 'bootstrap.cjs'] };

  it('no wrapper when the spawner already runs under the policy asked for, and never setpriv', () => {
    expect(spawnedCommandLine({ ...node, batchScheduling: true }, '/usr/bin/chrt', true)).toEqual(node);
    expect(spawnedCommandLine({ ...node, batchScheduling: false }, '/usr/bin/chrt', false)).toEqual(node);
  });

  it('chrt to leave or enter SCHED_BATCH when the policy asked for differs from the spawner policy', () => {
    expect(spawnedCommandLine({ ...node, batchScheduling: false }, '/usr/bin/chrt', true)).toEqual({
      command: '/usr/bin/chrt',
      args: ['--other', '0', ...[node.command, ...node.args]],
    });
    expect(spawnedCommandLine({ ...node, batchScheduling: true }, '/usr/bin/chrt', false)).toEqual({
      command: '/usr/bin/chrt',
      args: ['--batch', '0', ...[node.command, ...node.args]],
    });
    expect(spawnedCommandLine({ ...node, batchScheduling: true }, undefined, false)).toEqual(node);
  });
});

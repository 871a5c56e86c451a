import { describe, expect, it } from 'vitest';
import { ownerPidOf, parseStat } from './orphans.js';

describe('orphans', () => {
  it('reads ppid and pgid after the command, whatever it contains', () => {
    expect(parseStat('4242 (node (x) y) S 1 4242 4242 0 -1 4194560 ...')).toEqual({ ppid: 1, pgid: 4242 });
  });

  it("finds the owner's pid in a marked environ only for the same token", () => {
    const environ = 'PATH=/bin\0_HEARTH_OWNER=abc:77\0HOME=/\0';
    expect(ownerPidOf(environ, 'abc')).toBe(77);
    expect(ownerPidOf(environ, 'ab')).toBeUndefined();
    expect(ownerPidOf('PATH=/bin\0', 'abc')).toBeUndefined();
  });
});

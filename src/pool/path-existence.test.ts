import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PathExistence } from './path-existence.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hearth-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PathExistence', () => {
  it('answers from memory, and sees a file that disappears or appears after a re-check', async () => {
    const file = path.join(dir, 'entry.cjs');
    writeFileSync(file, '');
    const paths = new PathExistence();
    expect(paths.exists(file)).toBe(true);
    rmSync(file);
    // The launch at the moment of the change gets the answer kept (no stat on the loop)...
    expect(paths.exists(file)).toBe(true);
    await paths.settled();
    // ...the launches after it see the change, as a stat would.
    writeFileSync(file, '');
    expect(paths.exists(file)).toBe(false);
    await paths.settled();
    expect(paths.exists(file)).toBe(true);
  });

  it('keeps at most `limit` paths', () => {
    const paths = new PathExistence(2);
    for (const name of ['a', 'b', 'c', 'a']) {
      expect(paths.exists(path.join(dir, name))).toBe(false);
    }
  });
});

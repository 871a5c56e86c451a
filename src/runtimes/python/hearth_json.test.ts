/**
 * The Python client's JSON without the json package (hearth_json.py), against the json
 * package itself: hearth_json_check.py compares tens of thousands of generated values,
 * texts and their mutations (values, exceptions and their messages), and checks that what
 * json accepts in UTF-8 is parsed and written without falling back to json.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('.', import.meta.url));

describe('hearth_json.py', () => {
  it.each([15, 2026])('gives what json gives, without json where it can (seed %i)', async (seed) => {
    const { stdout } = await run('python3', ['-S', 'hearth_json_check.py', String(seed)], {
      cwd: dir,
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as { cases: number; diffs: unknown[]; fast: boolean };
    expect(report.diffs).toEqual([]);
    expect(report.fast).toBe(true);
    expect(report.cases).toBeGreaterThan(50_000);
  });

  it('is what the client imports at start, and json, re and enum are not', async () => {
    const { stdout } = await run(
      'python3',
      [
        '-S',
        '-c',
        'import sys, hearth_runtime; print(",".join(m for m in ("hearth_json", "json", "re", "enum") if m in sys.modules))',
      ],
      { cwd: dir, env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } },
    );
    expect(stdout.trim()).toBe('hearth_json');
  });
});

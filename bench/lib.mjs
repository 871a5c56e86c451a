// Shared by the pool benchmarks: the compiled pool (run `npm run build` first; `npm run
// bench` does) and memory figures of a process from /proc.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function loadPool() {
  const entry = path.join(root, 'dist/pool/index.js');
  if (!existsSync(entry)) {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  return import(pathToFileURL(entry).href);
}

/** RSS, PSS and USS (private clean + dirty) of a process, in KiB (smaps_rollup, Linux >= 4.14). */
export function memoryKb(pid) {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss'), uss: field('Private_Clean') + field('Private_Dirty') };
}

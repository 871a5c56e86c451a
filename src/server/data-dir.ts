/**
 * The data dir: made if missing, or refused with a clear reason.
 *
 * Not `mkdirSync(dir, { recursive: true })`: on Linux it never returns for a path under
 * /proc (mkdir answers ENOENT for a parent that stat says exists, and Node's recursive
 * mkdir retries the parent forever). Each missing level is made once, top-down, and the
 * first failure is the answer.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export class DataDirError extends Error {
  constructor(dir: string, cause: unknown) {
    super(`data dir ${dir} is not usable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'DataDirError';
  }
}

/** Makes `dir` (absolute) and its missing parents, or throws DataDirError. */
export function makeDataDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) {
        throw new DataDirError(dir, new Error(`${d} is not a directory`));
      }
      break;
    } catch (e) {
      if (e instanceof DataDirError) {
        throw e;
      }
      if (
        !(typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT') ||
        path.dirname(d) === d
      ) {
        throw new DataDirError(dir, e);
      }
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (!(typeof e === 'object' && e !== null && 'code' in e && e.code === 'EEXIST')) {
        throw new DataDirError(dir, e);
      }
    }
  }
}

/**
 * The main thread's end of a log writer on a worker thread (log-writer-link.ts for SQLite,
 * pg-log-writer-link.ts for PostgreSQL; their workers answer the same messages): batches
 * posted without an answer, calls answered in order by id, a write error reported through
 * `onError`, and every call still waiting failed once the thread fails or ends.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteBatch } from './log-ingest.js';

type Reply =
  | { readonly id: number; readonly result?: unknown; readonly error?: string }
  | { readonly writeError: string };

export interface WriterThread {
  write(batch: WriteBatch): void;
  call(op: string, args: readonly unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** `name` (a worker's built file) beside `base`, when hearth runs from dist/. */
export function builtEntry(name: string, base: string): URL | undefined {
  const url = new URL(name, base);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

export function writerThread(entry: URL, workerData: unknown, onError: (e: unknown) => void): WriterThread {
  const worker = new Worker(entry, { workerData });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const failAll = (message: string) => {
    for (const w of waiting.values()) {
      w.reject(new Error(message));
    }
    waiting.clear();
  };
  worker.on('message', (m: Reply) => {
    if ('writeError' in m) {
      onError(new Error(m.writeError));
      return;
    }
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) {
      w?.reject(new Error(m.error));
    } else {
      w?.resolve(m.result);
    }
  });
  worker.on('error', (e) => {
    onError(e);
    failAll(`the log writer failed: ${e.message}`);
  });
  worker.on('exit', () => {
    exited = true;
    failAll('the log writer has stopped');
  });
  return {
    write(batch) {
      if (!exited) {
        worker.postMessage({ batch });
      }
    },
    call(op, args) {
      if (exited) {
        return Promise.reject(new Error('the log writer has stopped'));
      }
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, call: { op, args } });
      });
    },
    async close() {
      if (exited) {
        return;
      }
      const gone = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ close: true });
      await gone;
    },
  };
}

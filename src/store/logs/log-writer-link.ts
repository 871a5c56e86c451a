/**
 * How the store reaches its writer (log-persister.ts): a worker thread running
 * log-worker.js when hearth runs from its build, else the same persister inline (tests
 * run the TypeScript sources, which a worker thread cannot load). Either way calls are
 * answered in the order they were made, so a read that follows `sync()` sees every batch
 * handed on before it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LogScope } from '../../core/logs/log-port.js';
import { openLogDb } from './log-db.js';
import type { WriteBatch } from './log-ingest.js';
import { LogPersister } from './log-persister.js';

export interface WriterCalls {
  sync(): void;
  deleteGroup(scope: LogScope, name: string): boolean;
  setRetention(scope: LogScope, name: string, days: number | undefined): boolean;
  housekeep(): void;
  totalBytes(): number;
}

export type WriterCall = {
  [K in keyof WriterCalls]: { readonly op: K; readonly args: Parameters<WriterCalls[K]> };
}[keyof WriterCalls];

export interface WriterLink {
  readonly threaded: boolean;
  write(batch: WriteBatch): void;
  call<K extends keyof WriterCalls>(
    op: K,
    ...args: Parameters<WriterCalls[K]>
  ): Promise<ReturnType<WriterCalls[K]>>;
  close(): Promise<void>;
}

export interface WriterConfig {
  readonly file: string;
  readonly maxBytes: number;
}

/** Runs a call on a persister (shared by the inline link and the worker). */
export function runCall(p: LogPersister, c: WriterCall): unknown {
  switch (c.op) {
    case 'sync':
      return undefined;
    case 'deleteGroup':
      return p.deleteGroup(...c.args);
    case 'setRetention':
      return p.setRetention(...c.args);
    case 'housekeep':
      p.housekeep();
      return undefined;
    case 'totalBytes':
      return p.totalBytes;
  }
}

export function inlineLink(
  config: WriterConfig,
  now: () => number,
  onError: (e: unknown) => void,
): WriterLink {
  const db = openLogDb(config.file);
  const p = new LogPersister(db, { maxBytes: config.maxBytes, now });
  return {
    threaded: false,
    write(batch) {
      try {
        p.write(batch);
      } catch (e) {
        onError(e);
      }
    },
    call(op, ...args) {
      try {
        return Promise.resolve(runCall(p, { op, args } as WriterCall) as never);
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}

/** The built worker entry, when hearth runs from dist/. */
export function workerEntry(): URL | undefined {
  const url = new URL('./log-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

type Reply =
  | { readonly id: number; readonly result?: unknown; readonly error?: string }
  | { readonly writeError: string };

export function workerLink(entry: URL, config: WriterConfig, onError: (e: unknown) => void): WriterLink {
  const worker = new Worker(entry, { workerData: config });
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
    threaded: true,
    write(batch) {
      if (!exited) {
        worker.postMessage({ batch });
      }
    },
    call(op, ...args) {
      if (exited) {
        return Promise.reject(new Error('the log writer has stopped'));
      }
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
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

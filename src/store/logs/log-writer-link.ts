/**
 * How the store reaches its writer (log-persister.ts): a worker thread running
 * log-worker.js when hearth runs from its build, else the same persister inline (tests
 * run the TypeScript sources, which a worker thread cannot load). Either way calls are
 * answered in the order they were made, so a read that follows `sync()` sees every batch
 * handed on before it.
 */
import type { LogScope } from '../../core/logs/log-port.js';
import { openLogDb } from './log-db.js';
import type { WriteBatch } from './log-ingest.js';
import { builtEntry, writerThread } from './writer-thread.js';
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
  return builtEntry('./log-worker.js', import.meta.url);
}

export function workerLink(entry: URL, config: WriterConfig, onError: (e: unknown) => void): WriterLink {
  const t = writerThread(entry, config, onError);
  return {
    threaded: true,
    write: (batch) => t.write(batch),
    call: (op, ...args) => t.call(op, args) as never,
    close: () => t.close(),
  };
}

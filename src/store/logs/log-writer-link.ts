/**
 * How the store reaches its writer (log-persister.ts): a worker thread running
 * log-worker.js when hearth runs from its build, else the same persister inline (tests
 * run the TypeScript sources, which a worker thread cannot load). Either way calls are
 * answered in the order they were made, so a read that follows `sync()` sees every batch
 * handed on before it.
 */
import { openLogDb } from './log-db.js';
import { builtEntry, writerThread } from './writer-thread.js';
import { LogPersister } from './log-persister.js';
import type { LogWriterCall, LogWriterLink } from './queued-log-store.js';

/** The calls and the link are the ones both stores use (queued-log-store.ts). */
export type WriterCall = LogWriterCall;
export type WriterLink = LogWriterLink;

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

/**
 * How the PostgreSQL log store reaches its writer (pg-log-writer.ts): a worker thread
 * running pg-log-worker.js when hearth runs from its build, else the same writer inline
 * (tests run the TypeScript sources, which a worker thread cannot load). Either way
 * batches and calls reach the writer in the order they were made, so `sync` answers once
 * every batch handed on before it is written (as log-writer-link.ts does for SQLite).
 */
import { builtEntry, writerThread } from './writer-thread.js';
import { PgLogWriter, logPool, type PgWriterOptions } from './pg-log-writer.js';
import type { LogWriterCall, LogWriterLink } from './queued-log-store.js';

/** The calls and the link are the SQLite writer's (queued-log-store.ts). */
export type PgWriterCall = LogWriterCall;
export type PgWriterLink = LogWriterLink;

/** What the writer is made from (cloned into the worker: no functions). */
export interface PgWriterConfig {
  readonly url: string;
  readonly options: PgWriterOptions;
}

/** The writer's own connections: a transaction at a time, and housekeeping beside it. */
export function openPgWriter(
  config: PgWriterConfig,
  now: () => number,
  onError: (e: unknown) => void,
): PgLogWriter {
  return new PgLogWriter(logPool(config.url, 2), config.options, now, onError);
}

/** Runs a call on a writer (shared by the inline link and the worker). */
export function runPgCall(w: PgLogWriter, c: PgWriterCall): Promise<unknown> {
  switch (c.op) {
    case 'sync':
      return w.sync();
    case 'totalBytes':
      return w.totalBytes();
    case 'housekeep':
      return w.housekeep();
    case 'deleteGroup':
      return w.deleteGroup(...c.args);
    case 'setRetention':
      return w.setRetention(...c.args);
  }
}

export function inlinePgLink(
  config: PgWriterConfig,
  now: () => number,
  onError: (e: unknown) => void,
): PgWriterLink {
  const w = openPgWriter(config, now, onError);
  return {
    threaded: false,
    write: (batch) => w.write(batch),
    call: (op, ...args) => runPgCall(w, { op, args } as PgWriterCall) as never,
    close: () => w.close(),
  };
}

/** The built worker entry, when hearth runs from dist/. */
export function pgWorkerEntry(): URL | undefined {
  return builtEntry('./pg-log-worker.js', import.meta.url);
}

export function workerPgLink(
  entry: URL,
  config: PgWriterConfig,
  onError: (e: unknown) => void,
): PgWriterLink {
  const t = writerThread(entry, config, onError);
  return {
    threaded: true,
    write: (batch) => t.write(batch),
    call: (op, ...args) => t.call(op, args) as never,
    close: () => t.close(),
  };
}

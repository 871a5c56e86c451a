/**
 * What both function-log stores (sqlite-log-store.ts, postgres-log-store.ts) do alike on
 * the write side: lines are queued (log-ingest.ts) and handed on in batches to a writer
 * reached through a link (a worker thread or inline), and every call that must see what
 * was appended before it (a flush, the totals, housekeeping, a group's deletion or
 * retention) hands the queue on first; the writer answers calls in the order they were
 * made. Each store adds its reads and what it closes besides.
 */
import type { LogScope } from '../../core/logs/log-port.js';
import { LogIngest, type FunctionLogInput, type IngestOptions, type WriteBatch } from './log-ingest.js';

/** What a store asks of its writer, whichever the database. */
export interface LogWriterCalls {
  sync(): void;
  deleteGroup(scope: LogScope, name: string): boolean;
  setRetention(scope: LogScope, name: string, days: number | undefined): boolean;
  housekeep(): void;
  totalBytes(): number;
}

export type LogWriterCall = {
  [K in keyof LogWriterCalls]: { readonly op: K; readonly args: Parameters<LogWriterCalls[K]> };
}[keyof LogWriterCalls];

/** The store's end of its writer (log-writer-link.ts, pg-log-writer-link.ts). */
export interface LogWriterLink {
  readonly threaded: boolean;
  write(batch: WriteBatch): void;
  call<K extends keyof LogWriterCalls>(
    op: K,
    ...args: Parameters<LogWriterCalls[K]>
  ): Promise<ReturnType<LogWriterCalls[K]>>;
  close(): Promise<void>;
}

export abstract class QueuedLogStore {
  readonly #ingest: LogIngest;
  readonly #link: LogWriterLink;
  #closed = false;

  protected constructor(link: LogWriterLink, ingest: Omit<IngestOptions, 'write'>) {
    this.#link = link;
    this.#ingest = new LogIngest({ ...ingest, write: (batch) => link.write(batch) });
  }

  /** True when writes run on their own thread. */
  get threaded(): boolean {
    return this.#link.threaded;
  }

  /** The pool's sink: queues, never blocks on I/O. */
  append(input: FunctionLogInput): void {
    if (!this.#closed) {
      this.#ingest.append(input);
    }
  }

  /**
   * Hands on what is queued (partial lines stay pending) and waits until it is written, or
   * until a write of it failed.
   */
  async flush(): Promise<void> {
    await this.#call('sync');
  }

  totalBytes(): Promise<number> {
    return this.#call('totalBytes');
  }

  housekeep(): Promise<void> {
    return this.#call('housekeep');
  }

  deleteGroup(scope: LogScope, name: string): Promise<boolean> {
    return this.#call('deleteGroup', scope, name);
  }

  setRetention(scope: LogScope, name: string, days: number | undefined): Promise<boolean> {
    return this.#call('setRetention', scope, name, days);
  }

  #call<K extends keyof LogWriterCalls>(
    op: K,
    ...args: Parameters<LogWriterCalls[K]>
  ): Promise<ReturnType<LogWriterCalls[K]>> {
    this.#ingest.flush();
    return this.#link.call(op, ...args);
  }

  /**
   * Stops taking lines, writes what is queued (partial lines too), stops the writer, then
   * releases what the store holds besides (`release`, run even when the writer failed to
   * stop); the first time only.
   */
  protected async closeWriter(release: () => unknown): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    try {
      this.#ingest.close();
      await this.#link.close();
    } finally {
      await release();
    }
  }
}

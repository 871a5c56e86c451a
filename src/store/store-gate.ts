/**
 * The cached store's discipline for port calls (cached-store.ts): reads are served at once
 * from the cache; writes run one after another (check against the cache, commit, then
 * apply to the cache), so nothing of this process interleaves between a check and its
 * cache update; after close both are refused. Database errors become INTERNAL, so that
 * dialects render them as 5xx; catalog errors pass through.
 */
import { PlatformError, isPlatformError } from '../core/errors.js';
import type { Persistence, RemoteBatch, WriteOp } from './persistence.js';

/** What a write checked: the rows to commit and the cache change once they are. */
export type WritePlan = { ops: WriteOp[]; apply: () => void } | undefined;

/** How the cache takes other writers' changes (shared databases). */
export interface RemoteApplier {
  /** Applies batches to the cache, synchronously, in order. */
  apply(batches: readonly RemoteBatch[]): void;
  /** Reads every row again (too much was missed to replay). */
  reload(): Promise<void>;
}

export class StoreGate {
  readonly #db: Persistence;
  readonly #remote: RemoteApplier;
  /** The write (or catch-up) in progress: they run one after another. */
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(db: Persistence, remote: RemoteApplier) {
    this.#db = db;
    this.#remote = remote;
  }

  /** A read answered at once (the cache is in memory): throws after close. */
  readNow<T>(work: () => T): T {
    if (this.#closed) {
      throw closedError();
    }
    try {
      return work();
    } catch (e) {
      throw wrap(e);
    }
  }

  /** A read: rejects after close; otherwise `work`'s answer. */
  read<T>(work: () => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(closedError());
    }
    try {
      return Promise.resolve(work());
    } catch (e) {
      return Promise.reject(wrap(e));
    }
  }

  /**
   * A write, after the writes before it; `plan` returns undefined when nothing changes. On
   * a shared database the plan is checked after the cache caught up, under the database's
   * write lock, so no other node's write falls between the check and the commit.
   */
  write(plan: () => WritePlan): Promise<void> {
    return this.#serial(async () => {
      const begin = this.#db.begin?.bind(this.#db);
      if (begin === undefined) {
        const p = plan();
        if (p !== undefined) {
          await this.#db.commit(p.ops);
          p.apply();
        }
        return;
      }
      let tx = await begin();
      if (tx.remote === 'reload') {
        await tx.abort();
        await this.#remote.reload();
        tx = await begin();
      }
      if (tx.remote !== 'reload' && tx.remote.length > 0) {
        this.#remote.apply(tx.remote);
      }
      let p: WritePlan;
      try {
        p = tx.remote === 'reload' ? throwReload() : plan();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
      if (p === undefined) {
        await tx.abort();
        return;
      }
      await tx.commit(p.ops);
      p.apply();
    });
  }

  /** Shared databases: takes what other writers committed into the cache, between writes. */
  sync(): Promise<void> {
    const poll = this.#db.poll?.bind(this.#db);
    if (poll === undefined) {
      return this.#closed ? Promise.reject(closedError()) : Promise.resolve();
    }
    return this.#serial(async () => {
      const remote = await poll();
      if (remote === 'reload') {
        await this.#remote.reload();
      } else if (remote.length > 0) {
        this.#remote.apply(remote);
      }
    });
  }

  #serial(work: () => Promise<void>): Promise<void> {
    if (this.#closed) {
      return Promise.reject(closedError());
    }
    const done = this.#writes.then(work, work).catch((e: unknown) => {
      throw wrap(e);
    });
    this.#writes = done.catch(() => undefined);
    return done;
  }

  /** Refuses what comes next and waits for accepted writes; false when already closed. */
  async close(): Promise<boolean> {
    if (this.#closed) {
      return false;
    }
    this.#closed = true;
    await this.#writes;
    return true;
  }
}

function throwReload(): never {
  throw new Error('the database asked for a reload twice in a row');
}

function closedError(): PlatformError {
  return new PlatformError('INTERNAL', { reason: 'store is closed' });
}

function wrap(e: unknown): Error {
  if (isPlatformError(e)) {
    return e;
  }
  const reason = e instanceof Error ? e.message : String(e);
  return new PlatformError('INTERNAL', { reason: `store: ${reason}` }, { cause: e });
}

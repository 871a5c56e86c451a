/**
 * The cached store's discipline for port calls (cached-store.ts): reads are served at once
 * from the cache; writes run one after another (check against the cache, commit, then
 * apply to the cache), so nothing of this process interleaves between a check and its
 * cache update; after close both are refused. Database errors become INTERNAL, so that
 * dialects render them as 5xx; catalog errors pass through.
 */
import { PlatformError, isPlatformError } from '../core/errors.js';
import type { WriteOp } from './persistence.js';

/** What a write checked: the rows to commit and the cache change once they are. */
export type WritePlan = { ops: WriteOp[]; apply: () => void } | undefined;

export class StoreGate {
  readonly #commit: (ops: readonly WriteOp[]) => Promise<void>;
  /** The write in progress: writes run one after another. */
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(commit: (ops: readonly WriteOp[]) => Promise<void>) {
    this.#commit = commit;
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

  /** A write, after the writes before it; `plan` returns undefined when nothing changes. */
  write(plan: () => WritePlan): Promise<void> {
    if (this.#closed) {
      return Promise.reject(closedError());
    }
    const run = async (): Promise<void> => {
      const p = plan();
      if (p === undefined) {
        return;
      }
      await this.#commit(p.ops);
      p.apply();
    };
    const done = this.#writes.then(run, run).catch((e: unknown) => {
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

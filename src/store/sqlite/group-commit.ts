/**
 * Group commit: writes submitted within one tick of the event loop share one transaction.
 *
 *   1. `submit(write)` queues the write and, if it is the first of this tick, schedules a
 *      flush with setImmediate (after every I/O callback of the current loop iteration, so
 *      the writes of every request parsed in that iteration land in the same batch);
 *   2. the flush runs the batch in one IMMEDIATE transaction and resolves every caller
 *      once COMMIT returned: each write is durable when its promise resolves;
 *   3. if the batch fails, it is rolled back whole and every write is retried alone, so
 *      one bad write (a duplicate key) fails only its own caller.
 */
import type Database from 'better-sqlite3';

interface Pending {
  readonly write: () => void;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export interface GroupCommitStats {
  /** Transactions committed (one per batch, or one per write after a failed batch). */
  readonly transactions: number;
  readonly writes: number;
}

export class GroupCommit {
  readonly #db: Database.Database;
  #batch: Pending[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #transactions = 0;
  #writes = 0;
  /** Off: every write commits alone (the benchmark's baseline). */
  readonly #grouped: boolean;

  constructor(db: Database.Database, opts: { grouped?: boolean } = {}) {
    this.#db = db;
    this.#grouped = opts.grouped ?? true;
  }

  get stats(): GroupCommitStats {
    return { transactions: this.#transactions, writes: this.#writes };
  }

  submit(write: () => void): Promise<void> {
    if (!this.#grouped) {
      return new Promise((resolve, reject) => this.#commit([{ write, resolve, reject }]));
    }
    return new Promise((resolve, reject) => {
      this.#batch.push({ write, resolve, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is queued now (also called before the database closes). */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) {
      return;
    }
    if (!this.#commit(batch) && batch.length > 1) {
      for (const p of batch) {
        this.#commit([p]);
      }
    }
  }

  /** One transaction for `batch`; settles every write, or (for a batch) leaves them to retry. */
  #commit(batch: Pending[]): boolean {
    try {
      this.#db
        .transaction(() => {
          for (const p of batch) {
            p.write();
          }
        })
        .immediate();
    } catch (e) {
      if (batch.length === 1) {
        batch[0]?.reject(e);
      }
      return false;
    }
    this.#transactions++;
    this.#writes += batch.length;
    for (const p of batch) {
      p.resolve();
    }
    return true;
  }
}

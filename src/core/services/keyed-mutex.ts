/**
 * A keyed async mutex: callers holding the same key run one after another, in arrival
 * order; different keys never wait for each other. Core uses it to serialise mutations of
 * one function (read–modify–write of its row) so that concurrent updates never lose a
 * write, and of one scope for account-wide concurrency arithmetic.
 *
 * Lock order, to stay deadlock-free: a function lock may be taken before a scope lock,
 * never the other way round (see `functionLockKey` / `scopeLockKey`).
 */
import type { FunctionKey, Scope } from '../model.js';
import { functionKeyString, scopeKey } from '../model.js';

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier holder of `key` has finished; releases on any outcome. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) {
        this.tails.delete(key);
      }
    }
  }

  /** Number of keys currently held or awaited (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}

/** The lock serialising every mutation of one function (its row, versions, aliases, configs). */
export function functionLockKey(key: FunctionKey): string {
  return `fn:${functionKeyString(key)}`;
}

/** The lock serialising account-wide concurrency decisions of one scope. */
export function scopeLockKey(scope: Scope): string {
  return `scope:${scopeKey(scope)}`;
}

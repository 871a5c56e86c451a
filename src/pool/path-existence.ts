/**
 * Whether host paths exist, asked on every launch (a runtime entry's candidates, a
 * configured runtime command's arguments, layers' folders) and answered from memory:
 *
 *   1. the first question about a path stats it (existsSync), once;
 *   2. later questions get the answer kept, and each starts one asynchronous re-check
 *      (at most one in flight per path), whose answer replaces it: a file that disappears
 *      (or appears) is seen by the launches after it, as before, without a synchronous
 *      stat on the event loop at every launch.
 *
 * The paths asked about are few and fixed (configuration, bundled files, content-addressed
 * layers), so the map stays small; `limit` bounds it anyway.
 */
import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';

export class PathExistence {
  readonly #known = new Map<string, boolean>();
  readonly #checking = new Map<string, Promise<void>>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  exists(p: string): boolean {
    const known = this.#known.get(p);
    if (known === undefined) {
      const now = existsSync(p);
      if (this.#known.size >= this.#limit) {
        this.#known.clear();
      }
      this.#known.set(p, now);
      return now;
    }
    if (!this.#checking.has(p)) {
      const check = access(p).then(
        () => true,
        () => false,
      );
      this.#checking.set(
        p,
        check.then((now) => {
          this.#known.set(p, now);
          this.#checking.delete(p);
        }),
      );
    }
    return known;
  }

  /** Resolves when the re-checks started so far have answered (tests). */
  async settled(): Promise<void> {
    await Promise.all(this.#checking.values());
  }
}

/** The pool's (one process, one file system). */
export const pathExistence = new PathExistence();

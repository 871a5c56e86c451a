/**
 * One promise per key, shared by concurrent callers; a failure is not remembered (the
 * next caller tries again), and only when it is still the remembered promise, so a newer
 * one is never dropped for an older failure.
 */
export class PromiseMemo<K, V> {
  readonly #pending = new Map<K, Promise<V>>();

  get(key: K, compute: () => Promise<V>): Promise<V> {
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = compute();
      this.#pending.set(key, p);
      const mine = p;
      mine.catch(() => {
        if (this.#pending.get(key) === mine) {
          this.#pending.delete(key);
        }
      });
    }
    return p;
  }

  /** Whether a promise is pending for `key`. */
  has(key: K): boolean {
    return this.#pending.has(key);
  }

  delete(key: K): void {
    this.#pending.delete(key);
  }

  clear(): void {
    this.#pending.clear();
  }
}

/**
 * Bounds how many environments start at once, across all functions (PoolOptions
 * .maxConcurrentStarts): process starts compete for the same cores, and past a point more
 * of them in parallel only make each slower (performance-notes.md).
 *
 * A start is requested with a `grant` callback, run when a slot is free; it re-checks
 * whether the start is still needed and, if so, takes the slot (`take`) before spawning.
 * On-demand starts go before provisioned ones: someone is waiting for them.
 */

export type StartPriority = 'on-demand' | 'provisioned';

export class StartLimiter {
  #active = 0;
  readonly #max: number;
  readonly #onIdle: () => void;
  readonly #onDemand: (() => void)[] = [];
  readonly #provisioned: (() => void)[] = [];
  #pumping = false;

  /** `onIdle` runs each time the last start in progress ends with none queued. */
  constructor(max: number, onIdle: () => void = () => undefined) {
    this.#max = Math.max(1, max);
    this.#onIdle = onIdle;
  }

  /** Starts in progress. */
  get active(): number {
    return this.#active;
  }

  /** Queues a start; `grant` runs when a slot is free and calls `take()` if it starts one. */
  request(priority: StartPriority, grant: () => void): void {
    (priority === 'on-demand' ? this.#onDemand : this.#provisioned).push(grant);
    this.pump();
  }

  /** Occupies a slot (called by a grant, synchronously, before spawning). */
  take(): void {
    this.#active++;
  }

  /** A start is over (ready or failed): its slot is free. */
  release(): void {
    this.#active = Math.max(0, this.#active - 1);
    this.pump();
    if (this.#active === 0 && this.#onDemand.length === 0 && this.#provisioned.length === 0) {
      this.#onIdle();
    }
  }

  /** Forgets every queued start. */
  clear(): void {
    this.#onDemand.length = 0;
    this.#provisioned.length = 0;
  }

  pump(): void {
    // Grants may release synchronously (a start that fails at once); one loop serves all.
    if (this.#pumping) {
      return;
    }
    this.#pumping = true;
    try {
      while (this.#active < this.#max) {
        const grant = this.#onDemand.shift() ?? this.#provisioned.shift();
        if (grant === undefined) {
          break;
        }
        grant();
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/**
 * The actuation loop around the pure decider (anchors.md §12; Knative's MultiScaler): one
 * timer per registered target, woken at the decision's `nextCheckAt`. Each wake-up:
 *   1. samples demand (tracking targets only) into a 10-minute window;
 *   2. asks `decide(spec, observed, now)`;
 *   3. if the count differs from what the target holds, calls the injected `apply` — the
 *      composition root turns that into a provisioned-config change for the pool;
 *   4. records the outcome (count, last scale-in, last scheduled fire applied) and sleeps.
 *
 * Time and timers are injected, so tests drive it with a fake clock and never sleep. It knows
 * nothing of store, pool or dialects: targets come in through `register`, counts go out
 * through `apply`.
 */
import type { Clock } from '../core/ports.js';
import type { ScalingTarget } from '../core/scaling/driver-types.js';
import {
  decide,
  DEFAULT_DECIDER_TIMING,
  validateDeciderSpec,
  type ConcurrencySample,
  type DeciderTiming,
  type Decision,
} from './decider.js';

export type { ScalingTarget };

/** One-shot timers (Knative's injected tickProvider). */
export interface Timers {
  /** Calls `callback` once after `delayMs`; the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

/** Real timers, unref'd so a pending check never keeps the process alive. */
export const systemTimers: Timers = {
  schedule(callback, delayMs) {
    const t = setTimeout(callback, delayMs);
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface ScalingLoopOptions {
  readonly clock: Clock;
  readonly timers: Timers;
  /**
   * Actuation. Called when a decision differs from the count the target holds, never twice
   * at once for one target. A throw or rejection leaves the count unchanged; the decision
   * is retried after `retryDelayMs`.
   */
  readonly apply: (targetId: string, desired: number, decision: Decision) => void | Promise<void>;
  /** Every decision as it is made, applied or not (range bounds that moved, dashboards). */
  readonly observe?: (targetId: string, decision: Decision) => void;
  /** Failures of `apply` or of deciding (a schedule that throws). Defaults to ignoring them. */
  readonly onError?: (targetId: string, error: unknown) => void;
  /** Retry delay after a failure, ms. Default: the scale-out period (10 s, spec §3.4). */
  readonly retryDelayMs?: number;
  /** Tracking cadence; defaults to Tencent's 10 s / 10 min (spec §3.4). */
  readonly timing?: DeciderTiming;
  /**
   * Longest single timer, ms. Default 1 h: a check weeks away is reached in hops, which
   * stays under setTimeout's 24.8-day limit and re-reads the clock after wall-clock jumps.
   */
  readonly maxSleepMs?: number;
}

/** What the loop last did for a target (for the dashboard and tests). */
export interface TargetStatus {
  readonly desired: number;
  readonly lastDecision?: Decision;
  readonly lastDecidedAtMs?: number;
}

interface Entry {
  target: ScalingTarget;
  currentDesired: number;
  samplingSinceMs: number;
  samples: ConcurrencySample[];
  lastScaleInAtMs?: number;
  lastScaleOutAtMs?: number;
  lastScheduledFireAtMs?: number;
  lastDecision?: Decision;
  lastDecidedAtMs?: number;
  cancelTimer?: () => void;
  /** An `apply` is in flight; no other tick runs for this target meanwhile. */
  applying: boolean;
  /** The spec changed while applying: decide again as soon as the apply settles. */
  dirty: boolean;
  removed: boolean;
}

export class ScalingLoop {
  private readonly entries = new Map<string, Entry>();
  private readonly retryDelayMs: number;
  private readonly maxSleepMs: number;
  private readonly timing: DeciderTiming;
  private stopped = false;

  constructor(private readonly options: ScalingLoopOptions) {
    this.timing = options.timing ?? DEFAULT_DECIDER_TIMING;
    this.retryDelayMs = options.retryDelayMs ?? this.timing.scaleOutPeriodMs;
    this.maxSleepMs = options.maxSleepMs ?? 60 * 60_000;
  }

  /**
   * Adds a target, or replaces the spec of a registered one (a Put on the config). Either way
   * the target is decided again at once (on a zero-delay timer, so this never calls `apply`
   * synchronously).
   */
  register(target: ScalingTarget): void {
    const problems = validateDeciderSpec(target.spec);
    if (problems.length > 0) {
      throw new RangeError(`scaling target '${target.id}': ${problems.join('; ')}`);
    }
    if (this.stopped) {
      throw new Error('the scaling loop is stopped');
    }
    const existing = this.entries.get(target.id);
    if (existing !== undefined) {
      // Demand history and the scale-in clock belong to the version, not to the spec.
      existing.target = target;
      if (existing.applying) {
        existing.dirty = true;
      } else {
        this.wake(existing, 0);
      }
      return;
    }
    const entry: Entry = {
      target,
      currentDesired: target.currentDesired,
      samplingSinceMs: this.options.clock.now(),
      samples: [],
      applying: false,
      dirty: false,
      removed: false,
    };
    this.entries.set(target.id, entry);
    this.wake(entry, 0);
  }

  /** Forgets a target (config deleted). An `apply` in flight completes but is not followed up. */
  unregister(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      return;
    }
    entry.removed = true;
    entry.cancelTimer?.();
    this.entries.delete(id);
  }

  status(id: string): TargetStatus | undefined {
    const e = this.entries.get(id);
    if (e === undefined) {
      return undefined;
    }
    return {
      desired: e.currentDesired,
      ...(e.lastDecision === undefined ? {} : { lastDecision: e.lastDecision }),
      ...(e.lastDecidedAtMs === undefined ? {} : { lastDecidedAtMs: e.lastDecidedAtMs }),
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Cancels every timer; idempotent. */
  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) {
      e.removed = true;
      e.cancelTimer?.();
    }
    this.entries.clear();
  }

  // ---- one tick --------------------------------------------------------------------------

  private wake(entry: Entry, delayMs: number): void {
    entry.cancelTimer?.();
    const delay = Math.min(Math.max(0, delayMs), this.maxSleepMs);
    entry.cancelTimer = this.options.timers.schedule(() => {
      delete entry.cancelTimer;
      this.tick(entry);
    }, delay);
  }

  private tick(entry: Entry): void {
    if (entry.removed || entry.applying) {
      return;
    }
    const now = this.options.clock.now();
    const { spec, sampleConcurrency } = entry.target;

    // 1. Sample: only tracking reads demand, and only the last 10 min of it matters.
    if (spec.tracking !== undefined && sampleConcurrency !== undefined) {
      try {
        entry.samples.push({ atMs: now, concurrency: sampleConcurrency() });
      } catch (e) {
        this.options.onError?.(entry.target.id, e);
      }
      const windowMs = Math.max(this.timing.scaleInWindowMs, spec.tracking.timing?.scaleInWindowMs ?? 0);
      entry.samples = entry.samples.filter((s) => s.atMs > now - windowMs);
    }

    // 2. Decide.
    let decision: Decision;
    try {
      decision = decide(
        spec,
        {
          currentDesired: entry.currentDesired,
          configuredAtMs: entry.target.configuredAtMs,
          samplingSinceMs: entry.samplingSinceMs,
          samples: entry.samples,
          ...(entry.lastScaleInAtMs === undefined ? {} : { lastScaleInAtMs: entry.lastScaleInAtMs }),
          ...(entry.lastScaleOutAtMs === undefined ? {} : { lastScaleOutAtMs: entry.lastScaleOutAtMs }),
          ...(entry.lastScheduledFireAtMs === undefined
            ? {}
            : { lastScheduledFireAtMs: entry.lastScheduledFireAtMs }),
        },
        now,
        this.timing,
      );
    } catch (e) {
      this.options.onError?.(entry.target.id, e);
      this.wake(entry, this.retryDelayMs);
      return;
    }
    entry.lastDecision = decision;
    entry.lastDecidedAtMs = now;
    try {
      this.options.observe?.(entry.target.id, decision);
    } catch (e) {
      this.options.onError?.(entry.target.id, e);
    }

    // 3. Act only on a change. A decision that keeps the count is still recorded: under
    //    tracking a scheduled action can land on the current count and must not re-fire.
    if (decision.desired === entry.currentDesired) {
      this.record(entry, decision, now);
      this.sleepUntil(entry, decision.nextCheckAt, now);
      return;
    }
    let pending: void | Promise<void>;
    try {
      pending = this.options.apply(entry.target.id, decision.desired, decision);
    } catch (e) {
      this.failed(entry, e);
      return;
    }
    if (!(pending instanceof Promise)) {
      this.record(entry, decision, now);
      this.sleepUntil(entry, decision.nextCheckAt, now);
      return;
    }
    entry.applying = true;
    pending.then(
      () => {
        entry.applying = false;
        if (entry.removed) {
          return;
        }
        this.record(entry, decision, now);
        this.afterApply(entry, decision.nextCheckAt, now);
      },
      (e: unknown) => {
        entry.applying = false;
        if (!entry.removed) {
          this.failed(entry, e);
        }
      },
    );
  }

  /** 4. Remember what was applied, as the decider's observed state expects. */
  private record(entry: Entry, decision: Decision, now: number): void {
    entry.currentDesired = decision.desired;
    if (decision.reason === 'tracking-scale-in') {
      entry.lastScaleInAtMs = now;
    } else if (decision.reason === 'tracking-scale-out') {
      entry.lastScaleOutAtMs = now;
    }
    if (decision.action !== undefined && entry.target.spec.tracking !== undefined) {
      entry.lastScheduledFireAtMs = decision.action.firedAtMs;
    }
  }

  private afterApply(entry: Entry, nextCheckAt: number | undefined, decidedAt: number): void {
    if (entry.dirty) {
      entry.dirty = false;
      this.wake(entry, 0);
      return;
    }
    this.sleepUntil(entry, nextCheckAt, decidedAt);
  }

  private failed(entry: Entry, error: unknown): void {
    this.options.onError?.(entry.target.id, error);
    entry.dirty = false;
    this.wake(entry, this.retryDelayMs);
  }

  private sleepUntil(entry: Entry, nextCheckAt: number | undefined, decidedAt: number): void {
    if (nextCheckAt === undefined) {
      // Nothing changes without a new spec (which calls register, which wakes the target).
      return;
    }
    // Measured from now, not from `decidedAt`: an apply may have taken a while.
    const now = Math.max(decidedAt, this.options.clock.now());
    this.wake(entry, nextCheckAt - now);
  }
}

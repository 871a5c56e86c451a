/**
 * On-demand environments, one group per spec key (STYLE.md: a small stateful shell; the
 * decisions are placement.ts's):
 *
 * - an idle stack, most recently used on top, so that the set of environments in use
 *   stays small and the rest age out (the reaper stops those idle for idleTimeoutMs);
 * - the starts in flight and queued, and the invocations waiting for an environment;
 * - "finishing" environments, which answered and have not asked for the next yet: waiters
 *   count on them for the finishing grace (finishingGraceMs) before starting more (no stampede).
 *
 * The environment started for a waiter that fails init gives that waiter its error
 * (§5.6, init-failure.ts). An on-demand init that timed out is retried for the waiter that
 * waited for it (§3.8): that retry has a start of its own and serves only that waiter, and
 * no other environment takes the waiter from it. Leases are not this shell's: dispatch.ts holds them around the
 * wait.
 */
import { performance } from 'node:perf_hooks';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest } from '../../core/ports.js';
import type { Environment } from '../environment.js';
import { finishingGrace, removeFrom, type ShellContext } from '../shell-context.js';
import type { DeathCause, Waiter } from '../types.js';
import { retriedInsideInvoke } from '../init-limits.js';
import { initFailureOutcome } from './init-failure.js';

class OnDemandGroup {
  /** Idle environments, least recently used first. */
  readonly idle: Environment[] = [];
  /** Invocations waiting for an environment, oldest first. */
  readonly waiters: Waiter[] = [];
  /** Processes starting for this spec. */
  starting = 0;
  /** Starts queued for a start slot. */
  queued = 0;
  /** Environments that answered and have not asked for the next yet. */
  finishing = 0;
  /** Bounds how long waiters count on `finishing` environments. */
  grace: NodeJS.Timeout | undefined;
  /** Environments not dead. */
  live = 0;
  /**
   * Waiters whose init timed out, owed a retry inside their invocation (init-limits.ts),
   * oldest first, until their retry starts.
   */
  readonly owed: Waiter[] = [];
  /** Starts queued for a start slot for the waiters in `owed` (part of `queued`). */
  retriesQueued = 0;
  /** Retries in their init (part of `starting`). */
  retrying = 0;
  /** Waiters owed a retry or waiting on one: only their own retry serves them. */
  readonly bound = new Set<Waiter>();
  constructor(readonly spec: EnvironmentSpec) {}
}

/** What placement needs to know about a spec's on-demand environments. */
export interface OnDemandCounts {
  readonly idle: number;
  readonly starting: number;
  readonly queued: number;
  readonly finishing: number;
  readonly waiters: number;
}

export class OnDemandShell {
  readonly #ctx: ShellContext;
  readonly #groups = new Map<string, OnDemandGroup>();
  readonly #groupOf = new Map<Environment, OnDemandGroup>();
  /** Environments counted in their group's `finishing`. */
  readonly #finishing = new Set<Environment>();
  /**
   * Retries of a timed-out init, each run inside the invocation that waited for it (phase
   * `invoke`, §3.8): the retry serves that invocation, and no other environment takes the
   * invocation from it (the retry's init time comes out of that invocation's Timeout).
   */
  readonly #retryFor = new Map<Environment, Waiter>();
  /** The log of a waiter's first, timed-out init, for its Tail log. */
  readonly #firstInitLog = new WeakMap<InvokeRequest, string>();
  #reaper: NodeJS.Timeout | undefined;

  constructor(ctx: ShellContext) {
    this.#ctx = ctx;
  }

  counts(specKey: string): OnDemandCounts | undefined {
    const g = this.#groups.get(specKey);
    return g === undefined
      ? undefined
      : {
          idle: g.idle.length,
          starting: g.starting,
          queued: g.queued,
          finishing: g.finishing,
          waiters: g.waiters.length,
        };
  }

  /** A warm idle environment of the spec, most recently used first, or undefined. */
  takeIdle(specKey: string): Environment | undefined {
    return this.#groups.get(specKey)?.idle.pop();
  }

  /** Waits for an environment of `req.spec`, starting one when no supply is on its way. */
  waitForEnvironment(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome> {
    let group = this.#groups.get(req.spec.key);
    if (group === undefined) {
      group = new OnDemandGroup(req.spec);
      this.#groups.set(req.spec.key, group);
    }
    const g = group;
    return new Promise((resolve, reject) => {
      g.waiters.push({ req, since: performance.now(), resolve, reject });
      this.#pump(g, impatient);
      if (g.waiters.length > g.starting + g.queued) {
        // Counting on an environment that answered to come back for more.
        this.#armGrace(g);
      }
    });
  }

  owns(env: Environment): boolean {
    return this.#groupOf.has(env);
  }

  // ---- environment events (routed by data-plane.ts) --------------------------------------

  onReady(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      group.starting--;
      this.#offer(group, env);
    }
  }

  onAnswered(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      group.finishing++;
      this.#finishing.add(env);
    }
  }

  onIdle(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      this.#unfinish(env, group);
      this.#offer(group, env);
    }
  }

  onDead(env: Environment, cause: DeathCause): void {
    const group = this.#groupOf.get(env);
    if (group === undefined) {
      return;
    }
    this.#unfinish(env, group);
    this.#groupOf.delete(env);
    group.live--;
    removeFrom(group.idle, env);
    if (cause.phase === 'init') {
      group.starting--;
      const retryOf = this.#retryFor.get(env);
      if (retryOf !== undefined) {
        // The retry's invocation gets its error, or (the retry killed) a start like any other.
        this.#retryFor.delete(env);
        group.retrying--;
        group.bound.delete(retryOf);
      }
      const phase = retryOf !== undefined ? 'invoke' : 'init';
      // The invocation that waited for this init: the retry's own, else the oldest waiter
      // that is not waiting on a retry of its own.
      const waiting = retryOf ?? group.waiters.find((w) => !group.bound.has(w));
      if (waiting !== undefined && retriedInsideInvoke(env.spec, phase, cause.failure)) {
        // §3.8: a timed-out on-demand init is tried once more, inside the invocation that
        // waited for it, under the function's timeout; that waiter keeps waiting for it.
        group.owed.push(waiting);
        group.bound.add(waiting);
        this.#firstInitLog.set(waiting.req, cause.initLog);
      } else if (cause.failure.kind !== 'killed') {
        // §5.6: the invocation that waited for this init gets its error.
        const w = waiting !== undefined && takeWaiter(group.waiters, waiting) ? waiting : undefined;
        if (w !== undefined) {
          const outcome = initFailureOutcome(w, env, cause.failure, cause.initLog, {
            phase,
            firstInitLog: this.#firstInitLog.get(w.req) ?? '',
          });
          this.#ctx.stats.outcome(env.series, w.req, outcome, env.initType);
          w.resolve(outcome);
        }
      }
    }
    this.#pump(group);
    this.#forgetIfEmpty(group);
  }

  /** Takes an environment out of its idle stack (drain). */
  unlistIdle(env: Environment): void {
    const group = this.#groupOf.get(env);
    if (group !== undefined) {
      removeFrom(group.idle, env);
    }
  }

  /** Rejects every waiter and stops the reaper (dispose). */
  dispose(reason: unknown): void {
    clearTimeout(this.#reaper);
    for (const group of this.#groups.values()) {
      clearTimeout(group.grace);
      for (const w of group.waiters.splice(0)) {
        w.reject(reason);
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * Requests the starts the group's waiters still need (placement.ts: no stampede).
   * `impatient`: environments that answered but have not come back are not counted.
   */
  #pump(group: OnDemandGroup, impatient = false): void {
    if (this.#ctx.disposed()) {
      return;
    }
    // 1. Each waiter owed a retry gets a start of its own: nothing else serves it.
    while (group.owed.length > group.retriesQueued) {
      group.retriesQueued++;
      group.queued++;
      this.#ctx.limiter.request('on-demand', () => {
        group.retriesQueued--;
        group.queued--;
        let w: Waiter | undefined;
        while (w === undefined && group.owed.length > 0) {
          const next = group.owed.shift();
          // A waiter gone meanwhile was rejected (dispose): its retry is not needed.
          w = next !== undefined && group.waiters.includes(next) ? next : undefined;
        }
        if (w !== undefined && !this.#ctx.disposed()) {
          this.#start(group, w);
        } else {
          this.#forgetIfEmpty(group);
        }
      });
    }
    // 2. The other waiters: placement.ts's count of the supply on its way.
    const finishing = (): number => (impatient ? 0 : group.finishing);
    const unbound = (): number => group.waiters.length - group.bound.size;
    const coming = (): number => group.starting - group.retrying + finishing();
    while (unbound() > coming() + group.queued - group.retriesQueued) {
      group.queued++;
      this.#ctx.limiter.request('on-demand', () => {
        group.queued--;
        // Re-checked when the slot comes: a warm environment may have served the waiter.
        if (!this.#ctx.disposed() && unbound() > coming()) {
          this.#start(group, undefined);
        } else {
          this.#forgetIfEmpty(group);
        }
      });
    }
  }

  /** Starts an environment of the group; `retryFor`: the retry of that waiter's init. */
  #start(group: OnDemandGroup, retryFor: Waiter | undefined): void {
    this.#ctx.startEnvironment(
      group.spec,
      'on-demand',
      undefined,
      (env) => {
        group.starting++;
        group.live++;
        this.#groupOf.set(env, group);
        if (retryFor !== undefined) {
          group.retrying++;
          this.#retryFor.set(env, retryFor);
        }
      },
      retryFor === undefined ? 'init' : 'invoke',
    );
  }

  /** An environment became free: the oldest waiter gets it, else the idle stack. */
  #offer(group: OnDemandGroup, env: Environment): void {
    if (this.#ctx.disposed()) {
      env.kill();
      return;
    }
    const retryOf = this.#retryFor.get(env);
    if (retryOf !== undefined) {
      this.#retryFor.delete(env);
      group.retrying--;
      group.bound.delete(retryOf);
      if (takeWaiter(group.waiters, retryOf)) {
        // The retry serves its own invocation; its init took its time out of the
        // invocation's (§3.8).
        const budgetMs = env.spec.timeoutSec * 1000 - (env.initDurationMs ?? 0);
        env.invoke(retryOf.req, budgetMs).then(retryOf.resolve, retryOf.reject);
        return;
      }
    }
    // The oldest waiter that is not waiting on a retry of its own.
    const w = group.waiters.find((x) => !group.bound.has(x));
    if (w !== undefined && takeWaiter(group.waiters, w)) {
      env.invoke(w.req).then(w.resolve, w.reject);
      return;
    }
    if (this.#ctx.options.idleTimeoutMs === 0) {
      env.retire();
      return;
    }
    group.idle.push(env);
    this.#armReaper();
  }

  /**
   * An environment that answered usually asks for the next within microseconds (an HTTP
   * runtime's POST then GET). Waiters counting on one get finishingGraceMs (default 100 ms); after that
   * they stop counting on it and starts are requested for them.
   */
  #armGrace(group: OnDemandGroup): void {
    if (group.grace !== undefined || this.#ctx.disposed()) {
      return;
    }
    group.grace = setTimeout(() => {
      group.grace = undefined;
      this.#pump(group, true);
    }, finishingGrace(this.#ctx));
    group.grace.unref();
  }

  #unfinish(env: Environment, group: OnDemandGroup): void {
    if (this.#finishing.delete(env)) {
      group.finishing--;
    }
  }

  #forgetIfEmpty(group: OnDemandGroup): void {
    if (
      group.live === 0 &&
      group.waiters.length === 0 &&
      group.queued === 0 &&
      this.#groups.get(group.spec.key) === group
    ) {
      this.#groups.delete(group.spec.key);
    }
  }

  #armReaper(): void {
    if (this.#reaper === undefined && !this.#ctx.disposed()) {
      this.#reaper = setTimeout(() => this.#reap(), this.#ctx.options.idleTimeoutMs);
      this.#reaper.unref();
    }
  }

  /** Stops environments idle for idleTimeoutMs, least recently used first. */
  #reap(): void {
    this.#reaper = undefined;
    const idleTimeoutMs = this.#ctx.options.idleTimeoutMs;
    const now = performance.now();
    let nextDue = Infinity;
    for (const group of this.#groups.values()) {
      for (let oldest = group.idle[0]; oldest !== undefined; oldest = group.idle[0]) {
        const due = oldest.lastUsedMs + idleTimeoutMs;
        if (due > now) {
          nextDue = Math.min(nextDue, due);
          break;
        }
        group.idle.shift();
        oldest.retire();
      }
    }
    if (nextDue !== Infinity && !this.#ctx.disposed()) {
      this.#reaper = setTimeout(() => this.#reap(), Math.max(1, Math.ceil(nextDue - now)));
      this.#reaper.unref();
    }
  }
}

/** Removes `w` from `waiters`; whether it was there. */
function takeWaiter(waiters: Waiter[], w: Waiter): boolean {
  const i = waiters.indexOf(w);
  if (i < 0) {
    return false;
  }
  waiters.splice(i, 1);
  return true;
}

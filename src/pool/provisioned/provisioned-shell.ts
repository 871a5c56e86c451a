/**
 * Provisioned-concurrency configs, one per provisioned key (STYLE.md: a small stateful
 * shell; Allocated/Available/Status and the reconcile plan are provisioned-plan.ts's):
 * desired spec and count, their environments, an idle stack of those that may serve the
 * current spec, and the invocations waiting for one that is finishing.
 *
 * A config is in exactly one state (config-state.ts):
 *   filling  — not yet READY for its current spec and count: it serves nothing (§3.4);
 *   serving  — has been READY for them: it serves, also while a recycled environment is
 *              replaced and Available dips (§3.8 "Lambda always ensures…");
 *   failed   — FUNCTION_ERROR_INIT_FAILURE after the last init attempt: nothing stays;
 *   removed  — deleted (count 0, spec gone) or disposed: draining, then forgotten.
 * A new spec or a larger count goes back to filling (a larger count asked to keep serving,
 * a cluster move's receiver, stays serving); a new spec or count after FAILED starts again.
 */
import { performance } from 'node:perf_hooks';
import { PlatformError } from '../../core/errors.js';
import type { ProvisionedStatus } from '../../core/model.js';
import type { EnvironmentSpec, InvocationOutcome, InvokeRequest } from '../../core/ports.js';
import type { Environment } from '../environment.js';
import { MAX_INIT_ATTEMPTS, planProvisioned, provisionedStatus } from '../provisioned-plan.js';
import { finishingGrace, removeFrom, type ShellContext } from '../shell-context.js';
import type { DeathCause } from '../types.js';
import { ProvisionedConfig } from './provisioned-config.js';

/** What placement needs to know about the config serving an invoke. */
export interface ProvisionedPlacement {
  readonly usable: boolean;
  readonly idle: number;
  readonly finishing: number;
  readonly waiters: number;
}

export class ProvisionedShell {
  readonly #ctx: ShellContext;
  readonly #configs = new Map<string, ProvisionedConfig>();
  readonly #configOf = new Map<Environment, ProvisionedConfig>();

  constructor(ctx: ShellContext) {
    this.#ctx = ctx;
  }

  // ---- placement ---------------------------------------------------------------------------

  /** Placement's view of `key` for an invoke of `specKey`; undefined when no config. */
  placement(key: string, specKey: string, impatient: boolean): ProvisionedPlacement | undefined {
    const cfg = this.#configs.get(key);
    if (cfg === undefined) {
      return undefined;
    }
    if (cfg.previousKey !== undefined && cfg.previousKey === specKey) {
      // An alias move in progress: the previous version's environments serve it (§3.6).
      return { usable: true, idle: cfg.previousIdle.length, finishing: 0, waiters: 0 };
    }
    return {
      // §3.4: only a READY config serves, and only the spec it was built from.
      usable: cfg.state === 'serving' && cfg.spec.key === specKey,
      idle: cfg.idle.length,
      finishing: impatient ? 0 : cfg.finishing.size,
      waiters: cfg.waiters.length,
    };
  }

  /** Runs `req` on a free environment of the config (placement said there is one). */
  invokeOnIdle(key: string, req: InvokeRequest): Promise<InvocationOutcome> {
    const cfg = this.#configs.get(key);
    const env =
      cfg !== undefined && cfg.previousKey === req.spec.key ? cfg.previousIdle.pop() : cfg?.idle.pop();
    if (env === undefined) {
      throw new PlatformError('INTERNAL', { reason: 'provisioned environment vanished' });
    }
    return env.invoke(req);
  }

  /** Waits for one of the config's finishing environments (placement: provisioned-wait). */
  waitForFinishing(key: string, req: InvokeRequest): Promise<InvocationOutcome> {
    const cfg = this.#configs.get(key);
    if (cfg === undefined) {
      throw new PlatformError('INTERNAL', { reason: 'provisioned config vanished' });
    }
    return new Promise((resolve, reject) => {
      cfg.waiters.push({ req, since: performance.now(), resolve, reject });
      this.#armGrace(cfg);
    });
  }

  // ---- the Pool port's provisioned part -----------------------------------------------------

  /** `keepServing`: a larger count keeps a serving config serving (Pool.setProvisioned). */
  set(key: string, spec: EnvironmentSpec | undefined, count: number, keepServing = false): void {
    if (this.#ctx.disposed()) {
      return;
    }
    let cfg = this.#configs.get(key);
    if (spec === undefined || count <= 0) {
      if (cfg !== undefined) {
        // Drain and forget (§3.3 Delete).
        this.#configs.delete(key);
        this.#ctx.stats.forgetConfig(key);
        this.#remove(cfg);
        this.#emitStatus(cfg);
      }
      return;
    }
    if (cfg === undefined) {
      cfg = new ProvisionedConfig(key, spec, count);
      this.#configs.set(key, cfg);
      this.#reconcile(cfg);
      return;
    }
    const specChanged = cfg.spec.key !== spec.key;
    if (!specChanged && cfg.requested === count) {
      // Core re-declares every config of a function on each reconcile: nothing changed.
      return;
    }
    if (specChanged) {
      // Make-before-break (§3.6 alias move): the old spec's initialised environments stay
      // (counted as Allocated) until the new ones are all ready; its starts are abandoned.
      // Those of the spec the config last served READY keep serving it meanwhile (core
      // routes the alias there until this config is READY again).
      if (cfg.state === 'serving' && cfg.previousKey === undefined) {
        cfg.previousKey = cfg.spec.key;
        cfg.previousIdle.push(...cfg.idle);
      }
      if (cfg.previousKey === spec.key) {
        cfg.previousKey = undefined;
        cfg.previousIdle.length = 0;
      }
      cfg.spec = spec;
      cfg.idle.length = 0;
      cfg.finishing.clear();
      this.#redispatch(cfg, 0);
      for (const env of cfg.envs) {
        if (env.state === 'starting') {
          env.retire();
        }
      }
      // Back to a spec whose environments are still here (an alias moved A → B → A before
      // B was ready): they serve again, least recently used first, as onIdle would stack them.
      cfg.idle.push(
        ...[...cfg.envs]
          .filter((env) => env.state === 'idle' && env.spec.key === spec.key)
          .sort((x, y) => x.lastUsedMs - y.lastUsedMs),
      );
    }
    if (
      specChanged ||
      (count > cfg.requested && !(keepServing && cfg.state === 'serving')) ||
      cfg.state === 'failed'
    ) {
      cfg.state = 'filling';
    }
    cfg.requested = count;
    cfg.failures = 0;
    this.#reconcile(cfg);
  }

  status(key: string): ProvisionedStatus {
    const cfg = this.#configs.get(key);
    return cfg === undefined
      ? { allocated: 0, available: 0, status: 'IN_PROGRESS' }
      : provisionedStatus(cfg.counts());
  }

  utilization(key: string): number {
    return this.#configs.get(key)?.utilization() ?? 0;
  }

  /** Forgets every config whose spec key starts with `prefix` (its version is gone). */
  drain(prefix: string): void {
    for (const cfg of [...this.#configs.values()]) {
      if (cfg.spec.key.startsWith(prefix)) {
        this.set(cfg.key, undefined, 0);
      }
    }
  }

  /** Rejects every waiter and forgets every config (dispose). */
  dispose(reason: unknown): void {
    for (const cfg of this.#configs.values()) {
      cfg.state = 'removed';
      clearTimeout(cfg.grace);
      for (const w of cfg.waiters.splice(0)) {
        w.reject(reason);
      }
    }
    this.#configs.clear();
  }

  owns(env: Environment): boolean {
    return this.#configOf.has(env);
  }

  // ---- environment events (routed by data-plane.ts) --------------------------------------

  onReady(env: Environment): void {
    const cfg = this.#configOf.get(env);
    if (cfg === undefined) {
      return;
    }
    cfg.failures = 0;
    if (!this.#serves(cfg) || env.spec.key !== cfg.spec.key) {
      env.retire();
    } else {
      this.#offer(cfg, env);
    }
    this.#reconcile(cfg);
  }

  onAnswered(env: Environment): void {
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined && cfg.state !== 'removed' && env.spec.key === cfg.spec.key) {
      cfg.finishing.add(env);
    }
  }

  onIdle(env: Environment): void {
    const cfg = this.#configOf.get(env);
    if (cfg === undefined) {
      return;
    }
    cfg.finishing.delete(env);
    if (!this.#serves(cfg)) {
      env.retire();
    } else if (env.spec.key === cfg.spec.key) {
      this.#offer(cfg, env);
    } else if (env.spec.key === cfg.previousKey) {
      cfg.previousIdle.push(env);
    } else {
      this.#reconcile(cfg);
    }
  }

  onDead(env: Environment, cause: DeathCause): void {
    const cfg = this.#configOf.get(env);
    if (cfg === undefined) {
      return;
    }
    cfg.finishing.delete(env);
    this.#configOf.delete(env);
    cfg.envs.delete(env);
    removeFrom(cfg.idle, env);
    removeFrom(cfg.previousIdle, env);
    // Waiters beyond what is still finishing go back through placement.
    this.#redispatch(cfg, cfg.finishing.size);
    if (
      cause.phase === 'init' &&
      cause.failure.kind !== 'killed' &&
      cfg.state !== 'removed' &&
      env.spec.key === cfg.spec.key
    ) {
      cfg.failures++;
      cfg.lastInitFailure = cause.failure;
      cfg.maxAttempts = this.#ctx.options.maxInitAttempts ?? MAX_INIT_ATTEMPTS;
      if (cfg.failures >= cfg.maxAttempts) {
        this.#fail(cfg);
      }
    }
    this.#reconcile(cfg);
  }

  /** Takes an environment out of its config's idle stack (drain). */
  unlistIdle(env: Environment): void {
    const cfg = this.#configOf.get(env);
    if (cfg !== undefined) {
      removeFrom(cfg.idle, env);
      removeFrom(cfg.previousIdle, env);
    }
  }

  // ---- internals -------------------------------------------------------------------------

  /** Neither failed nor removed: its environments may serve or be kept. */
  #serves(cfg: ProvisionedConfig): boolean {
    return cfg.state === 'filling' || cfg.state === 'serving';
  }

  /** Brings a config's live environments towards its desired state (provisioned-plan.ts). */
  #reconcile(cfg: ProvisionedConfig): void {
    if (cfg.state === 'removed' || this.#ctx.disposed()) {
      this.#emitStatus(cfg);
      return;
    }
    const plan = planProvisioned(cfg.counts());
    for (let i = 0; i < plan.start; i++) {
      cfg.queued++;
      this.#ctx.limiter.request('provisioned', () => {
        cfg.queued--;
        if (cfg.state !== 'removed' && !this.#ctx.disposed() && planProvisioned(cfg.counts()).start > 0) {
          this.#ctx.startEnvironment(cfg.spec, 'provisioned-concurrency', cfg.key, (env) => {
            cfg.envs.add(env);
            this.#configOf.set(env, cfg);
          });
        }
      });
    }
    if (plan.retire > 0) {
      // Queued starts lapse by themselves when granted; retire processes for the rest,
      // the least useful first: starting, then idle (least recently used), then busy.
      let n = plan.retire - Math.min(plan.retire, cfg.queued);
      const current = [...cfg.envs].filter(
        (e) => e.spec.key === cfg.spec.key && e.state !== 'draining' && e.state !== 'dead',
      );
      const rank = (e: Environment): number => (e.state === 'starting' ? 0 : e.state === 'idle' ? 1 : 2);
      current.sort((x, y) => rank(x) - rank(y) || x.lastUsedMs - y.lastUsedMs);
      for (const env of current) {
        if (n-- <= 0) {
          break;
        }
        removeFrom(cfg.idle, env);
        env.retire();
      }
    }
    if (plan.retireOld) {
      // The move is complete: the previous version's environments go.
      cfg.previousKey = undefined;
      cfg.previousIdle.length = 0;
      for (const env of cfg.envs) {
        if (env.spec.key !== cfg.spec.key) {
          env.retire();
        }
      }
    }
    const status = provisionedStatus(cfg.counts());
    if (status.status === 'READY' && cfg.state === 'filling') {
      cfg.state = 'serving';
    }
    this.#emitStatus(cfg, status);
  }

  /** §3.4: FAILED / FUNCTION_ERROR_INIT_FAILURE after the last init attempt; nothing stays. */
  #fail(cfg: ProvisionedConfig): void {
    cfg.state = 'failed';
    cfg.idle.length = 0;
    cfg.previousKey = undefined;
    cfg.previousIdle.length = 0;
    cfg.finishing.clear();
    this.#redispatch(cfg, 0);
    for (const env of cfg.envs) {
      env.retire();
    }
  }

  #remove(cfg: ProvisionedConfig): void {
    cfg.state = 'removed';
    cfg.idle.length = 0;
    cfg.previousKey = undefined;
    cfg.previousIdle.length = 0;
    clearTimeout(cfg.grace);
    this.#redispatch(cfg, 0);
    for (const env of cfg.envs) {
      env.retire();
    }
  }

  /**
   * Waiters counting on a finishing environment get finishingGraceMs (default 100 ms); after that they
   * go back through placement without counting on it (spillover, usually).
   */
  #armGrace(cfg: ProvisionedConfig): void {
    if (cfg.grace !== undefined || this.#ctx.disposed()) {
      return;
    }
    cfg.grace = setTimeout(() => {
      cfg.grace = undefined;
      for (const w of cfg.waiters.splice(0)) {
        this.#ctx.invoke(w.req, true).then(w.resolve, w.reject);
      }
    }, finishingGrace(this.#ctx));
    cfg.grace.unref();
  }

  /** A provisioned environment is free: a waiter gets it, else the config's idle stack. */
  #offer(cfg: ProvisionedConfig, env: Environment): void {
    const w = cfg.waiters.shift();
    if (w !== undefined) {
      env.invoke(w.req).then(w.resolve, w.reject);
    } else {
      cfg.idle.push(env);
    }
  }

  /** Sends a config's waiters beyond `keep` back through placement (on-demand, usually). */
  #redispatch(cfg: ProvisionedConfig, keep: number): void {
    while (cfg.waiters.length > keep) {
      const w = cfg.waiters.pop();
      if (w !== undefined) {
        this.#ctx.invoke(w.req, false).then(w.resolve, w.reject);
      }
    }
  }

  #emitStatus(cfg: ProvisionedConfig, status?: ProvisionedStatus): void {
    const s =
      status ??
      (cfg.state === 'removed'
        ? { allocated: 0, available: 0, status: 'IN_PROGRESS' as const }
        : provisionedStatus(cfg.counts()));
    const sig = `${s.status}/${s.allocated}/${s.available}/${s.statusReason ?? ''}`;
    if (sig !== cfg.lastSignature) {
      cfg.lastSignature = sig;
      this.#ctx.emit({ type: 'provisioned-status', provisionedKey: cfg.key, status: s });
    }
  }
}

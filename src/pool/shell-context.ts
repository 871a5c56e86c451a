/**
 * What the pool's shells (on-demand/, provisioned/, dispatch.ts) get from the composition
 * (data-plane.ts): settings, the log, the start limiter, event emission, and the two
 * actions that cross shells — starting an environment and sending an invocation back
 * through placement.
 */
import type { Logger } from 'pino';
import type { EnvironmentSpec, InitializationType, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import type { Environment } from './environment.js';
import type { InitPhase } from './init-limits.js';
import type { PoolOptions } from './pool-options.js';
import type { StartLimiter } from './start-limiter.js';
import type { PoolStats } from './stats.js';
import type { PoolEvent } from './types.js';

export interface ShellContext {
  readonly options: PoolOptions;
  readonly log: Logger;
  readonly limiter: StartLimiter;
  /** True once dispose() began. */
  disposed(): boolean;
  emit(event: PoolEvent): void;
  /** The pool's counters (stats.ts). */
  readonly stats: PoolStats;
  /** Creates, registers and starts an environment (the shell files it as its own first). */
  startEnvironment(
    spec: EnvironmentSpec,
    initType: InitializationType,
    provisionedKey: string | undefined,
    adopt: (env: Environment) => void,
    /** `invoke`: the retry of a timed-out on-demand init inside its invocation (init-limits.ts). */
    phase?: InitPhase,
  ): void;
  /**
   * Sends an invocation through placement again; `impatient`: environments between
   * their answer and their next /next are not waited for.
   */
  invoke(req: InvokeRequest, impatient: boolean): Promise<InvocationOutcome>;
}

/** How long a waiter counts on an environment that answered coming back for more. */
export const FINISHING_GRACE_MS = 100;

export function finishingGrace(ctx: ShellContext): number {
  return ctx.options.finishingGraceMs ?? FINISHING_GRACE_MS;
}

export function removeFrom(stack: Environment[], env: Environment): void {
  const i = stack.lastIndexOf(env);
  if (i >= 0) {
    stack.splice(i, 1);
  }
}

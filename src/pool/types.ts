/**
 * The pool's shared vocabulary, in one file that imports nothing of the pool's shells, so
 * that the shells (on-demand/, provisioned/, admission/, dispatch.ts), the environment and
 * the composition (data-plane.ts) can all use it without an import circle.
 */
import type { ProvisionedStatus } from '../core/model.js';
import type { InitializationType, InvocationOutcome, InvokeRequest, Pool } from '../core/ports.js';
import type { EnvironmentState } from './environment-state.js';
import type { PoolStats } from './stats.js';

/** Why an environment never became ready. */
export type InitFailure =
  | { readonly kind: 'init-error'; readonly errorType: string; readonly body: Buffer }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  | { readonly kind: 'timeout'; readonly afterMs: number }
  | { readonly kind: 'entrypoint'; readonly detail: string }
  | { readonly kind: 'killed' };

export type DeathCause =
  | { readonly phase: 'init'; readonly failure: InitFailure; readonly initLog: string }
  | { readonly phase: 'run'; readonly reason: 'exit' | 'timeout' | 'killed' | 'protocol' };

/** An invocation waiting for an environment (a shell's queue entry). */
export interface Waiter {
  readonly req: InvokeRequest;
  /** performance.now() when it started waiting. */
  readonly since: number;
  readonly resolve: (o: InvocationOutcome) => void;
  readonly reject: (e: unknown) => void;
}

export interface FunctionLogEntry {
  readonly environmentId: number;
  readonly specKey: string;
  readonly functionName: string;
  readonly version: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** Raw text: lines may be split across entries. */
  readonly text: string;
}

export interface EnvironmentFacts {
  readonly environmentId: number;
  readonly specKey: string;
  readonly initializationType: InitializationType;
  readonly provisionedKey?: string;
}

export type PoolEvent =
  | (EnvironmentFacts & { readonly type: 'environment-starting' })
  | (EnvironmentFacts & { readonly type: 'environment-ready'; readonly initDurationMs: number })
  | (EnvironmentFacts & { readonly type: 'environment-dead'; readonly cause: string })
  /** The process is gone and reaped (after `environment-dead`). */
  | (EnvironmentFacts & { readonly type: 'environment-exited' })
  | {
      readonly type: 'provisioned-status';
      readonly provisionedKey: string;
      readonly status: ProvisionedStatus;
    };

export interface EnvironmentView extends EnvironmentFacts {
  readonly pid: number | undefined;
  readonly state: EnvironmentState;
}

/** The Pool port plus observation for tests, metrics and the dashboard. */
export interface HearthPool extends Pool {
  /** Every environment not yet dead. */
  environments(): EnvironmentView[];
  /** Calls `listener` with every event until the returned function is called. */
  subscribe(listener: (event: PoolEvent) => void): () => void;
  /** The pool's counters: invocations, errors, throttles, durations, spill-overs (stats.ts). */
  readonly stats: PoolStats;
  /** Resolves when the code cache prune running now, if any, is over (code-cache.ts). */
  codeCachePruned(): Promise<void>;
  /**
   * The pids of the pre-started runtimes waiting for a function (launchers/prestarted.ts),
   * once those being started now have been.
   */
  prestartedRuntimes(): Promise<number[]>;
}

/** A short description of a death, for logs and `environment-dead` events. */
export function describeDeath(cause: DeathCause): string {
  if (cause.phase === 'run') {
    return cause.reason;
  }
  const f = cause.failure;
  switch (f.kind) {
    case 'init-error':
      return `init error ${f.errorType}`;
    case 'exit':
      return `exited during init (code ${f.code}, signal ${f.signal})`;
    case 'timeout':
      return `init timed out after ${f.afterMs} ms`;
    case 'entrypoint':
      return `cannot start: ${f.detail}`;
    case 'killed':
      return 'killed during init';
  }
}

/**
 * What an environment is given (environment.ts): its spec and limits, where it runs, and
 * who hears of it (the pool, a log sink).
 */
import type { EnvironmentSpec, InitializationType, InvocationOutcome, InvokeRequest } from '../core/ports.js';
import type { Environment } from './environment.js';
import type { InitPhase } from './init-limits.js';
import type { LaunchOptions } from './launch.js';
import type { Launcher } from './launchers/launcher.js';
import type { FunctionSeries } from './stats.js';
import type { DeathCause } from './types.js';

export interface EnvironmentListener {
  /** Init completed: the environment is idle and may take an invocation. */
  onReady(env: Environment): void;
  /** Its invocation has an outcome; the runtime has not asked for the next one yet. */
  onAnswered(env: Environment): void;
  /** An invocation is over and the runtime asked for the next one. */
  onIdle(env: Environment): void;
  /** The environment is dead (once per environment). */
  onDead(env: Environment, cause: DeathCause): void;
  /** An invocation has its outcome (counted in the pool's stats), just before its caller gets it. */
  onOutcome(env: Environment, req: InvokeRequest, outcome: InvocationOutcome): void;
}

/** A chunk of function log text (process output or a platform line), for a log sink. */
export type LogSink = (env: Environment, text: Buffer | string) => void;

export interface EnvironmentOptions {
  readonly id: number;
  readonly spec: EnvironmentSpec;
  readonly initType: InitializationType;
  readonly initTimeoutMs: number;
  /** `invoke`: a retry inside the invocation that waited for a timed-out init (init-limits.ts). */
  readonly initPhase?: InitPhase;
  readonly launch: LaunchOptions;
  /** Where the process runs (launchers/). */
  readonly launcher: Launcher;
  readonly listener: EnvironmentListener;
  readonly logSink: LogSink | undefined;
  /** The provisioned config this environment belongs to, if any. */
  readonly provisionedKey?: string;
  /** Where its invocations are counted (stats.ts), found once per environment. */
  readonly series: FunctionSeries;
}

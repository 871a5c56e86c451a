/**
 * One provisioned-concurrency config's record (provisioned-shell.ts acts on it): its state
 * (config-state.ts), desired spec and count, its environments, and what it counts of them
 * for provisioned-plan.ts.
 */
import type { EnvironmentSpec } from '../../core/ports.js';
import type { Environment } from '../environment.js';
import { isInitialised } from '../environment-state.js';
import type { ProvisionedCounts } from '../provisioned-plan.js';
import type { InitFailure, Waiter } from '../types.js';
import type { ConfigState } from './config-state.js';

export class ProvisionedConfig {
  state: ConfigState = 'filling';
  readonly envs = new Set<Environment>();
  /** Idle environments of the current spec, least recently used first. */
  readonly idle: Environment[] = [];
  /**
   * During an alias move (§3.6): the spec the config served when it was READY, whose
   * initialised environments keep serving it until the current spec is READY (core routes
   * the alias to it meanwhile), and their idle stack.
   */
  previousKey: string | undefined;
  readonly previousIdle: Environment[] = [];
  /** Invocations waiting for a current-spec environment that is finishing (placement.ts). */
  readonly waiters: Waiter[] = [];
  /** Current-spec environments that answered and have not asked for the next yet. */
  readonly finishing = new Set<Environment>();
  /** Bounds how long waiters count on `finishing` environments. */
  grace: NodeJS.Timeout | undefined;
  /** Starts queued for a start slot. */
  queued = 0;
  /** Init failures in a row. */
  failures = 0;
  /** Why the last of them failed (StatusReason while retrying, init-limits.ts). */
  lastInitFailure: InitFailure | undefined;
  /** Attempts before FAILED (§3.4: 6). */
  maxAttempts = 6;
  /** The last status emitted, to emit changes only. */
  lastSignature = '';
  constructor(
    readonly key: string,
    public spec: EnvironmentSpec,
    public requested: number,
  ) {}

  /** Live environments by spec generation (provisioned-plan.ts); draining ones are not counted. */
  counts(): ProvisionedCounts {
    let currentStarting = this.queued;
    let currentInitialised = 0;
    let oldInitialised = 0;
    let oldServing = 0;
    for (const env of this.envs) {
      const s = env.state;
      if (env.spec.key === this.spec.key) {
        if (s === 'starting') {
          currentStarting++;
        } else if (isInitialised(s)) {
          currentInitialised++;
        }
      } else if (isInitialised(s)) {
        oldInitialised++;
        if (env.spec.key === this.previousKey) {
          oldServing++;
        }
      }
    }
    return {
      requested: this.requested,
      failed: this.state === 'failed',
      ...(this.lastInitFailure === undefined || this.failures === 0
        ? {}
        : {
            lastInitFailure: {
              failure: this.lastInitFailure,
              failures: this.failures,
              maxAttempts: this.maxAttempts,
            },
          }),
      currentStarting,
      currentInitialised,
      oldInitialised,
      oldServing,
    };
  }

  /** Busy / allocated (initialised, any spec); 0 when FAILED or nothing is allocated. */
  utilization(): number {
    if (this.state === 'failed') {
      return 0;
    }
    let busy = 0;
    let allocated = 0;
    for (const env of this.envs) {
      if (isInitialised(env.state)) {
        allocated++;
        if (env.state === 'busy') {
          busy++;
        }
      }
    }
    return allocated === 0 ? 0 : busy / allocated;
  }
}

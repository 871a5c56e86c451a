/**
 * Provisioned concurrency as pure functions of what is live (table-tested): the status a
 * config reports (aws-lambda.md §3.4) and what the reconciler must do next (§3.3, §3.8).
 *
 * Working definitions (§3.4 [DESIGN]):
 * - Allocated = initialised environments of the config, of any spec (during an alias move
 *   the old version's environments still count until they are replaced);
 * - Available = initialised environments of the config's current spec; during an alias
 *   move (§3.6, recorded: IN_PROGRESS, Allocated 1, Available 1 right after the move), the
 *   previous version's environments that still serve the alias until the new spec is
 *   complete;
 * - READY when the current spec's initialised environments == Requested; FAILED after `MAX_INIT_ATTEMPTS` init failures in a
 *   row (§3.4: "AWS attempts initialization a total of 6 times"), then Allocated =
 *   Available = 0; IN_PROGRESS otherwise.
 */
import type { ProvisionedStatus } from '../core/model.js';
import { initFailureSentence, retryingReason } from './init-limits.js';
import type { InitFailure } from './types.js';

export const MAX_INIT_ATTEMPTS = 6;
export const INIT_FAILURE_REASON = 'FUNCTION_ERROR_INIT_FAILURE';

/** Live environments of one config, by spec generation; draining ones are not counted. */
export interface ProvisionedCounts {
  readonly requested: number;
  readonly failed: boolean;
  /** Current spec: processes starting, plus starts queued for a start slot. */
  readonly currentStarting: number;
  /** Current spec: initialised (idle or busy). */
  readonly currentInitialised: number;
  /** Older specs (alias moved): initialised. */
  readonly oldInitialised: number;
  /** Of those, the previous spec's, serving the alias while the move lasts. */
  readonly oldServing?: number;
  /** The last init attempt failed (since the last success): why, and how many in a row. */
  readonly lastInitFailure?: {
    readonly failure: InitFailure;
    readonly failures: number;
    readonly maxAttempts: number;
  };
}

export function provisionedStatus(c: ProvisionedCounts): ProvisionedStatus {
  const last = c.lastInitFailure;
  const why = last === undefined ? {} : { lastInitFailure: initFailureSentence(last.failure) };
  if (c.failed) {
    // AWS's StatusReason stays the recorded code (§3.4); the why goes beside it.
    return { allocated: 0, available: 0, status: 'FAILED', statusReason: INIT_FAILURE_REASON, ...why };
  }
  const ready = c.currentInitialised === c.requested;
  const moving = !ready && (c.oldServing ?? 0) > 0;
  return {
    allocated: c.currentInitialised + c.oldInitialised,
    available: moving ? Math.min(c.requested, c.oldServing ?? 0) : c.currentInitialised,
    status: ready ? 'READY' : 'IN_PROGRESS',
    // While inits fail and are retried, the config says why (init-limits.ts) [DESIGN].
    ...(ready || last === undefined
      ? {}
      : { statusReason: retryingReason(last.failures, last.maxAttempts, last.failure), ...why }),
  };
}

export interface ProvisionedPlan {
  /** Environments of the current spec to start. */
  readonly start: number;
  /** Environments of the current spec to retire (scale-down). */
  readonly retire: number;
  /** Retire every environment of older specs (make-before-break is complete). */
  readonly retireOld: boolean;
}

/**
 * Only the difference is acted on: scaling changes `start`/`retire`, never both, and the
 * old spec's environments go only once the current spec is fully initialised.
 */
export function planProvisioned(c: ProvisionedCounts): ProvisionedPlan {
  if (c.failed) {
    return { start: 0, retire: c.currentStarting + c.currentInitialised, retireOld: true };
  }
  const live = c.currentStarting + c.currentInitialised;
  return {
    start: Math.max(0, c.requested - live),
    retire: Math.max(0, live - c.requested),
    retireOld: c.currentInitialised >= c.requested,
  };
}

/**
 * How long an environment's init may take, and how a timed-out init is reported
 * (aws-lambda.md §3.8, §5.6; the dialects' ledgers "Init timeouts"). Pure, table-tested.
 *
 * AWS [DOC lambda-runtime-environment, "Init phase"]:
 *   - on-demand: "The Init phase is limited to 10 seconds. If all three tasks do not
 *     complete within 10 seconds, Lambda retries the Init phase at the time of the first
 *     function invocation with the configured function timeout." The retry is a suppressed
 *     init inside the invoke: its limit is the function's Timeout, and what it takes comes
 *     out of that invoke's time;
 *   - provisioned concurrency: "The time limit is 130 seconds or the configured function
 *     timeout (maximum 900 seconds), whichever is higher";
 *   - a timed-out init logs `INIT_REPORT Init Duration: <ms> ms\tPhase: init\tStatus: timeout`;
 *     the retry inside the invoke reports `Phase: invoke` (the Telemetry API's
 *     `platform.initReport` phase is `init` | `invoke` [DOC telemetry-schema-reference]).
 * SCF: a function's own `InitTimeout` (1–300 s) bounds its init; there is no second attempt
 * inside the invoke [DESIGN: SCF documents the limit, not a retry].
 */
import type { EnvironmentSpec, InitializationType } from '../core/ports.js';
import type { InitFailure } from './types.js';

export const ON_DEMAND_INIT_LIMIT_MS = 10_000;
export const PROVISIONED_INIT_FLOOR_MS = 130_000;

/**
 * `init`: an environment's own init; `invoke`: the retry of an on-demand init that timed
 * out, run inside the invocation that waited for it (a suppressed init).
 */
export type InitPhase = 'init' | 'invoke';

export interface InitLimitSettings {
  /** Scaled down in tests; AWS's 10 s otherwise. */
  readonly onDemandInitTimeoutMs?: number | undefined;
  /** Scaled down in tests; AWS's 130 s otherwise. */
  readonly provisionedInitTimeoutMs?: number | undefined;
}

/** The init limit of an environment of `spec`, in ms. */
export function initLimitMs(
  spec: Pick<EnvironmentSpec, 'timeoutSec' | 'initTimeoutSec'>,
  initType: InitializationType,
  phase: InitPhase,
  s: InitLimitSettings,
): number {
  const functionTimeoutMs = spec.timeoutSec * 1000;
  if (phase === 'invoke') {
    return functionTimeoutMs;
  }
  if (spec.initTimeoutSec !== undefined) {
    // SCF's InitTimeout is the function's own init limit, on-demand or provisioned.
    return spec.initTimeoutSec * 1000;
  }
  return initType === 'on-demand'
    ? (s.onDemandInitTimeoutMs ?? ON_DEMAND_INIT_LIMIT_MS)
    : Math.max(s.provisionedInitTimeoutMs ?? PROVISIONED_INIT_FLOOR_MS, functionTimeoutMs);
}

/**
 * Whether an on-demand init that failed so is retried inside the invocation that waited
 * for it (AWS's rule above): only a timeout, only the first attempt, only under AWS's
 * default limit (a function with its own InitTimeout has no second attempt).
 */
export function retriedInsideInvoke(
  spec: Pick<EnvironmentSpec, 'initTimeoutSec'>,
  phase: InitPhase,
  failure: InitFailure,
): boolean {
  return failure.kind === 'timeout' && phase === 'init' && spec.initTimeoutSec === undefined;
}

/** `130.00 seconds`: seconds with two decimals, as AWS's timeout messages write them. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} seconds`;
}

/** One short sentence on why an init failed, for StatusReason and the log. */
export function initFailureSentence(f: InitFailure): string {
  switch (f.kind) {
    case 'timeout':
      return `the runtime did not become ready within the init limit of ${seconds(f.afterMs)} (INIT_REPORT Status: timeout)`;
    case 'init-error':
      return `the function's init failed with ${f.errorType}`;
    case 'exit':
      return f.signal !== null
        ? `the runtime was killed by ${f.signal} during init`
        : `the runtime exited with status ${f.code ?? 0} during init`;
    case 'entrypoint':
      return `the runtime could not be started: ${f.detail}`;
    case 'killed':
      return 'the environment was stopped during init';
  }
}

/**
 * StatusReason of a provisioned config whose last init attempt failed and that is
 * retrying [DESIGN: AWS documents a StatusReason only for FAILED].
 */
export function retryingReason(failures: number, maxAttempts: number, f: InitFailure): string {
  return `Init attempt ${failures} of ${maxAttempts} failed: ${initFailureSentence(f)}. Retrying.`;
}

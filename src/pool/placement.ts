/**
 * Where an invocation runs, decided from counts alone (pure; table-tested in
 * placement.test.ts). The pool's shell gathers the counts, calls `place`, and acts.
 *
 * Order (aws-lambda.md §3.7, §3.10):
 *   1. reserved concurrency 0 blocks every invoke (§3.2) → THROTTLED_RESERVED;
 *   2. a free environment of a READY provisioned config serving this exact spec → use it;
 *      it is not counted against any on-demand pool (§3.7 "account-pool accounting");
 *      none free, but one has answered and is about to ask for the next (an HTTP runtime
 *      between its response and its /next) → wait for that one rather than spill over;
 *   3. otherwise on-demand, which needs a lease:
 *      - a reserved function may run `reserved − Σ requested PC` on-demand executions,
 *        else THROTTLED_RESERVED (reserved == Σ PC throttles $LATEST, §3.7);
 *      - any other function counts against the scope's unreserved capacity, else
 *        THROTTLED_ACCOUNT (Reason ConcurrentInvocationLimitExceeded, §3.10);
 *   4. with a lease: a warm idle environment of the spec; else wait for one already
 *      starting that no earlier waiter has claimed; else start one (no stampede: never
 *      more starts in flight than invocations waiting for them).
 */

export interface PlacementInput {
  /** Reserved concurrency of the function, if set. */
  readonly reserved?: number;
  /** Σ requested provisioned concurrency of the function. */
  readonly provisionedTotal: number;
  /** The scope's UnreservedConcurrentExecutions. */
  readonly unreservedCapacity: number;
  /** On-demand executions of this (reserved) function now leased. */
  readonly busyFunction: number;
  /** Unreserved on-demand executions of the scope now leased. */
  readonly busyScope: number;
  /** Provisioned config for this invoke: usable = READY and built from the invoke's spec. */
  readonly provisioned?: {
    readonly usable: boolean;
    readonly idle: number;
    /** environments that answered and have not asked for the next yet */
    readonly finishing: number;
    /** invocations already waiting for one of those */
    readonly waiters: number;
  };
  /** On-demand environments of the invoke's spec. */
  readonly onDemand: {
    readonly idle: number;
    /**
     * environments on their way to idle: processes starting, starts queued for a start
     * slot, and environments that answered and have not asked for the next yet
     */
    readonly starting: number;
    /** invocations already waiting for an environment of this spec */
    readonly waiters: number;
  };
}

/** Which on-demand counter a lease is taken from. */
export type LeaseKind = 'function' | 'scope';

export type Placement =
  | { readonly kind: 'provisioned' }
  | { readonly kind: 'provisioned-wait' }
  | { readonly kind: 'throttle'; readonly code: 'THROTTLED_RESERVED' | 'THROTTLED_ACCOUNT' }
  | { readonly kind: 'warm'; readonly lease: LeaseKind }
  | { readonly kind: 'wait'; readonly lease: LeaseKind }
  | { readonly kind: 'start'; readonly lease: LeaseKind };

export function place(i: PlacementInput): Placement {
  if (i.reserved === 0) {
    return { kind: 'throttle', code: 'THROTTLED_RESERVED' };
  }
  const pc = i.provisioned;
  if (pc !== undefined && pc.usable) {
    if (pc.idle > 0) {
      return { kind: 'provisioned' };
    }
    if (pc.finishing > pc.waiters) {
      return { kind: 'provisioned-wait' };
    }
  }
  let lease: LeaseKind;
  if (i.reserved !== undefined) {
    if (i.busyFunction >= i.reserved - i.provisionedTotal) {
      return { kind: 'throttle', code: 'THROTTLED_RESERVED' };
    }
    lease = 'function';
  } else {
    if (i.busyScope >= i.unreservedCapacity) {
      return { kind: 'throttle', code: 'THROTTLED_ACCOUNT' };
    }
    lease = 'scope';
  }
  if (i.onDemand.idle > 0) {
    return { kind: 'warm', lease };
  }
  if (i.onDemand.starting > i.onDemand.waiters) {
    return { kind: 'wait', lease };
  }
  return { kind: 'start', lease };
}

/** The on-demand starts a spec still needs: one per waiter not covered by a start in flight. */
export function startsNeeded(waiters: number, starting: number): number {
  return Math.max(0, waiters - starting);
}

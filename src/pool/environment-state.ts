/**
 * The closed set of states an environment goes through, and the legal moves between them
 * (STYLE.md: OpenWhisk's container pool). Only `transition` changes a state; an illegal
 * move is a bug in the pool and throws.
 *
 *   starting ──ready──▶ idle ──dispatch──▶ busy ──next──▶ idle …
 *      │                 │                   │
 *      │                 │                   └──retire──▶ draining ──▶ dead
 *      └──fail/kill──────┴──kill/reap/exit────┴──crash/timeout────────▶ dead
 *
 * - starting: the process runs its init; it has not asked for work yet (aws-lambda.md §5.6);
 * - idle: it waits on /next with nothing to do and may be given an invocation;
 * - busy: it has an invocation, or has answered one and not yet asked for the next;
 * - draining: busy, but retired: it is killed as soon as its invocation has an outcome;
 * - dead: killed or exited; never leaves this state.
 */

export type EnvironmentState = 'starting' | 'idle' | 'busy' | 'draining' | 'dead';

const LEGAL: Readonly<Record<EnvironmentState, readonly EnvironmentState[]>> = {
  starting: ['idle', 'dead'],
  idle: ['busy', 'dead'],
  busy: ['idle', 'draining', 'dead'],
  draining: ['dead'],
  dead: [],
};

export function canTransition(from: EnvironmentState, to: EnvironmentState): boolean {
  return LEGAL[from].includes(to);
}

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: EnvironmentState,
    readonly to: EnvironmentState,
  ) {
    super(`environment cannot go from ${from} to ${to}`);
  }
}

/** Returns `to` when the move is legal; throws otherwise. */
export function transition(from: EnvironmentState, to: EnvironmentState): EnvironmentState {
  if (!canTransition(from, to)) {
    throw new IllegalTransitionError(from, to);
  }
  return to;
}

/** Initialised and still serving or able to serve (counts as Allocated, §3.4). */
export function isInitialised(s: EnvironmentState): boolean {
  return s === 'idle' || s === 'busy';
}

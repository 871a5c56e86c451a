/**
 * Account-level concurrency arithmetic (spec §3.1–3.2). Pure.
 *
 * [DESIGN, spec §3.1] UnreservedConcurrentExecutions = ConcurrentExecutions − Σ_f claim(f),
 * where claim(f) = reserved(f) if set, else Σ requested provisioned concurrency of f. PC
 * inside a reservation is part of that reservation and is not counted twice.
 */
import { PlatformError } from '../errors.js';

export interface FunctionConcurrencyClaim {
  /** Reserved concurrent executions, if set. */
  readonly reserved?: number;
  /** Requested provisioned concurrency per qualifier. */
  readonly provisioned: Readonly<Record<string, number>>;
}

/** Σ requested provisioned concurrency of one function. */
export function provisionedTotal(claim: FunctionConcurrencyClaim): number {
  let total = 0;
  for (const n of Object.values(claim.provisioned)) {
    total += n;
  }
  return total;
}

/** What a function takes out of the account's unreserved pool. */
export function claimOf(claim: FunctionConcurrencyClaim): number {
  return claim.reserved ?? provisionedTotal(claim);
}

/** UnreservedConcurrentExecutions of a scope with these claims. */
export function unreservedConcurrency(limit: number, claims: Iterable<FunctionConcurrencyClaim>): number {
  let unreserved = limit;
  for (const c of claims) {
    unreserved -= claimOf(c);
  }
  return unreserved;
}

export interface ReservedPutCheck {
  /** The account's ConcurrentExecutions. */
  readonly limit: number;
  /** Floor of UnreservedConcurrentExecutions (AWS: 100). */
  readonly minUnreserved: number;
  /** Σ claim(g) over every other function g of the scope. */
  readonly otherClaims: number;
  /** The function's current claim (its reservation and provisioned configs). */
  readonly current: FunctionConcurrencyClaim;
  /** The reservation asked for. */
  readonly requested: number;
}

/**
 * Validates PutFunctionConcurrency in AWS's order (spec §3.2 steps 3–4):
 * the account floor first (also covers `requested` above the account limit), then the
 * function's own provisioned total.
 */
export function checkReservedPut(c: ReservedPutCheck): void {
  if (c.limit - c.otherClaims - c.requested < c.minUnreserved) {
    throw new PlatformError('RESERVED_BELOW_UNRESERVED_MINIMUM', { minimum: c.minUnreserved });
  }
  const totalProvisioned = provisionedTotal(c.current);
  if (totalProvisioned > c.requested) {
    throw new PlatformError('RESERVED_BELOW_PROVISIONED', { requested: c.requested, totalProvisioned });
  }
}

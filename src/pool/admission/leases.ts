/**
 * Admission leases (§3.7, §3.10): on-demand executions in flight, counted per reserved
 * function and per scope (unreserved), so that placement can refuse one over its limit;
 * and memory in flight per scope where a dialect sets a memory budget (SCF's account
 * quota for functions without a reservation, tencent-scf quotas.ts).
 * A lease is taken before an on-demand invocation waits or runs and released on every
 * path out of it (dispatch.ts).
 */
import type { AdmissionInput } from '../../core/ports.js';
import type { LeaseKind } from '../placement.js';

export class Leases {
  readonly #counts = new Map<string, number>();
  /** Memory in flight per scope, MB (AdmissionInput.memoryBudget). */
  readonly #memoryMb = new Map<string, number>();

  /**
   * Takes `memoryMb` of the scope's budget for the whole invocation, or undefined when it
   * would exceed `limitMb` (SCF's account quota, spec §3.1: the caller is throttled).
   */
  takeMemory(scopeKey: string, memoryMb: number, limitMb: number): (() => void) | undefined {
    const current = this.#memoryMb.get(scopeKey) ?? 0;
    if (current + memoryMb > limitMb) {
      return undefined;
    }
    this.#memoryMb.set(scopeKey, current + memoryMb);
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const next = (this.#memoryMb.get(scopeKey) ?? 0) - memoryMb;
      if (next <= 0) {
        this.#memoryMb.delete(scopeKey);
      } else {
        this.#memoryMb.set(scopeKey, next);
      }
    };
  }

  /** Memory in flight in a scope, MB. */
  memoryInFlightMb(scopeKey: string): number {
    return this.#memoryMb.get(scopeKey) ?? 0;
  }

  /** On-demand executions of this reserved function now leased. */
  busyFunction(a: AdmissionInput): number {
    return this.#counts.get(`function:${a.functionKey}`) ?? 0;
  }

  /** Unreserved on-demand executions of this scope now leased. */
  busyScope(a: AdmissionInput): number {
    return this.#counts.get(`scope:${a.scopeKey}`) ?? 0;
  }

  /** Takes a lease; the returned function releases it (once). */
  take(kind: LeaseKind, a: AdmissionInput): () => void {
    const key = kind === 'function' ? `function:${a.functionKey}` : `scope:${a.scopeKey}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      const n = (this.#counts.get(key) ?? 1) - 1;
      if (n === 0) {
        this.#counts.delete(key);
      } else {
        this.#counts.set(key, n);
      }
    };
  }
}

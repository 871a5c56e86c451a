/**
 * The account quota at invoke time (quotas.ts header): SCF invocations of functions without
 * a reservation may have at most T − Σ R MB in flight in one scope. Functions with a
 * reservation are held to it by core's admission instead.
 *
 * This counts the invocations that enter through this dialect; AWS-dialect invokes of the
 * same functions are governed by core's count-based account limit only (README, gaps).
 */
export class InvokeGate {
  readonly #inFlightMb = new Map<string, number>();

  /** Takes `memoryMb` of `scopeKey`'s budget, or returns false when it would exceed `limitMb`. */
  tryEnter(scopeKey: string, memoryMb: number, limitMb: number): boolean {
    const current = this.#inFlightMb.get(scopeKey) ?? 0;
    if (current + memoryMb > limitMb) {
      return false;
    }
    this.#inFlightMb.set(scopeKey, current + memoryMb);
    return true;
  }

  leave(scopeKey: string, memoryMb: number): void {
    const next = (this.#inFlightMb.get(scopeKey) ?? 0) - memoryMb;
    if (next <= 0) {
      this.#inFlightMb.delete(scopeKey);
    } else {
      this.#inFlightMb.set(scopeKey, next);
    }
  }

  inFlightMb(scopeKey: string): number {
    return this.#inFlightMb.get(scopeKey) ?? 0;
  }
}

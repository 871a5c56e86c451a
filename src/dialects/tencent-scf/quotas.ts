/**
 * SCF's concurrency quotas in MB (spec §3.1, §3.5), as pure arithmetic over one account
 * (scope). Provisioned concurrency is counted in instances and costs instances × MemorySize
 * (spec §1 finding 8).
 *
 *   total T (TotalConcurrencyMem, default 128000 MB)
 *   ├─ 12800 MB never allocatable to reserved or provisioned concurrency (§3.1)
 *   ├─ reserved R(f) per function: its ceiling and guarantee; its PC lives inside it
 *   └─ the allocatable pool: T − 12800 − Σ R − Σ PC of functions without R
 *
 * How the MB quotas reach core's count-based admission (the decision, documented in the
 * README): a reserved quota R becomes core's reserved concurrency floor(R / MemorySize), so
 * every dialect's invokes are held to it; the account total is enforced for SCF invokes by
 * the pool's admission (a memory budget held per invocation, AdmissionInput.memoryBudget)
 * against T − Σ R.
 */

/** Spec §3.1: "12,800 MB of the account quota is never allocatable". */
export const UNALLOCATABLE_MB = 12_800;
/** Spec §3.1: the default account quota in major regions. */
export const DEFAULT_TOTAL_CONCURRENCY_MEM = 128_000;

export interface ProvisionedClaim {
  readonly qualifier: string;
  readonly instances: number;
  /** MemorySize of the version the config runs. */
  readonly memoryMb: number;
}

export interface FunctionQuota {
  /** functionKeyString of the function. */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** $LATEST's MemorySize, MB. */
  readonly memoryMb: number;
  /** Effective reserved quota, MB; undefined when none. */
  readonly reservedMb?: number;
  readonly provisioned: readonly ProvisionedClaim[];
}

export interface AccountQuota {
  /** TotalConcurrencyMem, MB. */
  readonly totalMb: number;
  readonly functions: readonly FunctionQuota[];
}

export function provisionedMb(f: FunctionQuota, exceptQualifier?: string): number {
  return f.provisioned.reduce(
    (s, p) => (p.qualifier === exceptQualifier ? s : s + p.instances * p.memoryMb),
    0,
  );
}

export function provisionedInstances(f: FunctionQuota): number {
  return f.provisioned.reduce((s, p) => s + p.instances, 0);
}

export function reservedTotalMb(acct: AccountQuota, exceptId?: string): number {
  return acct.functions.reduce((s, f) => (f.id === exceptId ? s : s + (f.reservedMb ?? 0)), 0);
}

/** Memory committed out of T: Σ reserved + Σ PC of functions without a reservation (GetAccount usage). */
export function usedMb(acct: AccountQuota): number {
  return sumsOf(acct).committedMb;
}

/** Sums over an account, computed once per (immutable) view: reads stay O(1) per function. */
interface AccountSums {
  readonly byId: ReadonlyMap<string, FunctionQuota>;
  /** Σ R + Σ PC of functions without R, MB. */
  readonly committedMb: number;
}

const sums = new WeakMap<AccountQuota, AccountSums>();

function sumsOf(acct: AccountQuota): AccountSums {
  let s = sums.get(acct);
  if (s === undefined) {
    const byId = new Map<string, FunctionQuota>();
    let committedMb = 0;
    for (const f of acct.functions) {
      byId.set(f.id, f);
      committedMb += f.reservedMb ?? provisionedMb(f);
    }
    s = { byId, committedMb };
    sums.set(acct, s);
  }
  return s;
}

/** The pool function `fnId` (without a reservation) may provision from, its own PC not counted. */
export function allocatablePoolMb(acct: AccountQuota, fnId: string): number {
  const { byId, committedMb } = sumsOf(acct);
  const own = byId.get(fnId);
  const ownCommitted = own === undefined ? 0 : (own.reservedMb ?? provisionedMb(own));
  const ownReserved = own?.reservedMb ?? 0;
  // Every R counts, the function's own included; every PC of the others without R.
  return acct.totalMb - UNALLOCATABLE_MB - (committedMb - ownCommitted) - ownReserved;
}

/**
 * UnallocatedConcurrencyNum (spec §3.2 [REC]): instances this function can still configure,
 * floor(R / M) − Σ allocated with a reservation, floor(pool / M) − Σ allocated without,
 * never below 0.
 */
export function unallocatedConcurrencyNum(acct: AccountQuota, fnId: string): number {
  const f = sumsOf(acct).byId.get(fnId);
  if (f === undefined || f.memoryMb <= 0) {
    return 0;
  }
  const budget = f.reservedMb ?? allocatablePoolMb(acct, fnId);
  return Math.max(0, Math.floor(budget / f.memoryMb) - provisionedInstances(f));
}

export type ProvisionedQuotaBreach = 'reserved' | 'available';

/**
 * Spec §3.5 PutProvisionedConcurrencyConfig step 7: S·M against R, or against the pool.
 * `instances` is the most the config may hold (static, scheduled or tracking maximum).
 */
export function provisionedBreach(
  acct: AccountQuota,
  fnId: string,
  qualifier: string,
  instances: number,
  versionMemoryMb: number,
): ProvisionedQuotaBreach | undefined {
  const f = acct.functions.find((x) => x.id === fnId);
  if (f === undefined) {
    return undefined;
  }
  const need = provisionedMb(f, qualifier) + instances * versionMemoryMb;
  if (f.reservedMb !== undefined) {
    return need > f.reservedMb ? 'reserved' : undefined;
  }
  return need > allocatablePoolMb(acct, fnId) ? 'available' : undefined;
}

export type ReservedQuotaBreach = 'total' | 'provisioned';

/** Spec §3.5 PutReservedConcurrencyConfig: Σ R ≤ T − 12800, and R ≥ the function's PC memory. */
export function reservedBreach(
  acct: AccountQuota,
  fnId: string,
  reservedMb: number,
): ReservedQuotaBreach | undefined {
  if (reservedTotalMb(acct, fnId) + reservedMb > acct.totalMb - UNALLOCATABLE_MB) {
    return 'total';
  }
  const f = acct.functions.find((x) => x.id === fnId);
  if (f !== undefined && reservedMb < provisionedMb(f)) {
    return 'provisioned';
  }
  return undefined;
}

export type TotalQuotaBreach = 'above-limit' | 'below-used';

/** Spec §3.5 PutTotalConcurrencyConfig: ≤ the platform limit, ≥ used + 12800. */
export function totalBreach(
  acct: AccountQuota,
  totalMb: number,
  limitMb: number,
): TotalQuotaBreach | undefined {
  if (totalMb > limitMb) {
    return 'above-limit';
  }
  if (totalMb < usedMb(acct) + UNALLOCATABLE_MB) {
    return 'below-used';
  }
  return undefined;
}

/** Memory unreserved functions may have in flight at once: T − Σ R. */
export function unreservedInvokeMb(acct: AccountQuota): number {
  return acct.totalMb - reservedTotalMb(acct);
}

/** Core's reserved count for an MB quota (the mapping above). */
export function reservedInstances(reservedMb: number, memoryMb: number): number {
  return Math.floor(reservedMb / memoryMb);
}

/**
 * The concurrency limits of an account (spec §3.1): the platform's figures
 * (`--account-concurrency`, `--min-unreserved-concurrency`), or an account's own where the
 * operator set them (issue 12 item 3: "per-account limits are settings"; the credentials
 * file's `accounts` section, src/auth/README.md).
 */

export interface CoreLimits {
  /** Account-wide ConcurrentExecutions. */
  readonly accountConcurrency: number;
  /** Floor for UnreservedConcurrentExecutions. */
  readonly minUnreservedConcurrency: number;
  /**
   * One account's own figures, where it has them (the credentials file's `accounts`;
   * read at every decision, so a reload applies at once); the two above otherwise.
   */
  readonly forAccount?: (accountId: string) => Partial<AccountLimits> | undefined;
}

/** The limits of one account. */
export interface AccountLimits {
  readonly accountConcurrency: number;
  readonly minUnreservedConcurrency: number;
}

/**
 * `accountId`'s limits: its own where set, else the platform's. An account given only a
 * ConcurrentExecutions below the platform's floor keeps a floor no higher than its limit
 * (else every reservation and provisioned put of it would be refused).
 */
export function accountLimits(limits: CoreLimits, accountId: string): AccountLimits {
  const own = limits.forAccount?.(accountId);
  const accountConcurrency = own?.accountConcurrency ?? limits.accountConcurrency;
  return {
    accountConcurrency,
    minUnreservedConcurrency:
      own?.minUnreservedConcurrency ?? Math.min(limits.minUnreservedConcurrency, accountConcurrency),
  };
}

/**
 * Per-account limits (issue 12 item 3: "per-account limits are settings"), listed in the
 * credentials file next to the keys, reloaded with them:
 *
 *   accounts:
 *     - accountId: "111111111111"
 *       concurrentExecutions: 50        # AWS AccountLimit.ConcurrentExecutions
 *       minUnreservedConcurrency: 10    # floor of UnreservedConcurrentExecutions
 *       userConcurrencyMemLimit: 64000  # SCF: highest TotalConcurrencyMem, MB
 *       namespacesCount: 2              # SCF: namespaces besides `default`
 *       functionsCount: 10              # SCF: functions per namespace
 *
 * Every field is optional: what an account does not set is the platform's figure (the
 * `--account-concurrency`, `--min-unreserved-concurrency` and `HEARTH_SCF_*` settings).
 * [DESIGN] on AWS and SCF these are quotas raised through a support case; here the
 * operator writes them. An account with both AWS and Tencent keys has one set of limits.
 *
 * Pure: no files.
 */
import { z } from 'zod';

export interface AccountSettings {
  readonly concurrentExecutions?: number;
  readonly minUnreservedConcurrency?: number;
  readonly userConcurrencyMemLimit?: number;
  readonly namespacesCount?: number;
  readonly functionsCount?: number;
}

const count = (min: number) => z.number().int().min(min).max(1_000_000_000);

export const accountEntrySchema = z
  .strictObject({
    accountId: z
      .string()
      .regex(/^\d{1,20}$/, 'must be decimal digits (an AWS account id or a Tencent AppId)'),
    concurrentExecutions: count(1).optional(),
    minUnreservedConcurrency: count(0).optional(),
    userConcurrencyMemLimit: count(128).optional(),
    namespacesCount: count(0).optional(),
    functionsCount: count(1).optional(),
  })
  .refine(
    (e) =>
      e.concurrentExecutions === undefined ||
      e.minUnreservedConcurrency === undefined ||
      e.minUnreservedConcurrency <= e.concurrentExecutions,
    { message: 'minUnreservedConcurrency may not exceed concurrentExecutions' },
  );

export type AccountEntry = z.infer<typeof accountEntrySchema>;

/** Limits looked up by account id. */
export interface AccountTable {
  of(accountId: string): AccountSettings | undefined;
}

export const EMPTY_ACCOUNT_TABLE: AccountTable = { of: () => undefined };

/** One entry per account; `where` names the file in messages. */
export function buildAccountTable(
  entries: readonly AccountEntry[],
  where: string,
  fail: (message: string) => Error,
): AccountTable {
  const byId = new Map<string, AccountSettings>();
  for (const [i, e] of entries.entries()) {
    if (byId.has(e.accountId)) {
      throw fail(`${where}: accounts[${i}]: account ${e.accountId} is listed twice`);
    }
    const { accountId, ...given } = e;
    // Only the fields the file sets (zod leaves absent ones undefined).
    const settings = Object.fromEntries(
      Object.entries(given).filter(([, v]) => v !== undefined),
    ) as AccountSettings;
    byId.set(accountId, settings);
  }
  return { of: (accountId) => byId.get(accountId) };
}

/**
 * An account's concurrency figures as core reads them (core's `CoreLimits.forAccount`:
 * `accountConcurrency`, `minUnreservedConcurrency`), from a credential source's accounts.
 */
export function concurrencyLimitsOf(source: {
  accountSettings?(accountId: string): AccountSettings | undefined;
}): (accountId: string) => { accountConcurrency?: number; minUnreservedConcurrency?: number } | undefined {
  return (accountId) => {
    const own = source.accountSettings?.(accountId);
    if (own === undefined) {
      return undefined;
    }
    return {
      ...(own.concurrentExecutions === undefined ? {} : { accountConcurrency: own.concurrentExecutions }),
      ...(own.minUnreservedConcurrency === undefined
        ? {}
        : { minUnreservedConcurrency: own.minUnreservedConcurrency }),
    };
  };
}

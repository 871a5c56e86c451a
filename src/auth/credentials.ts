/**
 * One credentials source for every dialect: the access keys hearth accepts and the one
 * account each key belongs to (issue 12 items 1, 9). Parsed from the credentials file
 * (JSON or YAML, credentials-file.ts) and from the deprecated `HEARTH_SCF_CREDENTIALS`.
 *
 *   credentials:
 *     - { accessKeyId: AKIA…, secretAccessKey: …, sessionToken?: …, accountId: "111111111111" }
 *     - { secretId: AKID…, secretKey: …, token?: …, appId?: "1250000000", accountId?: "111111111111" }
 *
 * A Tencent key names its account by `accountId` (then it shares that account with the
 * AWS keys of the same id: the SCF `default` namespace is that account's AWS functions),
 * or by `appId` alone: then the account is the one another key links that AppId to, else
 * the AppId itself (an SCF-only account). A key without either is refused: a key belongs
 * to exactly one account, never silently to the platform's default.
 *
 * Pure: no files, no clock. Nothing here ever puts a secret into an error message.
 */
import { z } from 'zod';
import { accountEntrySchema, type AccountEntry, type AccountSettings } from './account-settings.js';

export type Vendor = 'aws' | 'tencent';

export interface AccessKey {
  readonly vendor: Vendor;
  /** AWS access key id or Tencent SecretId. */
  readonly id: string;
  /** AWS secret access key or Tencent SecretKey. */
  readonly secret: string;
  /** STS-style session token the requests of this key must carry (X-Amz-Security-Token / X-TC-Token). */
  readonly sessionToken?: string;
  /** The hearth account (core scope) the key acts as. */
  readonly accountId: string;
  /** Tencent AppId of the account, when given. */
  readonly appId?: string;
}

/** An immutable set of keys, looked up by vendor and id. */
export interface KeyRing {
  readonly size: number;
  find(vendor: Vendor, id: string): AccessKey | undefined;
}

/**
 * What a dialect is handed: whether signatures are verified at all (fixed at start), and
 * the current keys (replaced when the file changes).
 */
export interface CredentialSource {
  /**
   * `verify`: every request must be signed with a configured key. `open`: no credentials
   * are configured and hearth listens on loopback (or runs `--insecure`): any signature,
   * or none, acts as the platform's account.
   */
  readonly mode: 'open' | 'verify';
  /** The platform's account (open mode's single account). */
  readonly defaultAccountId: string;
  find(vendor: Vendor, id: string): AccessKey | undefined;
  /** An account's own limits (the file's `accounts`, account-settings.ts), when it has any. */
  accountSettings?(accountId: string): AccountSettings | undefined;
}

const text = z.string().min(1).max(1024);
const AWS_ACCOUNT = z.string().regex(/^\d{12}$/, 'must be 12 digits');

const awsEntry = z.strictObject({
  accessKeyId: z.string().regex(/^[A-Za-z0-9_+=,.@-]{1,128}$/, 'must be 1-128 letters, digits or _+=,.@-'),
  secretAccessKey: text,
  sessionToken: text.optional(),
  accountId: AWS_ACCOUNT,
});

const tencentEntry = z
  .strictObject({
    secretId: z.string().regex(/^[A-Za-z0-9_+=,.@-]{1,128}$/, 'must be 1-128 letters, digits or _+=,.@-'),
    secretKey: text,
    token: text.optional(),
    appId: z
      .string()
      .regex(/^\d{1,20}$/, 'must be decimal digits')
      .optional(),
    accountId: AWS_ACCOUNT.optional(),
  })
  .refine((e) => e.accountId !== undefined || e.appId !== undefined, {
    message: 'a Tencent key needs accountId or appId: a key belongs to exactly one account',
  });

const entry = z.union([awsEntry, tencentEntry], {
  error:
    'must be an AWS key {accessKeyId, secretAccessKey, accountId} or a Tencent key {secretId, secretKey, accountId or appId}',
});

export const credentialsFileSchema = z.strictObject({
  credentials: z.array(entry),
  accounts: z.array(accountEntrySchema).optional(),
});

export type CredentialEntry = z.infer<typeof entry>;

export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * Validates decoded file content (JSON or YAML) into key entries. `where` names the source
 * in messages (a path, or `HEARTH_SCF_CREDENTIALS`).
 */
export function parseCredentialEntries(doc: unknown, where: string): CredentialEntry[] {
  return parseCredentialsDocument(doc, where).credentials;
}

/** The keys and the per-account limits of a decoded file. */
export function parseCredentialsDocument(
  doc: unknown,
  where: string,
): { credentials: CredentialEntry[]; accounts: AccountEntry[] } {
  const parsed = credentialsFileSchema.safeParse(doc);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`);
    throw new CredentialsError(`${where}: invalid credentials:\n${lines.join('\n')}`);
  }
  return { credentials: parsed.data.credentials, accounts: parsed.data.accounts ?? [] };
}

/** One key per id, each with its account resolved (see the header). */
export function buildKeyRing(entries: readonly CredentialEntry[], where: string): KeyRing {
  // AppId → account, from the Tencent keys that name both.
  const accountOfAppId = new Map<string, string>();
  for (const [i, e] of entries.entries()) {
    if ('secretId' in e && e.appId !== undefined && e.accountId !== undefined) {
      const known = accountOfAppId.get(e.appId);
      if (known !== undefined && known !== e.accountId) {
        throw new CredentialsError(
          `${where}: credentials[${i}]: appId ${e.appId} is linked to account ${known} by another key, not ${e.accountId}`,
        );
      }
      accountOfAppId.set(e.appId, e.accountId);
    }
  }
  const keys = new Map<string, AccessKey>();
  for (const [i, e] of entries.entries()) {
    const key: AccessKey =
      'accessKeyId' in e
        ? {
            vendor: 'aws',
            id: e.accessKeyId,
            secret: e.secretAccessKey,
            accountId: e.accountId,
            ...(e.sessionToken === undefined ? {} : { sessionToken: e.sessionToken }),
          }
        : {
            vendor: 'tencent',
            id: e.secretId,
            secret: e.secretKey,
            // The refine above guarantees one of the two.
            accountId: e.accountId ?? accountOfAppId.get(e.appId ?? '') ?? e.appId ?? '',
            ...(e.appId === undefined ? {} : { appId: e.appId }),
            ...(e.token === undefined ? {} : { sessionToken: e.token }),
          };
    const k = `${key.vendor}:${key.id}`;
    if (keys.has(k)) {
      throw new CredentialsError(
        `${where}: credentials[${i}]: key ${key.id} is listed twice (a key belongs to exactly one account)`,
      );
    }
    keys.set(k, key);
  }
  return {
    size: keys.size,
    find: (vendor, id) => keys.get(`${vendor}:${id}`),
  };
}

export const EMPTY_KEY_RING: KeyRing = { size: 0, find: () => undefined };

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

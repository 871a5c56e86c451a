/**
 * The rules a PutProvisionedConcurrencyConfig must pass, as a pure function (aws-lambda.md
 * §3.3). The order of the checks is part of the contract: AWS reports the first failing
 * one, and clients see which.
 *
 *   3. a weighted alias cannot carry provisioned concurrency;
 *   4. with reserved concurrency R: Σ other configs + requested ≤ R;
 *   5. without: requested ≤ the account's unreserved concurrency (this config's current
 *      request counted as freed);
 *   6. without: what stays unreserved must not drop below the floor (100 by default);
 *   7. one config per version: alias vs version, and alias vs alias, conflicts (409).
 * Steps 0–2 (value ≥ 1, `$LATEST`, resolution) happen before, in the dialect and service.
 */
import { PlatformError } from '../errors.js';
import type { AliasRecord, ProvisionedConfigRecord } from '../model.js';
import { isVersionQualifier } from '../model.js';

export interface ProvisionedPutInput {
  readonly functionName: string;
  readonly qualifier: string;
  readonly requested: number;
  /** The alias being configured, when the qualifier is an alias. */
  readonly alias?: AliasRecord;
  /** Function's reserved concurrency, if set. */
  readonly reserved?: number;
  /** Every existing config of the function (including the one being replaced, if any). */
  readonly configs: readonly ProvisionedConfigRecord[];
  /** Every alias of the function. */
  readonly aliases: readonly AliasRecord[];
  /** The account's current UnreservedConcurrentExecutions. */
  readonly unreserved: number;
  /** Floor for UnreservedConcurrentExecutions. */
  readonly minUnreserved: number;
}

/** The version a qualifier's provisioned environments run: the version itself or the alias's primary. */
export function targetVersionOf(qualifier: string, aliases: readonly AliasRecord[]): string | undefined {
  if (isVersionQualifier(qualifier)) {
    return qualifier;
  }
  return aliases.find((a) => a.name === qualifier)?.functionVersion;
}

/** Throws the PlatformError of the first rule the request breaks; returns when it passes them all. */
export function checkProvisionedPut(input: ProvisionedPutInput): void {
  const { functionName, qualifier, requested } = input;
  if (input.alias !== undefined && Object.keys(input.alias.additionalVersionWeights).length > 0) {
    throw new PlatformError('PROVISIONED_ON_WEIGHTED_ALIAS', { functionName, alias: qualifier });
  }
  const existing = input.configs.find((c) => c.qualifier === qualifier)?.requested ?? 0;
  if (input.reserved !== undefined) {
    const others = input.configs
      .filter((c) => c.qualifier !== qualifier)
      .reduce((s, c) => s + c.requested, 0);
    if (others + requested > input.reserved) {
      throw new PlatformError('PROVISIONED_EXCEEDS_RESERVED', { requested, reserved: input.reserved });
    }
  } else {
    // Without a reservation the function's claim on the account is Σ requested (§3.1
    // DESIGN), so this config's current request is given back before comparing.
    const unreserved = input.unreserved + existing;
    if (requested > unreserved) {
      throw new PlatformError('PROVISIONED_EXCEEDS_UNRESERVED', { unreserved });
    }
    if (unreserved - requested < input.minUnreserved) {
      throw new PlatformError('PROVISIONED_BELOW_UNRESERVED_MINIMUM', { minimum: input.minUnreserved });
    }
  }
  checkOneConfigPerVersion(functionName, qualifier, input.configs, input.aliases);
}

/**
 * Step 7 alone: the config on `qualifier` and every other config must provision different
 * versions. Also checked when an alias that carries a config is moved (UpdateAlias).
 */
export function checkOneConfigPerVersion(
  functionName: string,
  qualifier: string,
  configs: readonly ProvisionedConfigRecord[],
  aliases: readonly AliasRecord[],
): void {
  const version = targetVersionOf(qualifier, aliases);
  if (version === undefined) {
    return;
  }
  for (const c of configs) {
    if (c.qualifier === qualifier) {
      continue;
    }
    if (isVersionQualifier(c.qualifier)) {
      // Another config sits on the version itself: an alias may not provision it again.
      if (c.qualifier === version && !isVersionQualifier(qualifier)) {
        throw new PlatformError('PROVISIONED_ALIAS_ON_PROVISIONED_VERSION', {
          functionName,
          alias: qualifier,
          version,
        });
      }
      continue;
    }
    const other = aliases.find((a) => a.name === c.qualifier);
    if (other?.functionVersion !== version) {
      continue;
    }
    if (isVersionQualifier(qualifier)) {
      throw new PlatformError('PROVISIONED_VERSION_POINTED_BY_ALIAS', {
        functionName,
        version,
        alias: other.name,
      });
    }
    // Two aliases on one version: AWS forbids it (DOC) without a recorded message; we
    // reuse the alias-vs-version one (§3.3 step 7 DESIGN).
    throw new PlatformError('PROVISIONED_ALIAS_ON_PROVISIONED_VERSION', {
      functionName,
      alias: qualifier,
      version,
    });
  }
}

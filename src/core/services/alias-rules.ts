/**
 * The rules an alias's routing must satisfy (spec §2.3 CreateAlias/UpdateAlias). Pure.
 * A dialect checks its wire constraints first (key pattern, weight range, with its own
 * messages); these are the semantic rules every dialect shares.
 */
import { PlatformError } from '../errors.js';
import { LATEST, isVersionQualifier, type AliasRecord } from '../model.js';

/** An alias routes to its primary version and at most this many additional ones. */
export const MAX_ADDITIONAL_VERSIONS = 1;

/**
 * Throws ROUTING_TOO_MANY_VERSIONS, ROUTING_WITH_LATEST, ROUTING_SAME_AS_PRIMARY or
 * INVALID_PARAMETER (key not a version number, weight outside [0, 1]).
 */
export function checkRouting(primaryVersion: string, weights: Readonly<Record<string, number>>): void {
  const additional = Object.entries(weights);
  if (additional.length > MAX_ADDITIONAL_VERSIONS) {
    throw new PlatformError('ROUTING_TOO_MANY_VERSIONS', {});
  }
  for (const [version, weight] of additional) {
    if (!isVersionQualifier(version)) {
      throw new PlatformError('INVALID_PARAMETER', {
        field: 'additionalVersionWeights',
        reason: `Additional version ${version} must be a published version number.`,
      });
    }
    if (!(weight >= 0 && weight <= 1)) {
      throw new PlatformError('INVALID_PARAMETER', {
        field: 'additionalVersionWeights',
        reason: `Weight ${weight} of version ${version} must be between 0.0 and 1.0.`,
      });
    }
    if (primaryVersion === LATEST) {
      throw new PlatformError('ROUTING_WITH_LATEST', {});
    }
    if (version === primaryVersion) {
      throw new PlatformError('ROUTING_SAME_AS_PRIMARY', { version });
    }
  }
}

/**
 * The routing of an alias after an update (§3.6, evidence in the ledger): an alias with
 * provisioned concurrency that moves to another version without weights of its own keeps
 * being served by the version it left, which AWS shows as a transient weight of 1 on it,
 * until the new version's environments are READY. A move back to that version ends it.
 */
export function shiftOnMove(
  before: AliasRecord,
  next: Pick<AliasRecord, 'functionVersion' | 'additionalVersionWeights'>,
  provisioned: boolean,
): AliasRecord['provisionedShift'] {
  if (!provisioned || Object.keys(next.additionalVersionWeights).length > 0) {
    return undefined;
  }
  // The version whose environments serve the alias now: the one an earlier move left.
  const serving = before.provisionedShift?.fromVersion ?? before.functionVersion;
  if (serving === next.functionVersion || serving === LATEST) {
    return undefined;
  }
  return { fromVersion: serving };
}

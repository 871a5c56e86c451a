/**
 * hearth's neutral data model. Names and units are the platform's own (`memoryMb`,
 * `timeoutSec`); only dialects know vendor field names (ARCHITECTURE.md principle 1).
 *
 * Every resource lives in a scope (account, region); SCF namespaces sit inside a scope and
 * the AWS dialect sees namespace `default` only.
 */
import type { ScalingPolicy } from './scaling/scaling-policy.js';

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export const DEFAULT_NAMESPACE = 'default';
export const LATEST = '$LATEST';

/** Identifies one function. */
export interface FunctionKey extends Scope {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The configuration of one version of a function: `$LATEST`'s current one, or a published
 * version's frozen copy. Code is referenced by the package's sha256 (hex), stored
 * content-addressed by the PackageStore.
 */
export interface FunctionConfig {
  /** Canonical runtime id that decides how environments start, e.g. `nodejs20.x`, `provided.al2023`. */
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description: string;
  readonly timeoutSec: number;
  readonly memoryMb: number;
  /** Undefined when variables were never set (AWS then omits `Environment`). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly architectures: readonly string[];
  readonly ephemeralStorageMb: number;
  readonly tracingMode: string;
  readonly logFormat: string;
  /** Undefined means the default `/aws/lambda/<name>`. */
  readonly logGroup?: string;
  readonly codeSha256Hex: string;
  readonly codeSizeBytes: number;
  /**
   * The layer versions this configuration runs with, in order (a later layer's files win);
   * absent when none. Resolved when configured: the package stays even if the layer
   * version is deleted later (AWS: a deleted version keeps working for its functions).
   */
  readonly layers?: readonly FunctionLayer[];
  /**
   * Fields a dialect accepts and echoes but core does not act on (VpcConfig, Layers, SCF's
   * own settings...), keyed by the dialect's name for them.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * The one `extra` key core acts on: a function's own init limit in seconds (SCF's
 * InitTimeout); the pool bounds the init by it instead of AWS's limits (pool/init-limits.ts).
 */
export const INIT_TIMEOUT_EXTRA = 'scfInitTimeout';

export interface VersionRecord {
  /** `$LATEST` or a decimal version number. */
  readonly version: string;
  readonly config: FunctionConfig;
  /** A UUID, new on every change of this version's record. */
  readonly revisionId: string;
  readonly lastModifiedMs: number;
}

export interface FunctionRecord {
  readonly key: FunctionKey;
  readonly createdMs: number;
  /** The mutable head; published versions are separate, immutable VersionRecords. */
  readonly latest: VersionRecord;
  /** Highest version number ever published (never reused, even after deletes); 0 if none. */
  readonly lastPublishedVersion: number;
  /**
   * `configDigest` of `$LATEST` when it was last published: PublishVersion makes a new
   * version exactly when `$LATEST` differs from it (description included, as AWS does).
   * Absent in records written before it existed.
   */
  readonly publishedFrom?: string;
  /** Reserved concurrent executions; undefined when none is reserved. */
  readonly reservedConcurrency?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Dialect-specific function-level settings (e.g. SCF quotas in MB). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /**
   * Resource-based policies by target: `$LATEST` for the unqualified function, a version
   * number or an alias name (policy-service.ts). Absent or empty: no policy.
   */
  readonly policies?: Readonly<Record<string, ResourcePolicy>>;
  /** Runtime management controls by version (`$LATEST` or a number); absent: Auto. */
  readonly runtimeManagement?: Readonly<Record<string, RuntimeManagement>>;
}

/** AWS's runtime management controls: when the runtime version may change. */
export interface RuntimeManagement {
  readonly updateRuntimeOn: 'Auto' | 'FunctionUpdate' | 'Manual';
  /** The pinned runtime version's digest (RuntimeCatalog), for Manual only. */
  readonly pinnedDigest?: string;
}

/** A resource-based policy: statements in the order they were added (AddPermission). */
export interface ResourcePolicy {
  /** Changes with every statement added or removed (GetPolicy's RevisionId). */
  readonly revisionId: string;
  readonly statements: readonly PolicyStatement[];
}

/** One statement; `document` is the dialect's own rendering (an IAM statement for AWS). */
export interface PolicyStatement {
  readonly sid: string;
  readonly document: Readonly<Record<string, unknown>>;
}

export interface AliasRecord {
  readonly name: string;
  /** `$LATEST` or a version number. */
  readonly functionVersion: string;
  readonly description: string;
  /** Additional version → weight in [0, 1]; empty when the alias routes to one version. */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  /**
   * A move of an alias that carries provisioned concurrency, in progress (aws-lambda.md
   * §3.6): AWS routes the alias to the version it left, through a weight of 1 that it adds
   * to the routing itself, until the new version's environments are READY; core clears
   * both then. Absent otherwise.
   */
  readonly provisionedShift?: { readonly fromVersion: string };
  readonly revisionId: string;
  readonly createdMs: number;
  readonly lastModifiedMs: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Desired provisioned concurrency for one qualifier (alias name or version number).
 * Actual state (allocated, available, status) lives in the pool, never here.
 */
export interface ProvisionedConfigRecord {
  readonly qualifier: string;
  readonly requested: number;
  readonly lastModifiedMs: number;
  /**
   * What moves `requested` over time (SCF TriggerActions and utilisation tracking, in
   * neutral terms; core/scaling/scaling-policy.ts); absent for a static config.
   */
  readonly scaling?: ScalingPolicy;
}

export interface NamespaceRecord {
  readonly name: string;
  readonly description: string;
  readonly createdMs: number;
  readonly lastModifiedMs: number;
}

/** Observed state of a provisioned config, computed by the pool from live environments. */
export interface ProvisionedStatus {
  readonly allocated: number;
  readonly available: number;
  readonly status: 'IN_PROGRESS' | 'READY' | 'FAILED';
  readonly statusReason?: string;
  /** Why the last init attempt failed, in words, while retrying or once FAILED (init-limits.ts). */
  readonly lastInitFailure?: string;
}

/** Identifies one layer. Layers live in a scope (account, region), outside namespaces. */
export interface LayerKey extends Scope {
  readonly layerName: string;
}

/** Identifies one version of a layer. */
export interface LayerVersionKey extends LayerKey {
  readonly version: number;
}

/** One published, immutable version of a layer; its zip is in the PackageStore. */
export interface LayerVersionRecord {
  readonly layerName: string;
  readonly version: number;
  readonly description: string;
  readonly createdMs: number;
  readonly codeSha256Hex: string;
  readonly codeSizeBytes: number;
  /** Undefined when the publisher gave none (AWS then omits the member; `[]` is kept). */
  readonly compatibleRuntimes?: readonly string[];
  readonly compatibleArchitectures?: readonly string[];
  readonly licenseInfo?: string;
}

/** A layer version as a function's configuration holds it (FunctionConfig.layers). */
export interface FunctionLayer extends LayerVersionKey {
  readonly codeSha256Hex: string;
  readonly codeSizeBytes: number;
}

/** True when `q` names a published version (`^[0-9]+$`). */
export function isVersionQualifier(q: string): boolean {
  return /^[0-9]+$/.test(q);
}

/**
 * A key object's string, made once per object. The invoke path asks for the strings of the
 * same few key objects again and again (a remembered target hands one FunctionKey to every
 * invocation of it), and a string built anew is joined, flattened and hashed anew by every
 * map it is looked up in, where one made once keeps its hash. Key objects are not changed
 * once made (their fields are readonly); an entry goes with its object.
 */
export function keyStringOf<K extends object>(
  memo: WeakMap<K, string>,
  k: K,
  make: (k: K) => string,
): string {
  let s = memo.get(k);
  if (s === undefined) {
    s = make(k);
    memo.set(k, s);
  }
  return s;
}

const scopeKeys = new WeakMap<Scope, string>();
const makeScopeKey = (scope: Scope): string => `${scope.accountId}/${scope.region}`;

/** The one spelling of a scope (account and region) as a map key: `<account>/<region>`. */
export function scopeKey(scope: Scope): string {
  return keyStringOf(scopeKeys, scope, makeScopeKey);
}

const functionKeyStrings = new WeakMap<FunctionKey, string>();
const makeFunctionKeyString = (k: FunctionKey): string =>
  `${k.accountId}/${k.region}/${k.namespace}/${k.name}`;

export function functionKeyString(k: FunctionKey): string {
  return keyStringOf(functionKeyStrings, k, makeFunctionKeyString);
}

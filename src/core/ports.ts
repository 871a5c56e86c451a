/**
 * The ports core depends on. Implementations live in store/, pool/ and server/; core
 * imports none of them (ARCHITECTURE.md). Every Store method is async so that a
 * PostgreSQL store can implement the same contract later (principle 8).
 */
import type { RemoteChange } from './services/change-feed.js';
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  LayerKey,
  LayerVersionKey,
  LayerVersionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  ProvisionedStatus,
  Scope,
  VersionRecord,
} from './model.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from './scaling/scalable-target.js';

/**
 * Durable state. Reads of functions and aliases must be served from memory (no disk round
 * trip per request); writes are durable when the promise resolves (a hard kill afterwards
 * loses nothing).
 *
 * Conflicts are reported with PlatformError codes (FUNCTION_ALREADY_EXISTS,
 * ALIAS_ALREADY_EXISTS, NAMESPACE_ALREADY_EXISTS).
 */
export interface Store {
  // ---- functions ----
  getFunction(key: FunctionKey): Promise<FunctionRecord | undefined>;
  /** Functions of a scope (optionally one namespace), sorted by name. */
  listFunctions(scope: Scope, namespace?: string): Promise<FunctionRecord[]>;
  /** Every function of every scope (used at start-up to re-provision). */
  listAllFunctions(): Promise<FunctionRecord[]>;
  /** Creates a function; with `published`, its version 1 is written in the same transaction. */
  createFunction(fn: FunctionRecord, published?: VersionRecord): Promise<void>;
  /** Replaces the function row (its $LATEST, reserved concurrency, tags...). */
  updateFunction(fn: FunctionRecord): Promise<void>;
  /** Deletes a function with its versions, aliases and provisioned configs. */
  deleteFunction(key: FunctionKey): Promise<void>;

  /**
   * What getFunction and getAlias answer, at once: they are served from memory, and the
   * invoke path awaits nothing it does not have to (each await is a turn of the microtask
   * queue before the invocation reaches its environment). Throw where the promise forms
   * would reject (a closed store).
   */
  functionNow(key: FunctionKey): FunctionRecord | undefined;
  aliasNow(key: FunctionKey, name: string): AliasRecord | undefined;

  // ---- published versions (immutable) ----
  getVersion(key: FunctionKey, version: string): Promise<VersionRecord | undefined>;
  /** Published versions in ascending numeric order ($LATEST is not included). */
  listVersions(key: FunctionKey): Promise<VersionRecord[]>;
  /** Writes a new version and the function's updated row atomically. */
  publishVersion(fn: FunctionRecord, version: VersionRecord): Promise<void>;
  /** Deletes one version and any provisioned config on it. */
  deleteVersion(key: FunctionKey, version: string): Promise<void>;

  // ---- aliases ----
  getAlias(key: FunctionKey, name: string): Promise<AliasRecord | undefined>;
  /** Aliases sorted by name. */
  listAliases(key: FunctionKey): Promise<AliasRecord[]>;
  /** Inserts (fails with ALIAS_ALREADY_EXISTS) or replaces when `replace` is true. */
  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean): Promise<void>;
  /** Deletes an alias and any provisioned config on it. */
  deleteAlias(key: FunctionKey, name: string): Promise<void>;

  // ---- provisioned concurrency (desired state) ----
  getProvisionedConfig(key: FunctionKey, qualifier: string): Promise<ProvisionedConfigRecord | undefined>;
  /** Configs of one function sorted by qualifier. */
  listProvisionedConfigs(key: FunctionKey): Promise<ProvisionedConfigRecord[]>;
  /** Every config of every function (start-up reconciliation). */
  listAllProvisionedConfigs(): Promise<{ key: FunctionKey; config: ProvisionedConfigRecord }[]>;
  putProvisionedConfig(key: FunctionKey, config: ProvisionedConfigRecord): Promise<void>;
  deleteProvisionedConfig(key: FunctionKey, qualifier: string): Promise<void>;

  // ---- scalable targets (scaling/scalable-target.ts) ----
  // Keyed by (function key, qualifier) but independent of the function's rows: a target
  // outlives its function, alias or version (as Application Auto Scaling's do).
  /** Targets of a scope, ordered by namespace, function name, then qualifier. */
  listScalableTargets(scope: Scope): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]>;
  /** Every target of every scope (start-up). */
  listAllScalableTargets(): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]>;
  putScalableTarget(key: FunctionKey, target: ScalableTargetRecord): Promise<void>;
  deleteScalableTarget(key: FunctionKey, qualifier: string): Promise<void>;
  /** Inserts or replaces (by id) an activity; keeps the newest MAX_ACTIVITIES_PER_TARGET per target. */
  putScalingActivity(key: FunctionKey, activity: ScalingActivityRecord): Promise<void>;
  /** Activities of a scope, newest first (by start, then insertion). */
  listScalingActivities(scope: Scope): Promise<{ key: FunctionKey; activity: ScalingActivityRecord }[]>;

  // ---- namespaces (SCF); `default` always exists and is not stored ----
  listNamespaces(scope: Scope): Promise<NamespaceRecord[]>;
  createNamespace(scope: Scope, ns: NamespaceRecord): Promise<void>;
  deleteNamespace(scope: Scope, name: string): Promise<void>;

  // ---- layers (per scope; versions are immutable) ----
  getLayerVersion(key: LayerVersionKey): Promise<LayerVersionRecord | undefined>;
  /** Versions of one layer in ascending order. */
  listLayerVersions(key: LayerKey): Promise<LayerVersionRecord[]>;
  /** Every version of every layer of a scope, by layer name, then ascending version. */
  listScopeLayerVersions(scope: Scope): Promise<LayerVersionRecord[]>;
  /** The highest version ever published (numbers are never reused, even after deletes); 0 if none. */
  lastLayerVersion(key: LayerKey): Promise<number>;
  /** Stores a new version; INTERNAL unless its number is above `lastLayerVersion` (a lost race). */
  putLayerVersion(scope: Scope, record: LayerVersionRecord): Promise<void>;
  /** Deletes one version (a no-op when it does not exist); the layer's last number is kept. */
  deleteLayerVersion(key: LayerVersionKey): Promise<void>;

  // ---- per-scope settings (account concurrency limits, SCF quotas...) ----
  getSettings(scope: Scope): Promise<Readonly<Record<string, unknown>>>;
  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>): Promise<void>;

  // ---- a database shared by several nodes (PostgreSQL) ----
  /**
   * Catches the cache up with what other nodes committed. Core's cluster lock calls it
   * before a read–modify–write; absent (or a no-op) where this process is the only writer.
   */
  sync?(): Promise<void>;
  /**
   * Calls `listener` with what other nodes changed, once the cache holds it (provisioned
   * configs and scalable targets as their own kinds); returns the function that stops it.
   */
  watchRemote?(listener: (changes: readonly RemoteChange[]) => void): () => void;

  close(): Promise<void>;
}

/** What the package store learned about an accepted zip. */
export interface PackageInfo {
  /** sha256 of the zip bytes, hex. AWS's CodeSha256 is the same digest in base64. */
  readonly sha256Hex: string;
  readonly sizeBytes: number;
  readonly unzippedSizeBytes: number;
}

/**
 * Code packages, content-addressed by sha256 under the data dir.
 * `put` validates the zip (format, size limits, no path traversal, no escaping
 * symlinks) and fails with CODE_* PlatformErrors.
 */
/**
 * Which version of a runtime hearth runs (the pool's interpreters), as the control plane
 * shows it: AWS's RuntimeVersionConfig and runtime management controls.
 */
export interface RuntimeCatalog {
  /**
   * `name` (e.g. `nodejs:22.v22.11.0`) and a 64-hex digest that changes when the runtime
   * or its interpreter does; undefined for OS-only runtimes (`provided*`).
   */
  versionOf(runtime: string): { readonly name: string; readonly digest: string } | undefined;
}

export interface PackageStore {
  put(zip: Buffer): Promise<PackageInfo>;
  /** The exact bytes that were uploaded. */
  read(sha256Hex: string): Promise<Buffer>;
  has(sha256Hex: string): Promise<boolean>;
  /**
   * A read-only directory holding the unpacked package; unpacked once per package and
   * reused by every environment that runs it.
   */
  unpacked(sha256Hex: string): Promise<string>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

// ---------------------------------------------------------------------------------------
// The data plane
// ---------------------------------------------------------------------------------------

/** Everything needed to start an environment for one function version. Immutable. */
export interface EnvironmentSpec {
  /**
   * Identity of what runs: environments with the same key are interchangeable.
   * Built by core from (function key, version, revision of that version's config).
   */
  readonly key: string;
  readonly accountId: string;
  readonly region: string;
  readonly namespace: string;
  readonly functionName: string;
  /** `$LATEST` or the executed version number; never an alias name. */
  readonly version: string;
  readonly runtime: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSec: number;
  /** The user's variables only; the pool adds the Lambda-reserved ones (spec §5.5). */
  readonly environment: Readonly<Record<string, string>>;
  /** The unpacked, read-only code directory (LAMBDA_TASK_ROOT and cwd). */
  readonly codeDir: string;
  /**
   * The unpacked, read-only directories of the version's layers, in order (a later layer's
   * files win, as /opt on AWS); absent when it has none. Part of the spec key's digest.
   */
  readonly layerDirs?: readonly string[];
  /** EphemeralStorage (MB): the size of the environment's /tmp where the launcher gives one. */
  readonly ephemeralStorageMb?: number;
  readonly logGroup: string;
  /**
   * The function's own init limit (SCF's InitTimeout, stored under INIT_TIMEOUT_EXTRA);
   * absent: AWS's limits (10 s on-demand, then a retry inside the invoke; 130 s provisioned).
   */
  readonly initTimeoutSec?: number;
}

export type InitializationType = 'on-demand' | 'provisioned-concurrency';

export interface InvokeRequest {
  readonly spec: EnvironmentSpec;
  readonly requestId: string;
  readonly payload: Buffer;
  /** The ARN as the caller named it (unqualified, `:version` or `:alias`). */
  readonly invokedFunctionArn: string;
  /** Decoded client context JSON, if the caller sent one. */
  readonly clientContext?: string;
  readonly traceId?: string;
  /** Collect the invocation's log text for a tail (AWS LogType=Tail, SCF Log). */
  readonly wantLog: boolean;
  /** The provisioned config serving this version, if any (see Pool.setProvisioned). */
  readonly provisionedKey?: string;
  /** Admission inputs, computed by core from the store. */
  readonly admission: AdmissionInput;
}

export interface AdmissionInput {
  /** Scope-wide key under which unreserved on-demand executions are counted. */
  readonly scopeKey: string;
  /** Function-wide key under which a reserved function's on-demand executions are counted. */
  readonly functionKey: string;
  /** Reserved concurrency of the function, if set; 0 blocks every invoke. */
  readonly reserved?: number;
  /** Σ requested provisioned concurrency of the function (the reserved on-demand cap is reserved − this). */
  readonly provisionedTotal: number;
  /** The scope's UnreservedConcurrentExecutions (capacity of the unreserved on-demand pool). */
  readonly unreservedCapacity: number;
  /**
   * A memory budget for the scope's invocations in flight (SCF's account quota T − Σ R for
   * functions without a reservation): the invocation holds `memoryMb` of `limitMb` while
   * it runs, else it is THROTTLED_ACCOUNT. Absent: no memory budget.
   */
  readonly memoryBudget?: { readonly limitMb: number; readonly memoryMb: number };
}

interface OutcomeCommon {
  readonly requestId: string;
  /** Version that ran. */
  readonly executedVersion: string;
  /** The invocation's log text (START ... REPORT), when `wantLog` was set. */
  readonly log?: string;
  readonly durationMs: number;
  /** Set when this invocation had to initialise its environment. */
  readonly initDurationMs?: number;
  readonly initializationType: InitializationType;
  /** Peak resident memory of the environment, when known. */
  readonly maxMemoryUsedMb?: number;
}

/**
 * The result of running a function. A function error is an outcome, not an exception
 * (ARCHITECTURE.md principle 5): `payload` is the error document to return verbatim.
 */
export type InvocationOutcome =
  | (OutcomeCommon & { readonly kind: 'success'; readonly payload: Buffer; readonly contentType: string })
  | (OutcomeCommon & {
      readonly kind: 'function-error';
      readonly payload: Buffer;
      readonly errorType: string;
    });

/**
 * Execution environments: on-demand and provisioned, with admission.
 * The pool throws PlatformError THROTTLED_RESERVED / THROTTLED_ACCOUNT when admission fails.
 */
export interface Pool {
  invoke(req: InvokeRequest): Promise<InvocationOutcome>;
  /**
   * Declares desired provisioned environments for one config (`provisionedKey` is chosen by
   * core and stable for the config). Changing the spec (alias moved, new version) replaces
   * environments make-before-break; count 0 or spec undefined drains and forgets the config.
   * A larger count serves nothing until every environment is up (aws-lambda.md §3.4),
   * unless `growing.keepServing`: a cluster node receiving environments moved from another
   * (the config is READY over the cluster) keeps serving those it has while the rest start.
   */
  setProvisioned(
    provisionedKey: string,
    spec: EnvironmentSpec | undefined,
    count: number,
    growing?: { readonly keepServing: boolean },
  ): void;
  /** Truth about a config, from live environments. */
  provisionedStatus(provisionedKey: string): ProvisionedStatus;
  /**
   * Calls `listener` whenever a config's status, Allocated or Available changes, until the
   * returned function is called.
   */
  watchProvisioned(listener: (provisionedKey: string, status: ProvisionedStatus) => void): () => void;
  /** Utilisation in [0, 1] of a config's environments (busy / allocated), for autoscaling. */
  provisionedUtilization(provisionedKey: string): number;
  /**
   * The config's environments free to serve an invoke of `specKey` right now (idle and of
   * that spec); O(1), asked per invoke by a cluster node before it forwards.
   */
  provisionedIdle(provisionedKey: string, specKey: string): number;
  /** Drains every environment built from specs whose key starts with `prefix` (a deleted function/version). */
  drain(prefix: string): Promise<void>;
  start(): Promise<void>;
  /** Kills every child process; idempotent. */
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------------------------------
// The durable asynchronous-invocation queue (issue 13; aws-lambda.md §3.7, §7.9)
// ---------------------------------------------------------------------------------------

/** One accepted `Event` invocation, as the queue keeps it until it settles. */
export interface AsyncEventRecord {
  /** The invocation's id: the same on every attempt, as on AWS. */
  readonly requestId: string;
  readonly key: FunctionKey;
  /** The version the event was routed to when it was accepted (never an alias). */
  readonly version: string;
  /** The qualifier as the caller named it (its EventInvokeConfig applies); none: unqualified. */
  readonly qualifier?: string;
  readonly invokedFunctionArn: string;
  readonly payload: Buffer;
  readonly clientContext?: string;
  readonly traceId?: string;
  readonly enqueuedMs: number;
  /** Attempts that ran the function so far (0 before the first). */
  readonly attempts: number;
  /** Throttles and system errors met so far (the back-off's exponent). */
  readonly throttles: number;
  /** Not to run before this instant (a retry's delay). */
  readonly notBeforeMs: number;
}

/** Where an event ended; `pending` until then. */
export type AsyncEventStatus = 'pending' | 'succeeded' | 'failed' | 'dropped' | 'terminated';

/** What is kept of an event for status queries (SCF ListAsyncEvents), with or without its payload. */
export interface AsyncEventSummary {
  readonly requestId: string;
  readonly key: FunctionKey;
  readonly version: string;
  readonly qualifier?: string;
  readonly status: AsyncEventStatus;
  readonly enqueuedMs: number;
  /** When it settled (absent while pending). */
  readonly endMs?: number;
  readonly attempts: number;
}

export interface AsyncEventFilter {
  readonly qualifier?: string;
  readonly statuses?: readonly AsyncEventStatus[];
  readonly requestId?: string;
  /** Accepted at or after / before these instants. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Newest first (default) or oldest first. */
  readonly order?: 'asc' | 'desc';
  readonly offset?: number;
  readonly limit?: number;
}

/** A destination of asynchronous results: a hearth function (the dialect resolved the ARN). */
export interface DestinationRef {
  /** As the caller wrote it, echoed back. */
  readonly arn: string;
  readonly key: FunctionKey;
  readonly qualifier?: string;
}

/**
 * Per function and qualifier: how asynchronous invocations are retried and where their
 * results go (AWS's EventInvokeConfig, SCF's AsyncTriggerConfig).
 */
export interface EventInvokeConfigRecord {
  /** `$LATEST`, a version, an alias, or `` for the unqualified function. */
  readonly qualifier: string;
  readonly maximumRetryAttempts?: number;
  readonly maximumEventAgeSec?: number;
  readonly onSuccess?: DestinationRef;
  readonly onFailure?: DestinationRef;
  readonly lastModifiedMs: number;
  /** Dialect fields echoed but not acted on. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Durable state of the asynchronous queue. Writes are durable when their promise resolves;
 * writes issued within one tick may share one transaction (group commit), so a burst of
 * Event invokes does not cost one commit each. Events are kept apart from the Store so that
 * their write rate never queues behind (or holds up) control-plane writes.
 */
/**
 * The durable async queue's store. Several hearth nodes may share one (PostgreSQL): each
 * event is held by one owner at a time (a claim with a lease that its owner renews), and
 * only the holder reschedules or settles it, so an event runs on one node while that node
 * lives and is settled once. A store only one node opens (SQLite, memory) has one owner.
 */
export interface AsyncEventStore {
  /** Records an accepted event, held by this owner (durable on resolve). A duplicate requestId is INTERNAL. */
  add(event: AsyncEventRecord): Promise<void>;
  /**
   * Takes up to `limit` pending events no live owner holds (never held in this open: an
   * earlier run's, or an owner's whose lease expired), oldest first, and holds them.
   */
  claimDue(limit: number): Promise<AsyncEventRecord[]>;
  /** Extends this owner's lease on the events it holds; returns how many it holds. */
  renewClaims(): Promise<number>;
  /** Records an attempt's result that leaves the event pending (a retry is due at notBeforeMs). */
  reschedule(requestId: string, attempts: number, throttles: number, notBeforeMs: number): Promise<void>;
  /** Settles an event: it leaves the queue (its payload is dropped) and keeps its summary. */
  finish(
    requestId: string,
    status: Exclude<AsyncEventStatus, 'pending'>,
    endMs: number,
    attempts: number,
  ): Promise<void>;
  /** Every pending event, oldest first, whoever holds it (inspection; the queue claims). */
  listPending(): Promise<AsyncEventRecord[]>;
  get(key: FunctionKey, requestId: string): Promise<AsyncEventSummary | undefined>;
  /** An event by its request id alone, whatever its function (SCF GetAsyncEventStatus). */
  find(requestId: string): Promise<AsyncEventSummary | undefined>;
  /**
   * The owner (node id) holding a pending event under a live claim, in a store shared by
   * nodes; undefined: settled, unknown, or held by no one now. Stores of one node omit it.
   */
  holderOf?(requestId: string): Promise<string | undefined>;
  list(key: FunctionKey, filter: AsyncEventFilter): Promise<{ events: AsyncEventSummary[]; total: number }>;
  /** Forgets settled events that ended before `beforeMs`; returns how many. */
  pruneSettled(beforeMs: number): Promise<number>;

  getConfig(key: FunctionKey, qualifier: string): Promise<EventInvokeConfigRecord | undefined>;
  /** Configs of one function sorted by qualifier. */
  listConfigs(key: FunctionKey): Promise<EventInvokeConfigRecord[]>;
  putConfig(key: FunctionKey, config: EventInvokeConfigRecord): Promise<void>;
  /** One qualifier's config, or (qualifier undefined) every config of the function. */
  deleteConfigs(key: FunctionKey, qualifier?: string): Promise<void>;

  close(): Promise<void>;
}

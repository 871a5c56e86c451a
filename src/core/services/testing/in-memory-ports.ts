/**
 * In-memory fakes of core's ports for core's unit tests: a Store that keeps records in
 * maps, a PackageStore that accepts anything starting with the zip signature, a Pool that
 * records drains, and a settable clock. Not used in production.
 */
import { createHash } from 'node:crypto';
import { PlatformError } from '../../errors.js';
import type { CoreDeps, CoreLimits } from '../../index.js';
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  LayerKey,
  LayerVersionKey,
  LayerVersionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  Scope,
  VersionRecord,
} from '../../model.js';
import { DEFAULT_NAMESPACE, LATEST, isVersionQualifier } from '../../model.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../../scaling/scalable-target.js';
import { ScalingRecordsIndex } from '../../scaling/target-index.js';
import type {
  Clock,
  EnvironmentSpec,
  InvocationOutcome,
  InvokeRequest,
  PackageInfo,
  PackageStore,
  Pool,
  Store,
} from '../../ports.js';

/**
 * Map keys join identifiers with NUL, which no account, region or name can contain; the
 * SQLite store sorts `listAllFunctions` by the same joined key.
 */
const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const functionId = (k: FunctionKey): string => scopeId(k) + SEP + k.namespace + SEP + k.name;
const layerId = (k: LayerKey): string => scopeId(k) + SEP + k.layerName;

/** Code-unit order: deterministic and locale-independent, as in the SQLite store. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What the SQLite store caches for a record: a deep-frozen copy as it comes back from
 * JSON (so `undefined` members are dropped). Callers can neither change a stored record
 * through the object they passed in nor through the one they got back.
 */
function stored<T>(record: T): T {
  return deepFreeze(JSON.parse(JSON.stringify(record)) as T);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) {
      deepFreeze(member);
    }
  }
  return value;
}

/** $LATEST is the function row's head, never a published version. */
function assertPublishable(version: VersionRecord): void {
  if (version.version === LATEST || !isVersionQualifier(version.version)) {
    throw new PlatformError('INVALID_PARAMETER', {
      field: 'version',
      reason: `a published version must be a decimal number, got ${version.version}`,
    });
  }
}

const EMPTY_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

interface FunctionEntry {
  fn: FunctionRecord;
  readonly versions: Map<string, VersionRecord>;
  readonly aliases: Map<string, AliasRecord>;
  readonly configs: Map<string, ProvisionedConfigRecord>;
}

/**
 * A Store in Maps that behaves like the SQLite store (`test/contract/memory-store.test.ts`
 * runs the Store contract against it): the same PlatformError codes, sort orders and
 * cascades, deep-frozen records, and every call rejected after `close()`.
 */
export class MemoryStore implements Store {
  private readonly functions = new Map<string, FunctionEntry>();
  private readonly namespaces = new Map<string, Map<string, NamespaceRecord>>();
  private readonly scaling = new ScalingRecordsIndex();
  private readonly settings = new Map<string, Readonly<Record<string, unknown>>>();
  /** Layers by scope id + NUL + name: the last number ever published and the live versions. */
  private readonly layers = new Map<string, { last: number; versions: Map<number, LayerVersionRecord> }>();
  private closed = false;
  /**
   * Count of write calls (refused ones included), to assert that a failed precondition
   * in core never reached the store.
   */
  writes = 0;

  private checkOpen(): void {
    if (this.closed) {
      throw new PlatformError('INTERNAL', { reason: 'store is closed' });
    }
  }

  /** Runs one port call: rejects after close and turns throws into rejections. */
  private run<T>(work: () => T): Promise<T> {
    try {
      if (this.closed) {
        throw new PlatformError('INTERNAL', { reason: 'store is closed' });
      }
      return Promise.resolve(work());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private write(work: () => void): Promise<void> {
    this.writes++;
    return this.run(work);
  }

  private entry(key: FunctionKey): FunctionEntry | undefined {
    return this.functions.get(functionId(key));
  }

  private existing(key: FunctionKey): FunctionEntry {
    const entry = this.entry(key);
    if (entry === undefined) {
      throw new PlatformError('FUNCTION_NOT_FOUND', { functionName: key.name });
    }
    return entry;
  }

  // ---- functions ----------------------------------------------------------------------

  getFunction(key: FunctionKey) {
    return this.run(() => this.entry(key)?.fn);
  }
  functionNow(key: FunctionKey) {
    this.checkOpen();
    return this.entry(key)?.fn;
  }
  listFunctions(scope: Scope, namespace?: string) {
    return this.run(() =>
      [...this.functions.values()]
        .map((e) => e.fn)
        .filter(
          (f) =>
            f.key.accountId === scope.accountId &&
            f.key.region === scope.region &&
            (namespace === undefined || f.key.namespace === namespace),
        )
        // Ties (same name in two namespaces) fall back to the namespace, for a stable order.
        .sort((a, b) => byString(a.key.name, b.key.name) || byString(a.key.namespace, b.key.namespace)),
    );
  }
  listAllFunctions() {
    return this.run(() =>
      [...this.functions.entries()].sort(([a], [b]) => byString(a, b)).map(([, e]) => e.fn),
    );
  }
  createFunction(fn: FunctionRecord, published?: VersionRecord) {
    return this.write(() => {
      if (this.entry(fn.key) !== undefined) {
        throw new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: fn.key.name });
      }
      if (published !== undefined) {
        assertPublishable(published);
      }
      const entry: FunctionEntry = {
        fn: stored(fn),
        versions: new Map(),
        aliases: new Map(),
        configs: new Map(),
      };
      if (published !== undefined) {
        entry.versions.set(published.version, stored(published));
      }
      this.functions.set(functionId(fn.key), entry);
    });
  }
  updateFunction(fn: FunctionRecord) {
    return this.write(() => {
      this.existing(fn.key).fn = stored(fn);
    });
  }
  /** Deletes the function with its versions, aliases and provisioned configs. */
  deleteFunction(key: FunctionKey) {
    return this.write(() => {
      this.functions.delete(functionId(key));
    });
  }

  // ---- published versions -------------------------------------------------------------

  getVersion(key: FunctionKey, version: string) {
    return this.run(() => this.entry(key)?.versions.get(version));
  }
  listVersions(key: FunctionKey) {
    return this.run(() =>
      [...(this.entry(key)?.versions.values() ?? [])].sort((a, b) => Number(a.version) - Number(b.version)),
    );
  }
  publishVersion(fn: FunctionRecord, version: VersionRecord) {
    return this.write(() => {
      const entry = this.existing(fn.key);
      assertPublishable(version);
      // Version numbers are never reused; a duplicate means two publishes raced on one head.
      if (entry.versions.has(version.version)) {
        throw new PlatformError('UPDATE_IN_PROGRESS', { functionName: fn.key.name });
      }
      entry.fn = stored(fn);
      entry.versions.set(version.version, stored(version));
    });
  }
  /** Deletes one version and any provisioned config on it; a missing version is a no-op. */
  deleteVersion(key: FunctionKey, version: string) {
    return this.write(() => {
      const entry = this.entry(key);
      if (entry === undefined || !entry.versions.has(version)) {
        return;
      }
      entry.versions.delete(version);
      entry.configs.delete(version);
    });
  }

  // ---- aliases ------------------------------------------------------------------------

  getAlias(key: FunctionKey, name: string) {
    return this.run(() => this.entry(key)?.aliases.get(name));
  }
  aliasNow(key: FunctionKey, name: string) {
    this.checkOpen();
    return this.entry(key)?.aliases.get(name);
  }
  listAliases(key: FunctionKey) {
    return this.run(() =>
      [...(this.entry(key)?.aliases.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }
  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean) {
    return this.write(() => {
      const entry = this.existing(key);
      if (!replace && entry.aliases.has(alias.name)) {
        throw new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: alias.name });
      }
      entry.aliases.set(alias.name, stored(alias));
    });
  }
  /** Deletes an alias and any provisioned config on it; a missing alias is a no-op. */
  deleteAlias(key: FunctionKey, name: string) {
    return this.write(() => {
      const entry = this.entry(key);
      if (entry === undefined || !entry.aliases.has(name)) {
        return;
      }
      entry.aliases.delete(name);
      entry.configs.delete(name);
    });
  }

  // ---- provisioned concurrency --------------------------------------------------------

  getProvisionedConfig(key: FunctionKey, qualifier: string) {
    return this.run(() => this.entry(key)?.configs.get(qualifier));
  }
  listProvisionedConfigs(key: FunctionKey) {
    return this.run(() =>
      [...(this.entry(key)?.configs.values() ?? [])].sort((a, b) => byString(a.qualifier, b.qualifier)),
    );
  }
  /** Every config, ordered by function (as `listAllFunctions`) then qualifier. */
  listAllProvisionedConfigs() {
    return this.run(() => {
      const out: { key: FunctionKey; config: ProvisionedConfigRecord }[] = [];
      for (const [, e] of [...this.functions.entries()].sort(([a], [b]) => byString(a, b))) {
        for (const config of [...e.configs.values()].sort((a, b) => byString(a.qualifier, b.qualifier))) {
          out.push({ key: e.fn.key, config });
        }
      }
      return out;
    });
  }
  putProvisionedConfig(key: FunctionKey, config: ProvisionedConfigRecord) {
    return this.write(() => {
      this.existing(key).configs.set(config.qualifier, stored(config));
    });
  }
  deleteProvisionedConfig(key: FunctionKey, qualifier: string) {
    return this.write(() => {
      this.entry(key)?.configs.delete(qualifier);
    });
  }

  // ---- scalable targets and activities ------------------------------------------------

  listScalableTargets(scope: Scope) {
    return this.run(() => this.scaling.listTargets(scope));
  }
  listAllScalableTargets() {
    return this.run(() => this.scaling.listTargets());
  }
  putScalableTarget(key: FunctionKey, target: ScalableTargetRecord) {
    return this.write(() => this.scaling.putTarget({ ...key }, stored(target)));
  }
  deleteScalableTarget(key: FunctionKey, qualifier: string) {
    return this.write(() => {
      this.scaling.deleteTarget(key, qualifier);
    });
  }
  putScalingActivity(key: FunctionKey, activity: ScalingActivityRecord) {
    return this.write(() => {
      this.scaling.putActivity({ ...key }, stored(activity));
    });
  }
  listScalingActivities(scope: Scope) {
    return this.run(() => this.scaling.listActivities(scope));
  }

  // ---- namespaces ---------------------------------------------------------------------

  listNamespaces(scope: Scope) {
    return this.run(() =>
      [...(this.namespaces.get(scopeId(scope))?.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }
  createNamespace(scope: Scope, ns: NamespaceRecord) {
    return this.write(() => {
      let existing = this.namespaces.get(scopeId(scope));
      // `default` always exists without being stored (ports.ts), so creating it conflicts too.
      if (ns.name === DEFAULT_NAMESPACE || existing?.has(ns.name) === true) {
        throw new PlatformError('NAMESPACE_ALREADY_EXISTS', { namespace: ns.name });
      }
      if (existing === undefined) {
        existing = new Map();
        this.namespaces.set(scopeId(scope), existing);
      }
      existing.set(ns.name, stored(ns));
    });
  }
  /** Leaves the namespace's functions alone: refusing a non-empty one is core's rule. */
  deleteNamespace(scope: Scope, name: string) {
    return this.write(() => {
      this.namespaces.get(scopeId(scope))?.delete(name);
    });
  }

  // ---- layers -------------------------------------------------------------------------

  getLayerVersion(key: LayerVersionKey) {
    return this.run(() => this.layers.get(layerId(key))?.versions.get(key.version));
  }
  listLayerVersions(key: LayerKey) {
    return this.run(() =>
      [...(this.layers.get(layerId(key))?.versions.values() ?? [])].sort((a, b) => a.version - b.version),
    );
  }
  listScopeLayerVersions(scope: Scope) {
    return this.run(() =>
      [...this.layers.entries()]
        .filter(([id]) => id.startsWith(scopeId(scope) + SEP))
        .sort(([a], [b]) => byString(a, b))
        .flatMap(([, layer]) => [...layer.versions.values()].sort((a, b) => a.version - b.version)),
    );
  }
  lastLayerVersion(key: LayerKey) {
    return this.run(() => this.layers.get(layerId(key))?.last ?? 0);
  }
  putLayerVersion(scope: Scope, record: LayerVersionRecord) {
    return this.write(() => {
      const id = layerId({ ...scope, layerName: record.layerName });
      const layer = this.layers.get(id) ?? { last: 0, versions: new Map<number, LayerVersionRecord>() };
      if (!Number.isSafeInteger(record.version) || record.version <= layer.last) {
        throw new PlatformError('INTERNAL', {
          reason: `layer ${record.layerName}: version ${record.version} is not above the last one (${layer.last})`,
        });
      }
      layer.last = record.version;
      layer.versions.set(record.version, stored(record));
      this.layers.set(id, layer);
    });
  }
  deleteLayerVersion(key: LayerVersionKey) {
    return this.write(() => {
      this.layers.get(layerId(key))?.versions.delete(key.version);
    });
  }

  // ---- settings -----------------------------------------------------------------------

  getSettings(scope: Scope) {
    return this.run(() => this.settings.get(scopeId(scope)) ?? EMPTY_SETTINGS);
  }
  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>) {
    return this.write(() => {
      this.settings.set(scopeId(scope), stored(settings));
    });
  }

  close() {
    this.closed = true;
    return Promise.resolve();
  }
}

/** An invocation's outcome for tests of core (the pool's answer, without running anything). */
export function fakeOutcome(kind: 'success' | 'function-error' = 'success'): InvocationOutcome {
  const common = {
    payload: Buffer.from('{}'),
    requestId: 'r',
    executedVersion: '1',
    durationMs: 1,
    initializationType: 'on-demand' as const,
  };
  return kind === 'success'
    ? { kind, contentType: 'application/json', ...common }
    : { kind, errorType: 'Error', ...common };
}

/** The local file header signature every zip starts with. */
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

export class MemoryPackageStore implements PackageStore {
  readonly packages = new Map<string, Buffer>();

  put(zip: Buffer): Promise<PackageInfo> {
    const looksLikeZip = zip.subarray(0, 4).equals(ZIP_MAGIC) || zip.equals(EMPTY_ZIP);
    if (!looksLikeZip) {
      return Promise.reject(new PlatformError('CODE_INVALID_ZIP', { reason: 'not a zip archive' }));
    }
    const sha256Hex = createHash('sha256').update(zip).digest('hex');
    this.packages.set(sha256Hex, zip);
    return Promise.resolve({ sha256Hex, sizeBytes: zip.length, unzippedSizeBytes: zip.length });
  }
  read(sha256Hex: string) {
    const bytes = this.packages.get(sha256Hex);
    return bytes === undefined
      ? Promise.reject(new Error(`no package ${sha256Hex}`))
      : Promise.resolve(bytes);
  }
  has(sha256Hex: string) {
    return Promise.resolve(this.packages.has(sha256Hex));
  }
  unpacked(sha256Hex: string) {
    return Promise.resolve(`/memory/${sha256Hex}`);
  }
}

export class RecordingPool implements Pool {
  readonly drained: string[] = [];
  invoke(_req: InvokeRequest): Promise<InvocationOutcome> {
    throw new Error('RecordingPool does not invoke');
  }
  setProvisioned() {
    return undefined;
  }
  provisionedStatus() {
    return { allocated: 0, available: 0, status: 'IN_PROGRESS' as const };
  }
  watchProvisioned() {
    return () => undefined;
  }
  provisionedUtilization() {
    return 0;
  }
  provisionedIdle() {
    return 0;
  }
  drain(prefix: string) {
    this.drained.push(prefix);
    return Promise.resolve();
  }
  start() {
    return Promise.resolve();
  }
  dispose() {
    return Promise.resolve();
  }
}

/** Reports every declared count as live and ready; utilisation is `busy` over that count. */
export class CountingPool implements Pool {
  readonly counts = new Map<string, number>();
  busy = 0;
  invoke(): never {
    throw new Error('CountingPool does not invoke');
  }
  setProvisioned(key: string, _spec: EnvironmentSpec | undefined, count: number) {
    this.counts.set(key, count);
  }
  provisionedStatus(key: string) {
    const n = this.counts.get(key) ?? 0;
    return { allocated: n, available: n, status: 'READY' as const };
  }
  watchProvisioned() {
    return () => undefined;
  }
  provisionedUtilization(key: string) {
    const n = this.counts.get(key) ?? 0;
    return n === 0 ? 0 : Math.min(1, this.busy / n);
  }
  provisionedIdle(key: string) {
    return Math.max(0, (this.counts.get(key) ?? 0) - this.busy);
  }
  drain() {
    return Promise.resolve();
  }
  start() {
    return Promise.resolve();
  }
  dispose() {
    return Promise.resolve();
  }
}

export class ManualClock implements Clock {
  constructor(public nowMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678)) {}
  now() {
    return this.nowMs;
  }
  advance(ms: number) {
    this.nowMs += ms;
  }
}

export interface MemoryDeps extends CoreDeps {
  readonly store: MemoryStore;
  readonly packages: MemoryPackageStore;
  readonly pool: RecordingPool;
  readonly clock: ManualClock;
}

export function memoryDeps(limits: Partial<CoreLimits> = {}): MemoryDeps {
  return {
    store: new MemoryStore(),
    packages: new MemoryPackageStore(),
    pool: new RecordingPool(),
    clock: new ManualClock(),
    limits: { accountConcurrency: 1000, minUnreservedConcurrency: 100, ...limits },
  };
}

/** A tiny byte string that MemoryPackageStore accepts as a zip; `tag` makes it unique. */
export function fakeZip(tag = 'code'): Buffer {
  return Buffer.concat([ZIP_MAGIC, Buffer.from(tag)]);
}

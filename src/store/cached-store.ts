/**
 * The Store port over a database (persistence.ts), with a write-through in-memory cache:
 * SQLite (sqlite/) and PostgreSQL (postgres/) differ only in how rows are loaded and
 * committed.
 *
 * Lifecycle of a write (writes run one at a time, in call order):
 *   1. check the request against the cache (conflicts, missing function) and throw the
 *      catalog's PlatformError before touching the database;
 *   2. encode every record to JSON once;
 *   3. commit the row changes in one transaction;
 *   4. only after the commit returned, apply the same change to the cache.
 * A failed transaction therefore leaves both database and cache as they were.
 *
 * Reads never touch the database: every row is loaded at open and served from Maps (the
 * port requires hot reads without a round trip). The cache is only coherent while this
 * process is the database's only writer; each persistence makes sure of that at open.
 */
import { PlatformError, notFound } from '../core/errors.js';
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
} from '../core/model.js';
import { DEFAULT_NAMESPACE, LATEST } from '../core/model.js';
import type { Store } from '../core/ports.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../core/scaling/scalable-target.js';
import { ScalingRecordsIndex } from '../core/scaling/target-index.js';
import { decode, encode } from './frozen-json.js';
import { LayerIndex } from './layer-index.js';
import type { Persistence, WriteOp } from './persistence.js';
import { StoreGate } from './store-gate.js';

/** Cache keys join identifiers with NUL, which no account, region or name can contain. */
const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const functionId = (k: FunctionKey): string => scopeId(k) + SEP + k.namespace + SEP + k.name;

/** Code-unit order: deterministic and locale-independent (localeCompare is neither). */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface FunctionEntry {
  fn: FunctionRecord;
  readonly versions: Map<string, VersionRecord>;
  readonly aliases: Map<string, AliasRecord>;
  readonly provisioned: Map<string, ProvisionedConfigRecord>;
}

const EMPTY_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/** Loads every row of `db` and serves the Store port from memory. */
export async function openCachedStore(db: Persistence, describe: string): Promise<Store> {
  const store = new CachedStore(db, describe);
  try {
    await store.load();
  } catch (e) {
    await db.close();
    throw e;
  }
  return store;
}

class CachedStore implements Store {
  readonly #db: Persistence;
  /** For error messages: which database this is. */
  readonly #describe: string;
  readonly #functions = new Map<string, FunctionEntry>();
  /** The same entries indexed by scope, so listing one scope does not scan all. */
  readonly #byScope = new Map<string, Map<string, FunctionEntry>>();
  readonly #namespaces = new Map<string, Map<string, NamespaceRecord>>();
  readonly #settings = new Map<string, Readonly<Record<string, unknown>>>();
  readonly #layers = new LayerIndex();
  readonly #scaling = new ScalingRecordsIndex();
  /** Reads and writes in order, refused after close (store-gate.ts). */
  readonly #gate: StoreGate;

  constructor(db: Persistence, describe: string) {
    this.#db = db;
    this.#describe = describe;
    this.#gate = new StoreGate((ops) => db.commit(ops));
  }

  /** Reads every row into the cache; called once, at open. */
  async load(): Promise<void> {
    const s = await this.#db.load();
    for (const row of s.functions) {
      this.#cacheEntry(decode<FunctionRecord>(row.json));
    }
    const entryOf = (key: FunctionKey): FunctionEntry => {
      const entry = this.#entry(key);
      // Foreign keys make an orphan impossible; finding one means the data was edited by hand.
      if (entry === undefined) {
        throw new Error(`orphan row for function ${key.name} in ${this.#describe}`);
      }
      return entry;
    };
    for (const row of s.versions) {
      entryOf(row.key).versions.set(row.child, decode<VersionRecord>(row.json));
    }
    for (const row of s.aliases) {
      entryOf(row.key).aliases.set(row.child, decode<AliasRecord>(row.json));
    }
    for (const row of s.provisioned) {
      entryOf(row.key).provisioned.set(row.child, decode<ProvisionedConfigRecord>(row.json));
    }
    for (const row of s.namespaces) {
      this.#scopeNamespaces(row.scope).set(row.name, decode<NamespaceRecord>(row.json));
    }
    for (const row of s.settings) {
      this.#settings.set(scopeId(row.scope), decode<Record<string, unknown>>(row.json));
    }
    for (const row of s.targets) {
      this.#scaling.putTarget(row.key, decode<ScalableTargetRecord>(row.json));
    }
    for (const row of s.activities) {
      this.#scaling.putActivity(row.key, decode<ScalingActivityRecord>(row.json), row.seq);
    }
    for (const row of s.layers) {
      this.#layers.setLast({ ...row.scope, layerName: row.name }, row.last);
    }
    for (const row of s.layerVersions) {
      this.#layers.put({ ...row.scope, layerName: row.name }, decode<LayerVersionRecord>(row.json));
    }
  }

  /** Adds the cache entry of a function being loaded or created. */
  #cacheEntry(fn: FunctionRecord): FunctionEntry {
    const entry: FunctionEntry = { fn, versions: new Map(), aliases: new Map(), provisioned: new Map() };
    const id = functionId(fn.key);
    this.#functions.set(id, entry);
    let scoped = this.#byScope.get(scopeId(fn.key));
    if (scoped === undefined) {
      scoped = new Map();
      this.#byScope.set(scopeId(fn.key), scoped);
    }
    scoped.set(id, entry);
    return entry;
  }

  #scopeNamespaces(scope: Scope): Map<string, NamespaceRecord> {
    let m = this.#namespaces.get(scopeId(scope));
    if (m === undefined) {
      m = new Map();
      this.#namespaces.set(scopeId(scope), m);
    }
    return m;
  }

  #entry(key: FunctionKey): FunctionEntry | undefined {
    return this.#functions.get(functionId(key));
  }

  #existing(key: FunctionKey): FunctionEntry {
    const entry = this.#entry(key);
    if (entry === undefined) {
      throw notFound.fn(key.name);
    }
    return entry;
  }

  // ---- functions ----------------------------------------------------------------------

  getFunction(key: FunctionKey): Promise<FunctionRecord | undefined> {
    return this.#gate.read(() => this.#entry(key)?.fn);
  }

  listFunctions(scope: Scope, namespace?: string): Promise<FunctionRecord[]> {
    return this.#gate.read(() => {
      const out: FunctionRecord[] = [];
      for (const entry of this.#byScope.get(scopeId(scope))?.values() ?? []) {
        if (namespace === undefined || entry.fn.key.namespace === namespace) {
          out.push(entry.fn);
        }
      }
      // Ties (same name in two namespaces) fall back to the namespace, for a stable order.
      return out.sort(
        (a, b) => byString(a.key.name, b.key.name) || byString(a.key.namespace, b.key.namespace),
      );
    });
  }

  listAllFunctions(): Promise<FunctionRecord[]> {
    return this.#gate.read(() =>
      [...this.#functions.entries()].sort(([a], [b]) => byString(a, b)).map(([, entry]) => entry.fn),
    );
  }

  createFunction(fn: FunctionRecord, published?: VersionRecord): Promise<void> {
    return this.#gate.write(() => {
      if (this.#entry(fn.key) !== undefined) {
        throw new PlatformError('FUNCTION_ALREADY_EXISTS', { functionName: fn.key.name });
      }
      if (published !== undefined) {
        assertPublishable(published);
      }
      const fnRow = encode(fn);
      const versionRow = published === undefined ? undefined : encode(published);
      const ops: WriteOp[] = [{ op: 'insert-function', key: fn.key, json: fnRow.json }];
      if (versionRow !== undefined) {
        ops.push({
          op: 'insert-version',
          key: fn.key,
          child: versionRow.value.version,
          json: versionRow.json,
        });
      }
      return {
        ops,
        apply: () => {
          const entry = this.#cacheEntry(fnRow.value);
          if (versionRow !== undefined) {
            entry.versions.set(versionRow.value.version, versionRow.value);
          }
        },
      };
    });
  }

  updateFunction(fn: FunctionRecord): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(fn.key);
      const row = encode(fn);
      return {
        ops: [{ op: 'update-function', key: fn.key, json: row.json }],
        apply: () => {
          entry.fn = row.value;
        },
      };
    });
  }

  deleteFunction(key: FunctionKey): Promise<void> {
    return this.#gate.write(() => {
      if (this.#entry(key) === undefined) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-function', key }],
        apply: () => {
          const id = functionId(key);
          this.#functions.delete(id);
          this.#byScope.get(scopeId(key))?.delete(id);
        },
      };
    });
  }

  // ---- published versions -------------------------------------------------------------

  getVersion(key: FunctionKey, version: string): Promise<VersionRecord | undefined> {
    return this.#gate.read(() => this.#entry(key)?.versions.get(version));
  }

  listVersions(key: FunctionKey): Promise<VersionRecord[]> {
    return this.#gate.read(() =>
      [...(this.#entry(key)?.versions.values() ?? [])].sort((a, b) => Number(a.version) - Number(b.version)),
    );
  }

  publishVersion(fn: FunctionRecord, version: VersionRecord): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(fn.key);
      assertPublishable(version);
      // Version numbers are never reused; a duplicate means two publishes raced on one head.
      if (entry.versions.has(version.version)) {
        throw new PlatformError('UPDATE_IN_PROGRESS', { functionName: fn.key.name });
      }
      const fnRow = encode(fn);
      const versionRow = encode(version);
      return {
        ops: [
          { op: 'update-function', key: fn.key, json: fnRow.json },
          { op: 'insert-version', key: fn.key, child: version.version, json: versionRow.json },
        ],
        apply: () => {
          entry.fn = fnRow.value;
          entry.versions.set(versionRow.value.version, versionRow.value);
        },
      };
    });
  }

  deleteVersion(key: FunctionKey, version: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.versions.has(version)) {
        return undefined;
      }
      return {
        ops: [
          { op: 'delete-version', key, child: version },
          { op: 'delete-provisioned', key, child: version },
        ],
        apply: () => {
          entry.versions.delete(version);
          entry.provisioned.delete(version);
        },
      };
    });
  }

  // ---- aliases ------------------------------------------------------------------------

  getAlias(key: FunctionKey, name: string): Promise<AliasRecord | undefined> {
    return this.#gate.read(() => this.#entry(key)?.aliases.get(name));
  }

  listAliases(key: FunctionKey): Promise<AliasRecord[]> {
    return this.#gate.read(() =>
      [...(this.#entry(key)?.aliases.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  putAlias(key: FunctionKey, alias: AliasRecord, replace: boolean): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(key);
      if (!replace && entry.aliases.has(alias.name)) {
        throw new PlatformError('ALIAS_ALREADY_EXISTS', { functionName: key.name, alias: alias.name });
      }
      const row = encode(alias);
      return {
        ops: [{ op: 'upsert-alias', key, child: alias.name, json: row.json }],
        apply: () => {
          entry.aliases.set(row.value.name, row.value);
        },
      };
    });
  }

  deleteAlias(key: FunctionKey, name: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.aliases.has(name)) {
        return undefined;
      }
      return {
        ops: [
          { op: 'delete-alias', key, child: name },
          { op: 'delete-provisioned', key, child: name },
        ],
        apply: () => {
          entry.aliases.delete(name);
          entry.provisioned.delete(name);
        },
      };
    });
  }

  // ---- provisioned concurrency --------------------------------------------------------

  getProvisionedConfig(key: FunctionKey, qualifier: string): Promise<ProvisionedConfigRecord | undefined> {
    return this.#gate.read(() => this.#entry(key)?.provisioned.get(qualifier));
  }

  listProvisionedConfigs(key: FunctionKey): Promise<ProvisionedConfigRecord[]> {
    return this.#gate.read(() =>
      [...(this.#entry(key)?.provisioned.values() ?? [])].sort((a, b) => byString(a.qualifier, b.qualifier)),
    );
  }

  listAllProvisionedConfigs(): Promise<{ key: FunctionKey; config: ProvisionedConfigRecord }[]> {
    return this.#gate.read(() => {
      const out: { key: FunctionKey; config: ProvisionedConfigRecord }[] = [];
      const ids = [...this.#functions.keys()].sort(byString);
      for (const id of ids) {
        const entry = this.#functions.get(id);
        if (entry === undefined) {
          continue;
        }
        const configs = [...entry.provisioned.values()].sort((a, b) => byString(a.qualifier, b.qualifier));
        for (const config of configs) {
          out.push({ key: entry.fn.key, config });
        }
      }
      return out;
    });
  }

  putProvisionedConfig(key: FunctionKey, config: ProvisionedConfigRecord): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#existing(key);
      const row = encode(config);
      return {
        ops: [{ op: 'upsert-provisioned', key, child: config.qualifier, json: row.json }],
        apply: () => {
          entry.provisioned.set(row.value.qualifier, row.value);
        },
      };
    });
  }

  deleteProvisionedConfig(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#gate.write(() => {
      const entry = this.#entry(key);
      if (entry === undefined || !entry.provisioned.has(qualifier)) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-provisioned', key, child: qualifier }],
        apply: () => {
          entry.provisioned.delete(qualifier);
        },
      };
    });
  }

  // ---- scalable targets and activities ------------------------------------------------

  listScalableTargets(scope: Scope): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]> {
    return this.#gate.read(() => this.#scaling.listTargets(scope));
  }

  listAllScalableTargets(): Promise<{ key: FunctionKey; target: ScalableTargetRecord }[]> {
    return this.#gate.read(() => this.#scaling.listTargets());
  }

  putScalableTarget(key: FunctionKey, target: ScalableTargetRecord): Promise<void> {
    return this.#gate.write(() => {
      const row = encode(target);
      return {
        ops: [{ op: 'upsert-target', key, child: target.qualifier, json: row.json }],
        apply: () => this.#scaling.putTarget({ ...key }, row.value),
      };
    });
  }

  deleteScalableTarget(key: FunctionKey, qualifier: string): Promise<void> {
    return this.#gate.write(() => ({
      ops: [{ op: 'delete-target', key, child: qualifier }],
      apply: () => void this.#scaling.deleteTarget(key, qualifier),
    }));
  }

  async putScalingActivity(key: FunctionKey, activity: ScalingActivityRecord): Promise<void> {
    let dropped: string[] = [];
    await this.#gate.write(() => {
      const row = encode(activity);
      return {
        ops: [{ op: 'upsert-activity', id: activity.id, key, child: activity.qualifier, json: row.json }],
        apply: () => {
          dropped = this.#scaling.putActivity({ ...key }, row.value);
        },
      };
    });
    if (dropped.length > 0) {
      // The cache already keeps only the newest; the rows follow.
      await this.#gate.write(() => ({
        ops: dropped.map((id) => ({ op: 'delete-activity', id })),
        apply: () => undefined,
      }));
    }
  }

  listScalingActivities(scope: Scope): Promise<{ key: FunctionKey; activity: ScalingActivityRecord }[]> {
    return this.#gate.read(() => this.#scaling.listActivities(scope));
  }

  // ---- namespaces ---------------------------------------------------------------------

  listNamespaces(scope: Scope): Promise<NamespaceRecord[]> {
    return this.#gate.read(() =>
      [...(this.#namespaces.get(scopeId(scope))?.values() ?? [])].sort((a, b) => byString(a.name, b.name)),
    );
  }

  createNamespace(scope: Scope, ns: NamespaceRecord): Promise<void> {
    return this.#gate.write(() => {
      const existing = this.#scopeNamespaces(scope);
      // `default` always exists without a row (ports.ts), so creating it is a conflict too.
      if (ns.name === DEFAULT_NAMESPACE || existing.has(ns.name)) {
        throw new PlatformError('NAMESPACE_ALREADY_EXISTS', { namespace: ns.name });
      }
      const row = encode(ns);
      return {
        ops: [{ op: 'insert-namespace', scope, name: ns.name, json: row.json }],
        apply: () => void existing.set(row.value.name, row.value),
      };
    });
  }

  deleteNamespace(scope: Scope, name: string): Promise<void> {
    return this.#gate.write(() => {
      const existing = this.#namespaces.get(scopeId(scope));
      if (existing === undefined || !existing.has(name)) {
        return undefined;
      }
      // Functions in the namespace are not touched: refusing a non-empty namespace
      // (NAMESPACE_NOT_EMPTY) is core's rule, not the store's.
      return {
        ops: [{ op: 'delete-namespace', scope, name }],
        apply: () => void existing.delete(name),
      };
    });
  }

  // ---- layers -------------------------------------------------------------------------

  getLayerVersion(key: LayerVersionKey): Promise<LayerVersionRecord | undefined> {
    return this.#gate.read(() => this.#layers.get(key));
  }

  listLayerVersions(key: LayerKey): Promise<LayerVersionRecord[]> {
    return this.#gate.read(() => this.#layers.list(key));
  }

  listScopeLayerVersions(scope: Scope): Promise<LayerVersionRecord[]> {
    return this.#gate.read(() => this.#layers.listScope(scope));
  }

  lastLayerVersion(key: LayerKey): Promise<number> {
    return this.#gate.read(() => this.#layers.last(key));
  }

  putLayerVersion(scope: Scope, record: LayerVersionRecord): Promise<void> {
    return this.#gate.write(() => {
      const key = { ...scope, layerName: record.layerName };
      const last = this.#layers.last(key);
      if (!Number.isSafeInteger(record.version) || record.version <= last) {
        throw new PlatformError('INTERNAL', {
          reason: `layer ${record.layerName}: version ${record.version} is not above the last one (${last})`,
        });
      }
      const row = encode(record);
      return {
        ops: [
          { op: 'upsert-layer', scope, name: record.layerName, last: record.version },
          {
            op: 'insert-layer-version',
            scope,
            name: record.layerName,
            version: record.version,
            json: row.json,
          },
        ],
        apply: () => this.#layers.put(key, row.value),
      };
    });
  }

  deleteLayerVersion(key: LayerVersionKey): Promise<void> {
    return this.#gate.write(() => {
      if (!this.#layers.has(key)) {
        return undefined;
      }
      return {
        ops: [{ op: 'delete-layer-version', scope: key, name: key.layerName, version: key.version }],
        apply: () => this.#layers.delete(key),
      };
    });
  }

  // ---- settings -----------------------------------------------------------------------

  getSettings(scope: Scope): Promise<Readonly<Record<string, unknown>>> {
    return this.#gate.read(() => this.#settings.get(scopeId(scope)) ?? EMPTY_SETTINGS);
  }

  putSettings(scope: Scope, settings: Readonly<Record<string, unknown>>): Promise<void> {
    return this.#gate.write(() => {
      const row = encode(settings);
      return {
        ops: [{ op: 'upsert-settings', scope, json: row.json }],
        apply: () => void this.#settings.set(scopeId(scope), row.value),
      };
    });
  }

  async close(): Promise<void> {
    if (await this.#gate.close()) {
      await this.#db.close();
    }
  }
}

/** $LATEST is the function row's head, never a row of the versions table. */
function assertPublishable(version: VersionRecord): void {
  if (version.version === LATEST || !/^[0-9]+$/.test(version.version)) {
    throw new PlatformError('INVALID_PARAMETER', {
      field: 'version',
      reason: `a published version must be a decimal number, got ${version.version}`,
    });
  }
}

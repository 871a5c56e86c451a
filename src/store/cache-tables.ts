/**
 * The cached store's tables in memory (cached-store.ts): every row of the database, by
 * function, scope and layer. They are filled from a snapshot at open, changed by this
 * process's writes once they committed, and, on a database shared by several nodes, by
 * the other nodes' committed row operations (`applyRemote`), which also say what changed
 * in core's terms so that this node's derived state (the provisioned reconcile, the
 * scaling loop) can follow.
 */
import type { RemoteChange } from '../core/services/change-feed.js';
import type {
  AliasRecord,
  FunctionKey,
  FunctionRecord,
  LayerVersionRecord,
  NamespaceRecord,
  ProvisionedConfigRecord,
  Scope,
  VersionRecord,
} from '../core/model.js';
import { keyStringOf } from '../core/model.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../core/scaling/scalable-target.js';
import { ScalingRecordsIndex } from '../core/scaling/target-index.js';
import { decode } from './frozen-json.js';
import { LayerIndex } from './layer-index.js';
import type { RemoteBatch, Snapshot, WriteOp } from './persistence.js';

/** Cache keys join identifiers with NUL, which no account, region or name can contain. */
const SEP = '\u0000';
const scopeIds = new WeakMap<Scope, string>();
const functionIds = new WeakMap<FunctionKey, string>();
const makeScopeId = (s: Scope): string => s.accountId + SEP + s.region;
const makeFunctionId = (k: FunctionKey): string => scopeId(k) + SEP + k.namespace + SEP + k.name;
/** Made once per key object, as core's key strings are (model.ts keyStringOf). */
export const scopeId = (s: Scope): string => keyStringOf(scopeIds, s, makeScopeId);
export const functionId = (k: FunctionKey): string => keyStringOf(functionIds, k, makeFunctionId);

export interface FunctionEntry {
  fn: FunctionRecord;
  readonly versions: Map<string, VersionRecord>;
  readonly aliases: Map<string, AliasRecord>;
  readonly provisioned: Map<string, ProvisionedConfigRecord>;
}

export class CacheTables {
  /** For error messages: which database this is. */
  readonly #describe: string;
  readonly functions = new Map<string, FunctionEntry>();
  /** The same entries indexed by scope, so listing one scope does not scan all. */
  readonly byScope = new Map<string, Map<string, FunctionEntry>>();
  readonly namespaces = new Map<string, Map<string, NamespaceRecord>>();
  readonly settings = new Map<string, Readonly<Record<string, unknown>>>();
  layers = new LayerIndex();
  scaling = new ScalingRecordsIndex();

  constructor(describe: string) {
    this.#describe = describe;
  }

  /** Fills the (empty) tables with every row of a snapshot. */
  load(s: Snapshot): void {
    for (const row of s.functions) {
      this.cacheEntry(decode<FunctionRecord>(row.json));
    }
    const entryOf = (key: FunctionKey): FunctionEntry => {
      const entry = this.entry(key);
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
      this.scopeNamespaces(row.scope).set(row.name, decode<NamespaceRecord>(row.json));
    }
    for (const row of s.settings) {
      this.settings.set(scopeId(row.scope), decode<Record<string, unknown>>(row.json));
    }
    for (const row of s.targets) {
      this.scaling.putTarget(row.key, decode<ScalableTargetRecord>(row.json));
    }
    for (const row of s.activities) {
      this.scaling.putActivity(row.key, decode<ScalingActivityRecord>(row.json), row.seq);
    }
    for (const row of s.layers) {
      this.layers.setLast({ ...row.scope, layerName: row.name }, row.last);
    }
    for (const row of s.layerVersions) {
      this.layers.put({ ...row.scope, layerName: row.name }, decode<LayerVersionRecord>(row.json));
    }
  }

  /**
   * Empties the tables (before a full reload) and returns what they held, in core's terms,
   * so that the reload can be announced as changes of everything it may have moved.
   */
  clear(): RemoteChange[] {
    const before = this.everything();
    this.functions.clear();
    this.byScope.clear();
    this.namespaces.clear();
    this.settings.clear();
    this.layers = new LayerIndex();
    this.scaling = new ScalingRecordsIndex();
    return before;
  }

  /** Every function, config and target as a change (after a reload, they may all have moved). */
  everything(): RemoteChange[] {
    const out: RemoteChange[] = [];
    for (const id of this.settings.keys()) {
      const [accountId = '', region = ''] = id.split(SEP);
      out.push({ kind: 'settings-changed', scope: { accountId, region } });
    }
    for (const entry of this.functions.values()) {
      const key = entry.fn.key;
      out.push({ kind: 'function-updated', key });
      for (const qualifier of entry.provisioned.keys()) {
        out.push({ kind: 'provisioned-changed', key, qualifier });
      }
    }
    for (const { key, target } of this.scaling.listTargets()) {
      out.push({ kind: 'target-changed', key, qualifier: target.qualifier });
    }
    return out;
  }

  /** Adds the entry of a function being loaded or created. */
  cacheEntry(fn: FunctionRecord): FunctionEntry {
    const entry: FunctionEntry = { fn, versions: new Map(), aliases: new Map(), provisioned: new Map() };
    const id = functionId(fn.key);
    this.functions.set(id, entry);
    let scoped = this.byScope.get(scopeId(fn.key));
    if (scoped === undefined) {
      scoped = new Map();
      this.byScope.set(scopeId(fn.key), scoped);
    }
    scoped.set(id, entry);
    return entry;
  }

  dropEntry(key: FunctionKey): void {
    const id = functionId(key);
    this.functions.delete(id);
    this.byScope.get(scopeId(key))?.delete(id);
  }

  scopeNamespaces(scope: Scope): Map<string, NamespaceRecord> {
    let m = this.namespaces.get(scopeId(scope));
    if (m === undefined) {
      m = new Map();
      this.namespaces.set(scopeId(scope), m);
    }
    return m;
  }

  entry(key: FunctionKey): FunctionEntry | undefined {
    return this.functions.get(functionId(key));
  }

  /**
   * Applies other writers' committed batches, in order, and returns what changed in core's
   * terms (provisioned configs and scalable targets as their own kinds).
   */
  applyRemote(batches: readonly RemoteBatch[]): RemoteChange[] {
    const changes: RemoteChange[] = [];
    for (const batch of batches) {
      for (const op of batch) {
        const change = this.#apply(op);
        if (change !== undefined) {
          changes.push(change);
        }
      }
    }
    return changes;
  }

  #apply(o: WriteOp): RemoteChange | undefined {
    switch (o.op) {
      case 'insert-function':
      case 'update-function': {
        const fn = decode<FunctionRecord>(o.json);
        const entry = this.entry(o.key);
        if (entry === undefined) {
          this.cacheEntry(fn);
        } else {
          entry.fn = fn;
        }
        return { kind: o.op === 'insert-function' ? 'function-created' : 'function-updated', key: o.key };
      }
      case 'delete-function':
        this.dropEntry(o.key);
        return { kind: 'function-deleted', key: o.key };
      case 'insert-version':
        this.entry(o.key)?.versions.set(o.child, decode<VersionRecord>(o.json));
        return { kind: 'version-published', key: o.key, version: o.child };
      case 'delete-version':
        this.entry(o.key)?.versions.delete(o.child);
        return { kind: 'version-deleted', key: o.key, version: o.child };
      case 'upsert-alias':
        this.entry(o.key)?.aliases.set(o.child, decode<AliasRecord>(o.json));
        return { kind: 'alias-changed', key: o.key, alias: o.child };
      case 'delete-alias':
        this.entry(o.key)?.aliases.delete(o.child);
        return { kind: 'alias-deleted', key: o.key, alias: o.child };
      case 'upsert-provisioned':
        this.entry(o.key)?.provisioned.set(o.child, decode<ProvisionedConfigRecord>(o.json));
        return { kind: 'provisioned-changed', key: o.key, qualifier: o.child };
      case 'delete-provisioned':
        this.entry(o.key)?.provisioned.delete(o.child);
        return { kind: 'provisioned-changed', key: o.key, qualifier: o.child };
      case 'insert-namespace':
        this.scopeNamespaces(o.scope).set(o.name, decode<NamespaceRecord>(o.json));
        return undefined;
      case 'delete-namespace':
        this.namespaces.get(scopeId(o.scope))?.delete(o.name);
        return undefined;
      case 'upsert-settings':
        this.settings.set(scopeId(o.scope), decode<Record<string, unknown>>(o.json));
        return { kind: 'settings-changed', scope: o.scope };
      case 'upsert-target':
        this.scaling.putTarget({ ...o.key }, decode<ScalableTargetRecord>(o.json));
        return { kind: 'target-changed', key: o.key, qualifier: o.child };
      case 'delete-target':
        this.scaling.deleteTarget(o.key, o.child);
        return { kind: 'target-changed', key: o.key, qualifier: o.child };
      case 'upsert-activity':
        // The index trims to the newest activities itself, as the writer's did: its
        // delete-activity rows that follow need nothing here.
        this.scaling.putActivity({ ...o.key }, decode<ScalingActivityRecord>(o.json));
        return undefined;
      case 'delete-activity':
        return undefined;
      case 'upsert-layer':
        this.layers.setLast({ ...o.scope, layerName: o.name }, o.last);
        return undefined;
      case 'insert-layer-version':
        this.layers.put({ ...o.scope, layerName: o.name }, decode<LayerVersionRecord>(o.json));
        return undefined;
      case 'delete-layer-version':
        this.layers.delete({ ...o.scope, layerName: o.name, version: o.version });
        return undefined;
    }
  }
}

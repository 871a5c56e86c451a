/**
 * The cached store's layers (cached-store.ts): per layer name in a scope, its versions and
 * the highest number ever published (numbers are never reused after a delete, as on AWS).
 * Holds whatever records it is given; freezing them is the caller's job.
 */
import type { LayerKey, LayerVersionKey, LayerVersionRecord, Scope } from '../core/model.js';

/** Cache keys join identifiers with NUL, which no account, region or layer name can contain. */
const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const layerId = (k: LayerKey): string => scopeId(k) + SEP + k.layerName;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface LayerEntry {
  readonly scope: string;
  readonly name: string;
  lastVersion: number;
  readonly versions: Map<number, LayerVersionRecord>;
}

export class LayerIndex {
  readonly #layers = new Map<string, LayerEntry>();

  #entry(key: LayerKey): LayerEntry {
    let entry = this.#layers.get(layerId(key));
    if (entry === undefined) {
      entry = { scope: scopeId(key), name: key.layerName, lastVersion: 0, versions: new Map() };
      this.#layers.set(layerId(key), entry);
    }
    return entry;
  }

  get(key: LayerVersionKey): LayerVersionRecord | undefined {
    return this.#layers.get(layerId(key))?.versions.get(key.version);
  }

  has(key: LayerVersionKey): boolean {
    return this.get(key) !== undefined;
  }

  list(key: LayerKey): LayerVersionRecord[] {
    return [...(this.#layers.get(layerId(key))?.versions.values() ?? [])].sort(
      (a, b) => a.version - b.version,
    );
  }

  listScope(scope: Scope): LayerVersionRecord[] {
    const id = scopeId(scope);
    return [...this.#layers.values()]
      .filter((e) => e.scope === id)
      .sort((a, b) => byString(a.name, b.name))
      .flatMap((e) => [...e.versions.values()].sort((a, b) => a.version - b.version));
  }

  last(key: LayerKey): number {
    return this.#layers.get(layerId(key))?.lastVersion ?? 0;
  }

  setLast(key: LayerKey, version: number): void {
    this.#entry(key).lastVersion = version;
  }

  put(key: LayerKey, record: LayerVersionRecord): void {
    const entry = this.#entry(key);
    entry.lastVersion = Math.max(entry.lastVersion, record.version);
    entry.versions.set(record.version, record);
  }

  delete(key: LayerVersionKey): void {
    this.#layers.get(layerId(key))?.versions.delete(key.version);
  }
}

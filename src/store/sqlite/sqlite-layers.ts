/**
 * The layer tables of the SQLite store (migration `layers`), kept apart from
 * sqlite-store.ts: the same write-through cache discipline (check, encode, commit, then
 * update the cache), driven by the store's own `run` and `transaction` so that errors and
 * the closed state are handled in one place.
 */
import type Database from 'better-sqlite3';
import { PlatformError } from '../../core/errors.js';
import type { LayerKey, LayerVersionKey, LayerVersionRecord, Scope } from '../../core/model.js';
import { decode, encode } from './frozen-json.js';

/** Cache keys join identifiers with NUL, which no account, region or layer name can contain. */
const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const layerId = (k: LayerKey): string => scopeId(k) + SEP + k.layerName;

interface LayerEntry {
  readonly scope: string;
  readonly name: string;
  lastVersion: number;
  readonly versions: Map<number, LayerVersionRecord>;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class SqliteLayers {
  readonly #layers = new Map<string, LayerEntry>();
  readonly #upsertLayer: Database.Statement;
  readonly #insertVersion: Database.Statement;
  readonly #deleteVersion: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly transaction: (work: () => void) => void,
  ) {
    this.#upsertLayer = db.prepare(
      'INSERT INTO layers (account_id, region, name, last_version) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET last_version = excluded.last_version',
    );
    this.#insertVersion = db.prepare(
      'INSERT INTO layer_versions (account_id, region, name, version, record) VALUES (?, ?, ?, ?, ?)',
    );
    this.#deleteVersion = db.prepare(
      'DELETE FROM layer_versions WHERE account_id = ? AND region = ? AND name = ? AND version = ?',
    );
    const layers = db
      .prepare<[], { account_id: string; region: string; name: string; last_version: number }>(
        'SELECT account_id, region, name, last_version FROM layers',
      )
      .all();
    for (const row of layers) {
      const entry = this.#entry({ accountId: row.account_id, region: row.region, layerName: row.name });
      entry.lastVersion = row.last_version;
    }
    const versions = db
      .prepare<[], { account_id: string; region: string; name: string; version: number; record: string }>(
        'SELECT account_id, region, name, version, record FROM layer_versions',
      )
      .all();
    for (const row of versions) {
      const entry = this.#entry({ accountId: row.account_id, region: row.region, layerName: row.name });
      entry.versions.set(row.version, decode<LayerVersionRecord>(row.record));
    }
  }

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

  put(scope: Scope, record: LayerVersionRecord): void {
    const key = { ...scope, layerName: record.layerName };
    const last = this.last(key);
    if (!Number.isSafeInteger(record.version) || record.version <= last) {
      throw new PlatformError('INTERNAL', {
        reason: `layer ${record.layerName}: version ${record.version} is not above the last one (${last})`,
      });
    }
    const row = encode(record);
    this.transaction(() => {
      this.#upsertLayer.run(scope.accountId, scope.region, record.layerName, record.version);
      this.#insertVersion.run(scope.accountId, scope.region, record.layerName, record.version, row.json);
    });
    const entry = this.#entry(key);
    entry.lastVersion = record.version;
    entry.versions.set(record.version, row.value);
  }

  delete(key: LayerVersionKey): void {
    const entry = this.#layers.get(layerId(key));
    if (entry === undefined || !entry.versions.has(key.version)) {
      return;
    }
    this.transaction(() => {
      this.#deleteVersion.run(key.accountId, key.region, key.layerName, key.version);
    });
    entry.versions.delete(key.version);
  }
}

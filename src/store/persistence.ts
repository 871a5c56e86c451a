/**
 * What a database must do for the cached store (cached-store.ts): hand over every row once
 * at open, and apply a list of writes in one transaction. SQLite (sqlite/) and PostgreSQL
 * (postgres/) implement it with the same tables and the same JSON records; everything else
 * (checks, ordering, the in-memory cache, error wording) is the cached store's, once.
 */
import type { FunctionKey, Scope } from '../core/model.js';

/** One row as stored: the key columns of its table and the record as JSON. */
export interface FunctionRow {
  readonly key: FunctionKey;
  readonly json: string;
}

export interface ChildRow extends FunctionRow {
  /** The version number, alias name or provisioned qualifier. */
  readonly child: string;
}

export interface ScopeRow {
  readonly scope: Scope;
  readonly name: string;
  readonly json: string;
}

export interface Snapshot {
  readonly functions: readonly FunctionRow[];
  readonly versions: readonly ChildRow[];
  readonly aliases: readonly ChildRow[];
  readonly provisioned: readonly ChildRow[];
  readonly namespaces: readonly ScopeRow[];
  /** `name` is unused (one row per scope). */
  readonly settings: readonly ScopeRow[];
  readonly targets: readonly FunctionRow[];
  /** Oldest first (their insertion order). */
  readonly activities: readonly (FunctionRow & { readonly seq: number })[];
  /** `json` is unused; `name` is the layer name and `last` its highest version ever. */
  readonly layers: readonly (ScopeRow & { readonly last: number })[];
  readonly layerVersions: readonly (ScopeRow & { readonly version: number })[];
}

/** One change of a row. Deleting a function removes its versions, aliases and configs too. */
export type WriteOp =
  | { readonly op: 'insert-function'; readonly key: FunctionKey; readonly json: string }
  | { readonly op: 'update-function'; readonly key: FunctionKey; readonly json: string }
  | { readonly op: 'delete-function'; readonly key: FunctionKey }
  | {
      readonly op: 'insert-version';
      readonly key: FunctionKey;
      readonly child: string;
      readonly json: string;
    }
  | { readonly op: 'delete-version'; readonly key: FunctionKey; readonly child: string }
  | { readonly op: 'upsert-alias'; readonly key: FunctionKey; readonly child: string; readonly json: string }
  | { readonly op: 'delete-alias'; readonly key: FunctionKey; readonly child: string }
  | {
      readonly op: 'upsert-provisioned';
      readonly key: FunctionKey;
      readonly child: string;
      readonly json: string;
    }
  | { readonly op: 'delete-provisioned'; readonly key: FunctionKey; readonly child: string }
  | { readonly op: 'insert-namespace'; readonly scope: Scope; readonly name: string; readonly json: string }
  | { readonly op: 'delete-namespace'; readonly scope: Scope; readonly name: string }
  | { readonly op: 'upsert-settings'; readonly scope: Scope; readonly json: string }
  | { readonly op: 'upsert-target'; readonly key: FunctionKey; readonly child: string; readonly json: string }
  | { readonly op: 'delete-target'; readonly key: FunctionKey; readonly child: string }
  | {
      readonly op: 'upsert-activity';
      readonly id: string;
      readonly key: FunctionKey;
      readonly child: string;
      readonly json: string;
    }
  | { readonly op: 'delete-activity'; readonly id: string }
  | { readonly op: 'upsert-layer'; readonly scope: Scope; readonly name: string; readonly last: number }
  | {
      readonly op: 'insert-layer-version';
      readonly scope: Scope;
      readonly name: string;
      readonly version: number;
      readonly json: string;
    }
  | {
      readonly op: 'delete-layer-version';
      readonly scope: Scope;
      readonly name: string;
      readonly version: number;
    };

/** One transaction of another writer (a node sharing the database), in commit order. */
export type RemoteBatch = readonly WriteOp[];

/**
 * A write on a shared database: opened under the database's write lock, with what the
 * other writers committed since this process last looked (`'reload'`: too much to replay,
 * read every row again), so the cache can catch up before the write is checked against it.
 */
export interface WriteTx {
  readonly remote: readonly RemoteBatch[] | 'reload';
  /** Applies `ops` in order and commits: all of them or none (a failure rolls back). */
  commit(ops: readonly WriteOp[]): Promise<void>;
  /** Ends the transaction without writing. */
  abort(): Promise<void>;
}

export interface Persistence {
  /** Every row, once, at open (and again after a `'reload'`). */
  load(): Promise<Snapshot>;
  /** Applies `ops` in order in one transaction: all of them or none. */
  commit(ops: readonly WriteOp[]): Promise<void>;
  /**
   * Shared databases only (several processes write): a write opened under the database's
   * write lock (`commit` is then not used).
   */
  begin?(): Promise<WriteTx>;
  /** Shared databases only: what other writers committed since the last look. */
  poll?(): Promise<readonly RemoteBatch[] | 'reload'>;
  /** Shared databases only: calls `wake` when another writer may have committed; returns stop. */
  watch?(wake: () => void): () => void;
  close(): Promise<void>;
}

const keyParams = (k: FunctionKey): [string, string, string, string] => [
  k.accountId,
  k.region,
  k.namespace,
  k.name,
];

/**
 * The statement parameters of one operation, in the order every persistence writes its
 * SQL in: the key columns, then the record (but `update-function`: the record first).
 */
export function rowParams(o: WriteOp): unknown[] {
  switch (o.op) {
    case 'insert-function':
      return [...keyParams(o.key), o.json];
    case 'update-function':
      return [o.json, ...keyParams(o.key)];
    case 'delete-function':
      return keyParams(o.key);
    case 'insert-version':
    case 'upsert-alias':
    case 'upsert-provisioned':
    case 'upsert-target':
      return [...keyParams(o.key), o.child, o.json];
    case 'delete-version':
    case 'delete-alias':
    case 'delete-provisioned':
    case 'delete-target':
      return [...keyParams(o.key), o.child];
    case 'insert-namespace':
      return [o.scope.accountId, o.scope.region, o.name, o.json];
    case 'delete-namespace':
      return [o.scope.accountId, o.scope.region, o.name];
    case 'upsert-settings':
      return [o.scope.accountId, o.scope.region, o.json];
    case 'upsert-activity':
      return [o.id, ...keyParams(o.key), o.child, o.json];
    case 'delete-activity':
      return [o.id];
    case 'upsert-layer':
      return [o.scope.accountId, o.scope.region, o.name, o.last];
    case 'insert-layer-version':
      return [o.scope.accountId, o.scope.region, o.name, o.version, o.json];
    case 'delete-layer-version':
      return [o.scope.accountId, o.scope.region, o.name, o.version];
  }
}

/** A row of a function-keyed table as both drivers return it (the record as JSON text). */
export interface KeyRow {
  account_id: string;
  region: string;
  namespace: string;
  function: string;
  record: string;
}

export const keyOf = (row: KeyRow): FunctionKey => ({
  accountId: row.account_id,
  region: row.region,
  namespace: row.namespace,
  name: row.function,
});

export const scopeOf = (row: { account_id: string; region: string }): Scope => ({
  accountId: row.account_id,
  region: row.region,
});

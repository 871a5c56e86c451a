/**
 * The SQLite store's scalable targets and scaling activities (migration 2), kept out of
 * sqlite-store.ts: the same write-through discipline (SQL in a transaction first, then
 * the cache), with the cache shared in shape with the in-memory store (target-index.ts).
 */
import type Database from 'better-sqlite3';
import type { FunctionKey, Scope } from '../../core/model.js';
import type { ScalableTargetRecord, ScalingActivityRecord } from '../../core/scaling/scalable-target.js';
import { ScalingRecordsIndex } from '../../core/scaling/target-index.js';
import { decode, encode } from './frozen-json.js';

type Statement = Database.Statement<unknown[], unknown>;

interface TargetRow {
  account_id: string;
  region: string;
  namespace: string;
  function: string;
  record: string;
  seq?: number;
}

const keyOf = (row: TargetRow): FunctionKey => ({
  accountId: row.account_id,
  region: row.region,
  namespace: row.namespace,
  name: row.function,
});

const keyParams = (k: FunctionKey): [string, string, string, string] => [
  k.accountId,
  k.region,
  k.namespace,
  k.name,
];

export class ScalingTables {
  readonly #index = new ScalingRecordsIndex();
  readonly #sql: Record<'upsertTarget' | 'deleteTarget' | 'upsertActivity' | 'deleteActivity', Statement>;

  constructor(
    db: Database.Database,
    private readonly transaction: (work: () => void) => void,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.#sql = {
      upsertTarget: p(
        'INSERT INTO scalable_targets (account_id, region, namespace, function, qualifier, record) ' +
          'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET record = excluded.record',
      ),
      deleteTarget: p(
        'DELETE FROM scalable_targets WHERE account_id = ? AND region = ? AND namespace = ? AND function = ? AND qualifier = ?',
      ),
      upsertActivity: p(
        'INSERT INTO scaling_activities (id, account_id, region, namespace, function, qualifier, record) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record',
      ),
      deleteActivity: p('DELETE FROM scaling_activities WHERE id = ?'),
    };
    for (const row of db
      .prepare<[], TargetRow>('SELECT account_id, region, namespace, function, record FROM scalable_targets')
      .all()) {
      this.#index.putTarget(keyOf(row), decode<ScalableTargetRecord>(row.record));
    }
    for (const row of db
      .prepare<[], TargetRow>(
        'SELECT seq, account_id, region, namespace, function, record FROM scaling_activities ORDER BY seq',
      )
      .all()) {
      this.#index.putActivity(keyOf(row), decode<ScalingActivityRecord>(row.record), row.seq);
    }
  }

  listTargets(scope?: Scope): { key: FunctionKey; target: ScalableTargetRecord }[] {
    return this.#index.listTargets(scope);
  }

  putTarget(key: FunctionKey, target: ScalableTargetRecord): void {
    const row = encode(target);
    this.transaction(() => {
      this.#sql.upsertTarget.run(...keyParams(key), target.qualifier, row.json);
    });
    this.#index.putTarget({ ...key }, row.value);
  }

  deleteTarget(key: FunctionKey, qualifier: string): void {
    this.transaction(() => {
      this.#sql.deleteTarget.run(...keyParams(key), qualifier);
    });
    this.#index.deleteTarget(key, qualifier);
  }

  putActivity(key: FunctionKey, activity: ScalingActivityRecord): void {
    const row = encode(activity);
    this.transaction(() => {
      this.#sql.upsertActivity.run(activity.id, ...keyParams(key), activity.qualifier, row.json);
    });
    const dropped = this.#index.putActivity({ ...key }, row.value);
    if (dropped.length > 0) {
      this.transaction(() => {
        for (const id of dropped) {
          this.#sql.deleteActivity.run(id);
        }
      });
    }
  }

  listActivities(scope: Scope): { key: FunctionKey; activity: ScalingActivityRecord }[] {
    return this.#index.listActivities(scope);
  }
}

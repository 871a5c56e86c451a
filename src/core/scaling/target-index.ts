/**
 * The in-memory shape of the Store port's scalable targets and activities, shared by the
 * stores' caches (the SQLite store and the in-memory one) so that both order, replace and
 * trim alike. It holds whatever records it is given; freezing them is the caller's job.
 */
import type { FunctionKey, Scope } from '../model.js';
import {
  MAX_ACTIVITIES_PER_TARGET,
  type ScalableTargetRecord,
  type ScalingActivityRecord,
} from './scalable-target.js';

const SEP = '\u0000';
const scopeId = (s: Scope): string => s.accountId + SEP + s.region;
const targetId = (k: FunctionKey, qualifier: string): string =>
  [k.accountId, k.region, k.namespace, k.name, qualifier].join(SEP);
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface TargetEntry {
  readonly key: FunctionKey;
  readonly target: ScalableTargetRecord;
}

interface ActivityEntry {
  readonly key: FunctionKey;
  readonly activity: ScalingActivityRecord;
  /** Insertion order, for ties on start time. */
  readonly seq: number;
}

export class ScalingRecordsIndex {
  readonly #targets = new Map<string, TargetEntry>();
  /** Per target id, oldest first. */
  readonly #activities = new Map<string, ActivityEntry[]>();
  #seq = 0;

  listTargets(scope?: Scope): { key: FunctionKey; target: ScalableTargetRecord }[] {
    return [...this.#targets.values()]
      .filter((e) => scope === undefined || scopeId(e.key) === scopeId(scope))
      .sort(
        (a, b) =>
          byString(scopeId(a.key), scopeId(b.key)) ||
          byString(a.key.namespace, b.key.namespace) ||
          byString(a.key.name, b.key.name) ||
          byString(a.target.qualifier, b.target.qualifier),
      )
      .map((e) => ({ key: e.key, target: e.target }));
  }

  putTarget(key: FunctionKey, target: ScalableTargetRecord): void {
    this.#targets.set(targetId(key, target.qualifier), { key, target });
  }

  deleteTarget(key: FunctionKey, qualifier: string): boolean {
    return this.#targets.delete(targetId(key, qualifier));
  }

  /**
   * Inserts or replaces (same id, keeping its place) an activity; returns the ids dropped
   * to stay within MAX_ACTIVITIES_PER_TARGET.
   */
  putActivity(key: FunctionKey, activity: ScalingActivityRecord, seq?: number): string[] {
    const id = targetId(key, activity.qualifier);
    let list = this.#activities.get(id);
    if (list === undefined) {
      list = [];
      this.#activities.set(id, list);
    }
    const at = list.findIndex((e) => e.activity.id === activity.id);
    if (at >= 0) {
      list[at] = { key, activity, seq: (list[at] as ActivityEntry).seq };
      return [];
    }
    const next = seq ?? ++this.#seq;
    this.#seq = Math.max(this.#seq, next);
    list.push({ key, activity, seq: next });
    const dropped = list.splice(0, Math.max(0, list.length - MAX_ACTIVITIES_PER_TARGET));
    return dropped.map((e) => e.activity.id);
  }

  listActivities(scope: Scope): { key: FunctionKey; activity: ScalingActivityRecord }[] {
    const out: ActivityEntry[] = [];
    for (const list of this.#activities.values()) {
      for (const e of list) {
        if (scopeId(e.key) === scopeId(scope)) {
          out.push(e);
        }
      }
    }
    return out
      .sort((a, b) => b.activity.startMs - a.activity.startMs || b.seq - a.seq)
      .map((e) => ({ key: e.key, activity: e.activity }));
  }
}

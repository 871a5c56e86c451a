/**
 * The PostgreSQL log store's housekeeping and group administration (pg-log-writer.ts
 * calls it): deleting a group, setting its retention, and, on a timer, each group's
 * retention, then the size cap removing the oldest events across groups, under a
 * PostgreSQL advisory try-lock: one node at a time, the others skip their turn. Deletions
 * count what they removed from their own DELETE … RETURNING, so a retention that runs on
 * two nodes at once (PutRetentionPolicy) keeps the counts true.
 */
import type pg from 'pg';
import type { LogScope } from '../../core/logs/log-port.js';

const DAY_MS = 86_400_000;
/** Held by the node that runs retention and the cap ("hearthlg"). */
const HOUSEKEEPING_LOCK = 0x6865_6172_7468_6c67n;

/** A deadlock's victim or a serialization failure is tried again, three times at most. */
export function retryable(e: unknown, attempt: number): boolean {
  const code = (e as { code?: unknown }).code;
  return (code === '40P01' || code === '40001') && attempt < 3;
}

/** `work` in one transaction, tried again when PostgreSQL chose it as a deadlock's victim. */
export async function transaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      if (!retryable(e, attempt)) {
        throw e;
      }
    } finally {
      c.release();
    }
  }
}

export class PgLogHousekeeping {
  /** The run in progress (runs never overlap on one node). */
  #housekeeping: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBytes: number,
    private readonly now: () => number,
  ) {}

  /** Resolves once no run is in progress. */
  async idle(): Promise<void> {
    await this.#housekeeping;
  }

  /** Deletes a group, its streams, events and invocations; false when there is none. */
  deleteGroup(scope: LogScope, name: string): Promise<boolean> {
    return transaction(this.pool, async (c) => {
      // The group row first: writers lock it before they add to it (pg-log-writer.ts).
      const g = await c.query<{ id: number }>(
        `DELETE FROM hearth_log_groups WHERE account_id = $1 AND region = $2 AND namespace = $3 AND name = $4
         RETURNING id`,
        [scope.accountId, scope.region, scope.namespace, name],
      );
      const id = g.rows[0]?.id;
      if (id === undefined) {
        return false;
      }
      await c.query('DELETE FROM hearth_log_events WHERE group_id = $1', [id]);
      await c.query('DELETE FROM hearth_log_invocations WHERE group_id = $1', [id]);
      await c.query('DELETE FROM hearth_log_streams WHERE group_id = $1', [id]);
      return true;
    });
  }

  /** Sets (or, undefined, removes) a group's retention and applies it at once; false: no group. */
  async setRetention(scope: LogScope, name: string, days: number | undefined): Promise<boolean> {
    const res = await this.pool.query<{ id: number }>(
      `UPDATE hearth_log_groups SET retention_days = $5
        WHERE account_id = $1 AND region = $2 AND namespace = $3 AND name = $4 RETURNING id`,
      [scope.accountId, scope.region, scope.namespace, name, days ?? null],
    );
    const id = res.rows[0]?.id;
    if (id === undefined) {
      return false;
    }
    if (days !== undefined) {
      const c = await this.pool.connect();
      try {
        await this.#expire(c, id, this.now() - days * DAY_MS);
      } finally {
        c.release();
      }
    }
    return true;
  }

  async totalBytes(db: pg.Pool | pg.ClientBase): Promise<number> {
    const res = await db.query<{ n: number }>(
      'SELECT COALESCE(SUM(stored_bytes), 0)::bigint AS n FROM hearth_log_groups',
    );
    return res.rows[0]?.n ?? 0;
  }

  /** Retention (unless told not to) and the cap, on one node at a time. */
  run(o: { readonly retention: boolean } = { retention: true }): Promise<void> {
    const run = async () => {
      const c = await this.pool.connect();
      try {
        const got = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
          HOUSEKEEPING_LOCK.toString(),
        ]);
        if (got.rows[0]?.ok !== true) {
          return; // Another node is at it.
        }
        try {
          if (o.retention) {
            await this.#applyRetention(c);
          }
          await this.#enforceCap(c);
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK.toString()]);
        }
      } finally {
        c.release();
      }
    };
    const done = (this.#housekeeping ?? Promise.resolve()).then(run, run);
    this.#housekeeping = done.catch(() => undefined);
    return done;
  }

  async #applyRetention(c: pg.ClientBase): Promise<void> {
    const groups = await c.query<{ id: number; retention_days: number }>(
      'SELECT id, retention_days FROM hearth_log_groups WHERE retention_days IS NOT NULL',
    );
    const now = this.now();
    for (const g of groups.rows) {
      await this.#expire(c, g.id, now - g.retention_days * DAY_MS);
    }
  }

  /** Removes a group's events (and invocations) older than `cutoffMs`. */
  #expire(c: pg.ClientBase, groupId: number, cutoffMs: number): Promise<void> {
    return this.#remove(c, 'group_id = $1 AND ts_ms < $2', [groupId, cutoffMs], {
      sql: 'DELETE FROM hearth_log_invocations WHERE group_id = $1 AND start_ms < $2',
      params: [groupId, cutoffMs],
    });
  }

  /** Oldest events first, across groups, until 90 % of the cap. */
  async #enforceCap(c: pg.ClientBase): Promise<void> {
    const target = Math.floor(this.maxBytes * 0.9);
    let total = await this.totalBytes(c);
    while (total > target) {
      const rows = (
        await c.query<{ id: number; bytes: number }>(
          'SELECT id, bytes FROM hearth_log_events ORDER BY id LIMIT 2000',
        )
      ).rows;
      if (rows.length === 0) {
        return;
      }
      let excess = total - target;
      let upTo = 0;
      for (const r of rows) {
        upTo = r.id;
        excess -= r.bytes;
        if (excess <= 0) {
          break;
        }
      }
      await this.#remove(c, 'id <= $1', [upTo], {
        sql: 'DELETE FROM hearth_log_invocations WHERE first_event_id <= $1',
        params: [upTo],
      });
      total = await this.totalBytes(c);
    }
  }

  /**
   * Deletes the events matching `where` (and the invocations `also` names) in one
   * transaction, taking from the stream and group counts exactly what this DELETE removed:
   * a row another node removed first is not counted twice.
   */
  async #remove(
    c: pg.ClientBase,
    where: string,
    params: number[],
    also: { readonly sql: string; readonly params: number[] },
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await c.query('BEGIN');
      try {
        const sums = await c.query<{ group_id: number; stream_id: number; n: number }>(
          `WITH d AS (DELETE FROM hearth_log_events WHERE ${where} RETURNING group_id, stream_id, bytes)
           SELECT group_id, stream_id, SUM(bytes)::bigint AS n FROM d GROUP BY group_id, stream_id`,
          params,
        );
        await c.query(also.sql, also.params);
        const groups = new Map<number, number>();
        for (const s of sums.rows) {
          groups.set(s.group_id, (groups.get(s.group_id) ?? 0) + s.n);
        }
        const groupIds = [...groups.keys()].sort((a, b) => a - b);
        await c.query(
          'SELECT id FROM hearth_log_groups WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
          [groupIds],
        );
        await c.query(
          `UPDATE hearth_log_groups g SET stored_bytes = g.stored_bytes - t.n
             FROM unnest($1::bigint[], $2::bigint[]) AS t(id, n) WHERE g.id = t.id`,
          [groupIds, groupIds.map((g) => groups.get(g) ?? 0)],
        );
        await c.query(
          `UPDATE hearth_log_streams s SET stored_bytes = s.stored_bytes - t.n
             FROM unnest($1::bigint[], $2::bigint[]) AS t(id, n) WHERE s.id = t.id`,
          [sums.rows.map((s) => s.stream_id), sums.rows.map((s) => s.n)],
        );
        await c.query('COMMIT');
        return;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (!retryable(e, attempt)) {
          throw e;
        }
      }
    }
  }
}

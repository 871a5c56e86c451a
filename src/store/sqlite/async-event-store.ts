/**
 * The AsyncEventStore on SQLite, in its own database file (`events.db` beside
 * `hearth.db`): the queue's write rate (one row per Event invoke, one update per attempt)
 * never waits behind control-plane transactions or holds them up, and each file keeps its
 * own exclusive lock and WAL. Same durability as the main store (WAL, synchronous=NORMAL:
 * a killed process loses nothing acknowledged; see sqlite-store.ts `configure`).
 *
 * Event writes go through GroupCommit: the writes of one tick share one transaction.
 * Reads (recovery at start, SCF's status queries) go to SQL: they are rare, and the
 * queue itself keeps pending events in memory.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PlatformError } from '../../core/errors.js';
import type { FunctionKey } from '../../core/model.js';
import type {
  AsyncEventFilter,
  AsyncEventRecord,
  AsyncEventStatus,
  AsyncEventStore,
  AsyncEventSummary,
  EventInvokeConfigRecord,
} from '../../core/ports.js';
import {
  keyParams,
  recordOf,
  summaryOf,
  wrapEventStoreError,
  type AsyncEventRow,
} from '../async-event-rows.js';
import { decode } from '../frozen-json.js';
import { GroupCommit, type GroupCommitStats } from './group-commit.js';
import { migrate, type Migration } from './migrations.js';

const BUSY_TIMEOUT_MS = 5_000;

const eventMigrations: readonly Migration[] = [
  function asyncEvents(db) {
    db.exec(`
      CREATE TABLE async_events (
        request_id     TEXT PRIMARY KEY,
        account_id     TEXT NOT NULL,
        region         TEXT NOT NULL,
        namespace      TEXT NOT NULL,
        function       TEXT NOT NULL,
        version        TEXT NOT NULL,
        qualifier      TEXT,
        invoked_arn    TEXT NOT NULL,
        payload        BLOB NOT NULL,
        client_context TEXT,
        trace_id       TEXT,
        enqueued_ms    INTEGER NOT NULL,
        attempts       INTEGER NOT NULL,
        throttles      INTEGER NOT NULL,
        not_before_ms  INTEGER NOT NULL,
        status         TEXT NOT NULL,
        end_ms         INTEGER
      );
      CREATE INDEX async_events_by_function
        ON async_events (account_id, region, namespace, function, enqueued_ms);
      CREATE INDEX async_events_pending ON async_events (enqueued_ms) WHERE status = 'pending';
      CREATE INDEX async_events_settled ON async_events (end_ms) WHERE status <> 'pending';

      CREATE TABLE event_invoke_configs (
        account_id TEXT NOT NULL,
        region     TEXT NOT NULL,
        namespace  TEXT NOT NULL,
        function   TEXT NOT NULL,
        qualifier  TEXT NOT NULL,
        record     TEXT NOT NULL CHECK (json_valid(record)),
        PRIMARY KEY (account_id, region, namespace, function, qualifier)
      ) WITHOUT ROWID;
    `);
  },
  // claimDue reads pending events in pages after the last one it read (a keyset): the
  // index gives them in that order, the request id breaking ties of one millisecond.
  function pendingKeyset(db) {
    db.exec(`
      DROP INDEX async_events_pending;
      CREATE INDEX async_events_pending ON async_events (enqueued_ms, request_id) WHERE status = 'pending';
    `);
  },
];

const KEY_WHERE = 'account_id = ? AND region = ? AND namespace = ? AND function = ?';

type Statement = Database.Statement<unknown[], unknown>;

/** claimDue's page: pending events after (enqueued_ms, request_id), a search of the pending index. */
export const PENDING_AFTER_SQL = `SELECT * FROM async_events
  WHERE status = 'pending' AND (enqueued_ms, request_id) > (?, ?)
  ORDER BY enqueued_ms, request_id LIMIT ?`;

export interface SqliteAsyncEventStore extends AsyncEventStore {
  /** Commit counts, for the benchmark. */
  readonly commitStats: GroupCommitStats;
  /** Rows claimDue has read since open (each pending row once, however many pages). */
  readonly claimStats: { readonly rowsRead: number };
}

/** Opens (creating) the events database; `grouped: false` commits every write alone (bench baseline). */
export function openSqliteAsyncEventStore(
  file: string,
  opts: { grouped?: boolean } = {},
): Promise<SqliteAsyncEventStore> {
  try {
    if (file !== ':memory:') {
      mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    }
    const db = new Database(file);
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (file !== ':memory:' && mode !== 'wal') {
        throw new Error(`could not switch ${file} to WAL mode (got ${String(mode)})`);
      }
      db.pragma('synchronous = NORMAL');
      migrate(db, eventMigrations);
    } catch (e) {
      db.close();
      throw e;
    }
    return Promise.resolve(new SqliteEvents(db, new GroupCommit(db, opts)));
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

class SqliteEvents implements SqliteAsyncEventStore {
  readonly #db: Database.Database;
  readonly #commits: GroupCommit;
  readonly #sql: Record<
    | 'insert'
    | 'reschedule'
    | 'finish'
    | 'pending'
    | 'pendingAfter'
    | 'get'
    | 'find'
    | 'prune'
    | 'getConfig'
    | 'listConfigs'
    | 'putConfig',
    Statement
  >;
  /** Pending events this (only) owner holds: added in this open, or claimed. */
  readonly #held = new Set<string>();
  /**
   * The last pending event claimDue read (claimed, or held already): every pending event
   * before it is held, and stays held until it is finished, so the next claim starts
   * after it. Undefined: from the oldest.
   */
  #claimedUpTo: { enqueuedMs: number; requestId: string } | undefined;
  #claimRowsRead = 0;
  #closed = false;

  constructor(db: Database.Database, commits: GroupCommit) {
    this.#db = db;
    this.#commits = commits;
    const p = (sql: string): Statement => db.prepare(sql);
    this.#sql = {
      insert: p(
        `INSERT INTO async_events (request_id, account_id, region, namespace, function, version, qualifier,
           invoked_arn, payload, client_context, trace_id, enqueued_ms, attempts, throttles, not_before_ms, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      reschedule: p(
        `UPDATE async_events SET attempts = ?, throttles = ?, not_before_ms = ?
         WHERE request_id = ? AND status = 'pending'`,
      ),
      // The payload goes with the event: only the summary is kept for status queries.
      finish: p(
        `UPDATE async_events SET status = ?, end_ms = ?, attempts = ?, payload = x''
         WHERE request_id = ? AND status = 'pending'`,
      ),
      pending: p(`SELECT * FROM async_events WHERE status = 'pending' ORDER BY enqueued_ms, request_id`),
      pendingAfter: p(PENDING_AFTER_SQL),
      get: p(`SELECT * FROM async_events WHERE request_id = ? AND ${KEY_WHERE}`),
      find: p(`SELECT * FROM async_events WHERE request_id = ?`),
      prune: p(`DELETE FROM async_events WHERE status <> 'pending' AND end_ms < ?`),
      getConfig: p(`SELECT record FROM event_invoke_configs WHERE ${KEY_WHERE} AND qualifier = ?`),
      listConfigs: p(`SELECT record FROM event_invoke_configs WHERE ${KEY_WHERE} ORDER BY qualifier`),
      putConfig: p(
        `INSERT INTO event_invoke_configs (account_id, region, namespace, function, qualifier, record)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET record = excluded.record`,
      ),
    };
  }

  get commitStats(): GroupCommitStats {
    return this.#commits.stats;
  }

  get claimStats(): { readonly rowsRead: number } {
    return { rowsRead: this.#claimRowsRead };
  }

  /** Rejects after close and wraps driver errors as INTERNAL (as sqlite-store.ts does). */
  #run<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      if (this.#closed) {
        throw new PlatformError('INTERNAL', { reason: 'store is closed' });
      }
      return Promise.resolve(work()).catch((e: unknown) => Promise.reject(wrapEventStoreError(e)));
    } catch (e) {
      return Promise.reject(wrapEventStoreError(e));
    }
  }

  add(e: AsyncEventRecord): Promise<void> {
    // Held from now (a claim running before the commit must not take it), and let go if
    // the insert fails: a held id is never claimed, and a duplicate of an earlier run's
    // pending event must stay claimable (and the claims start over to find it).
    const fresh = !this.#held.has(e.requestId);
    this.#held.add(e.requestId);
    const unhold = (err: unknown): Promise<never> => {
      if (fresh) {
        this.#held.delete(e.requestId);
        this.#claimedUpTo = undefined;
      }
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    };
    return this.#run(() =>
      this.#commits.submit(() => {
        this.#sql.insert.run(
          e.requestId,
          ...keyParams(e.key),
          e.version,
          e.qualifier ?? null,
          e.invokedFunctionArn,
          e.payload,
          e.clientContext ?? null,
          e.traceId ?? null,
          e.enqueuedMs,
          e.attempts,
          e.throttles,
          e.notBeforeMs,
        );
      }),
    ).catch(unhold);
  }

  reschedule(requestId: string, attempts: number, throttles: number, notBeforeMs: number): Promise<void> {
    return this.#run(() =>
      this.#commits.submit(() => {
        this.#sql.reschedule.run(attempts, throttles, notBeforeMs, requestId);
      }),
    );
  }

  finish(
    requestId: string,
    status: Exclude<AsyncEventStatus, 'pending'>,
    endMs: number,
    attempts: number,
  ): Promise<void> {
    this.#held.delete(requestId);
    return this.#run(() =>
      this.#commits.submit(() => {
        this.#sql.finish.run(status, endMs, attempts, requestId);
      }),
    );
  }

  /**
   * One owner: what an earlier open left pending, once (this open's own events it holds
   * already). Pages of the pending index after the last event read: claiming N events in
   * pages reads each row once, not the whole queue per page.
   */
  claimDue(limit: number): Promise<AsyncEventRecord[]> {
    return this.#run(() => {
      const due: AsyncEventRecord[] = [];
      while (due.length < limit) {
        const after = this.#claimedUpTo;
        const rows = this.#sql.pendingAfter.all(
          after?.enqueuedMs ?? Number.MIN_SAFE_INTEGER,
          after?.requestId ?? '',
          limit,
        ) as AsyncEventRow[];
        for (const row of rows) {
          this.#claimRowsRead++;
          this.#claimedUpTo = { enqueuedMs: Number(row.enqueued_ms), requestId: row.request_id };
          if (!this.#held.has(row.request_id)) {
            this.#held.add(row.request_id);
            due.push(recordOf(row));
            if (due.length >= limit) {
              break;
            }
          }
        }
        if (rows.length < limit) {
          break; // read to the end
        }
      }
      return due;
    });
  }

  renewClaims(): Promise<number> {
    return this.#run(() => this.#held.size);
  }

  listPending(): Promise<AsyncEventRecord[]> {
    return this.#run(() => (this.#sql.pending.all() as AsyncEventRow[]).map(recordOf));
  }

  get(key: FunctionKey, requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(() => {
      const row = this.#sql.get.get(requestId, ...keyParams(key)) as AsyncEventRow | undefined;
      return row === undefined ? undefined : summaryOf(row);
    });
  }

  find(requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(() => {
      const row = this.#sql.find.get(requestId) as AsyncEventRow | undefined;
      return row === undefined ? undefined : summaryOf(row);
    });
  }

  list(key: FunctionKey, f: AsyncEventFilter): Promise<{ events: AsyncEventSummary[]; total: number }> {
    return this.#run(() => {
      const where = [KEY_WHERE];
      const params: unknown[] = [...keyParams(key)];
      if (f.qualifier !== undefined) {
        where.push('qualifier = ?');
        params.push(f.qualifier);
      }
      if (f.statuses !== undefined) {
        where.push(`status IN (${f.statuses.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...f.statuses);
      }
      if (f.requestId !== undefined) {
        where.push('request_id = ?');
        params.push(f.requestId);
      }
      if (f.fromMs !== undefined) {
        where.push('enqueued_ms >= ?');
        params.push(f.fromMs);
      }
      if (f.toMs !== undefined) {
        where.push('enqueued_ms < ?');
        params.push(f.toMs);
      }
      const cond = where.join(' AND ');
      const dir = f.order === 'asc' ? 'ASC' : 'DESC';
      const total = (
        this.#db.prepare(`SELECT count(*) AS n FROM async_events WHERE ${cond}`).get(...params) as {
          n: number;
        }
      ).n;
      const rows = this.#db
        .prepare(
          `SELECT request_id, account_id, region, namespace, function, version, qualifier, enqueued_ms,
             attempts, status, end_ms FROM async_events WHERE ${cond}
           ORDER BY enqueued_ms ${dir}, request_id ${dir} LIMIT ? OFFSET ?`,
        )
        .all(...params, f.limit ?? -1, f.offset ?? 0) as AsyncEventRow[];
      return { events: rows.map(summaryOf), total };
    });
  }

  pruneSettled(beforeMs: number): Promise<number> {
    return this.#run(() => this.#sql.prune.run(beforeMs).changes);
  }

  getConfig(key: FunctionKey, qualifier: string): Promise<EventInvokeConfigRecord | undefined> {
    return this.#run(() => {
      const row = this.#sql.getConfig.get(...keyParams(key), qualifier) as { record: string } | undefined;
      return row === undefined ? undefined : decode<EventInvokeConfigRecord>(row.record);
    });
  }

  listConfigs(key: FunctionKey): Promise<EventInvokeConfigRecord[]> {
    return this.#run(() =>
      (this.#sql.listConfigs.all(...keyParams(key)) as { record: string }[]).map((r) =>
        decode<EventInvokeConfigRecord>(r.record),
      ),
    );
  }

  putConfig(key: FunctionKey, config: EventInvokeConfigRecord): Promise<void> {
    return this.#run(() => {
      this.#sql.putConfig.run(...keyParams(key), config.qualifier, JSON.stringify(config));
    });
  }

  deleteConfigs(key: FunctionKey, qualifier?: string): Promise<void> {
    return this.#run(() => {
      if (qualifier === undefined) {
        this.#db.prepare(`DELETE FROM event_invoke_configs WHERE ${KEY_WHERE}`).run(...keyParams(key));
      } else {
        this.#db
          .prepare(`DELETE FROM event_invoke_configs WHERE ${KEY_WHERE} AND qualifier = ?`)
          .run(...keyParams(key), qualifier);
      }
    });
  }

  close(): Promise<void> {
    if (!this.#closed) {
      // Writes already acknowledged are committed; queued ones are committed now.
      this.#commits.flush();
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}

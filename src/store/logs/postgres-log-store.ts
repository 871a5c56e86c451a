/**
 * The function log store on PostgreSQL, shared by the nodes of a cluster (hearth_log_*
 * tables, pg-log-migrations.ts): the LogStore port of core/logs read by every node, so a
 * CloudWatch Logs or SCF read on one node sees the lines of invocations that ran on
 * another, and a node killed with kill -9 takes only its last ~50 ms of lines with it.
 * It behaves as SqliteLogStore does (log-rows.ts holds the paging rules both follow).
 *
 * `append` splits and queues lines (log-ingest.ts, shared with SQLite), handed every
 * `flushIntervalMs` to the writer (pg-log-writer.ts: bounded buffer, batched INSERTs,
 * housekeeping under an advisory lock), on its own thread when hearth runs from its build
 * (pg-log-writer-link.ts). Reads run here on their own connections, after waiting until the
 * lines this node had queued are written (read-your-writes on the node that ran the invoke:
 * an invoke's lines are visible once its answer is, as with SQLite).
 *
 * Deliberate differences from SQLite: a NUL character or a lone surrogate (which
 * PostgreSQL text cannot hold) is stored as U+FFFD; lines still buffered when PostgreSQL
 * stays down are dropped.
 */
import type pg from 'pg';
import type {
  EventPosition,
  FilterQuery,
  GroupQuery,
  InvocationQuery,
  InvocationRecord,
  LogEvent,
  LogGroupInfo,
  LogScope,
  LogStreamInfo,
  Page,
  StreamPosition,
  StreamQuery,
  StreamReadQuery,
} from '../../core/logs/log-port.js';
import { migratePg } from '../postgres/migrations.js';
import { redact } from '../postgres/postgres-store.js';
import type { FunctionLogStore } from './function-log-store.js';
import {
  groupInfo,
  groupPage,
  invocationOf,
  filterStart,
  pagedCursor,
  scanFilter,
  streamInfo,
  streamPage,
  type EventRow,
  type GroupRow,
  type InvocationRow,
  type StreamRow,
} from './log-rows.js';
import { pgLogMigrations } from './pg-log-migrations.js';
import { inlinePgLink, pgWorkerEntry, workerPgLink, type PgWriterConfig } from './pg-log-writer-link.js';
import { logPool, type PgWriterOptions } from './pg-log-writer.js';
import { QueuedLogStore } from './queued-log-store.js';

export type { FunctionLogInput } from './log-ingest.js';

export interface PostgresLogStoreOptions extends PgWriterOptions {
  readonly url: string;
  /** Queued lines are handed to the writer this often. */
  readonly flushIntervalMs?: number;
  readonly partialFlushMs?: number;
  /** Write on a worker thread when the build has one (default true). */
  readonly threaded?: boolean;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

/** Opens the store (creating or migrating its tables); a clear error when PostgreSQL is unreachable. */
export async function openPostgresLogStore(o: PostgresLogStoreOptions): Promise<PostgresLogStore> {
  const pool = logPool(o.url, 3);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot reach PostgreSQL at ${redact(o.url)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await migratePg(client, pgLogMigrations, 'hearth_logs_schema');
  } catch (e) {
    client.release();
    await pool.end().catch(() => undefined);
    throw e;
  }
  client.release();
  return new PostgresLogStore(pool, o);
}

export class PostgresLogStore extends QueuedLogStore implements FunctionLogStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, o: PostgresLogStoreOptions) {
    const now = o.now ?? Date.now;
    const onError = o.onError ?? (() => undefined);
    const { url, flushIntervalMs, partialFlushMs, threaded, now: _now, onError: _onError, ...writer } = o;
    const config: PgWriterConfig = { url, options: writer };
    const entry = threaded === false ? undefined : pgWorkerEntry();
    super(entry === undefined ? inlinePgLink(config, now, onError) : workerPgLink(entry, config, onError), {
      flushIntervalMs: flushIntervalMs ?? 50,
      partialFlushMs: partialFlushMs ?? 1000,
      maxPendingEvents: Math.max(1, o.rowsPerStatement ?? 1000),
      now,
    });
    this.#pool = pool;
  }

  async #groupRow(scope: LogScope, name: string): Promise<GroupRow | undefined> {
    const res = await this.#pool.query<GroupRow>(
      `SELECT id, name, created_ms, retention_days, stored_bytes FROM hearth_log_groups
        WHERE account_id = $1 AND region = $2 AND namespace = $3 AND name = $4`,
      [scope.accountId, scope.region, scope.namespace, name],
    );
    return res.rows[0];
  }

  async #streamRow(groupId: number, name: string): Promise<StreamRow | undefined> {
    const res = await this.#pool.query<StreamRow>(
      `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
         FROM hearth_log_streams WHERE group_id = $1 AND name = $2`,
      [groupId, name],
    );
    return res.rows[0];
  }

  async listGroups(scope: LogScope, q: GroupQuery): Promise<Page<LogGroupInfo, string>> {
    await this.flush();
    const args: (string | number)[] = [scope.accountId, scope.region, scope.namespace];
    const where = ['account_id = $1', 'region = $2', 'namespace = $3'];
    const arg = (v: string | number) => `$${args.push(v)}`;
    if (q.prefix !== undefined) {
      where.push(`starts_with(name, ${arg(q.prefix)})`);
    }
    if (q.contains !== undefined && q.contains !== '') {
      where.push(`strpos(lower(name), lower(${arg(q.contains)})) > 0`);
    }
    if (q.afterName !== undefined) {
      where.push(`name > ${arg(q.afterName)}`);
    }
    const res = await this.#pool.query<GroupRow>(
      `SELECT id, name, created_ms, retention_days, stored_bytes FROM hearth_log_groups
        WHERE ${where.join(' AND ')} ORDER BY name LIMIT ${arg(q.limit + 1)}`,
      args,
    );
    return groupPage(res.rows, q.limit);
  }

  async getGroup(scope: LogScope, name: string): Promise<LogGroupInfo | undefined> {
    await this.flush();
    const r = await this.#groupRow(scope, name);
    return r === undefined ? undefined : groupInfo(r);
  }

  async listStreams(
    scope: LogScope,
    group: string,
    q: StreamQuery,
  ): Promise<Page<LogStreamInfo, StreamPosition> | undefined> {
    await this.flush();
    const g = await this.#groupRow(scope, group);
    if (g === undefined) {
      return undefined;
    }
    const args: (string | number)[] = [g.id];
    const where = ['group_id = $1'];
    const arg = (v: string | number) => `$${args.push(v)}`;
    if (q.prefix !== undefined) {
      where.push(`starts_with(name, ${arg(q.prefix)})`);
    }
    const dir = q.descending ? 'DESC' : 'ASC';
    if (q.after !== undefined) {
      const cmp = q.descending ? '<' : '>';
      if (q.orderBy === 'name') {
        where.push(`name ${cmp} ${arg(q.after.name)}`);
      } else {
        where.push(
          `(COALESCE(last_event_ms, 0), name) ${cmp} (${arg(q.after.lastEventMs)}::bigint, ${arg(q.after.name)})`,
        );
      }
    }
    const order = q.orderBy === 'name' ? `name ${dir}` : `COALESCE(last_event_ms, 0) ${dir}, name ${dir}`;
    const res = await this.#pool.query<StreamRow>(
      `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
         FROM hearth_log_streams WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${arg(q.limit + 1)}`,
      args,
    );
    return streamPage(res.rows, q.limit);
  }

  async getStream(scope: LogScope, group: string, stream: string): Promise<LogStreamInfo | undefined> {
    await this.flush();
    const g = await this.#groupRow(scope, group);
    const s = g === undefined ? undefined : await this.#streamRow(g.id, stream);
    return s === undefined ? undefined : streamInfo(s);
  }

  async readStream(
    scope: LogScope,
    group: string,
    stream: string,
    q: StreamReadQuery,
  ): Promise<readonly LogEvent[]> {
    await this.flush();
    const g = await this.#groupRow(scope, group);
    const s = g === undefined ? undefined : await this.#streamRow(g.id, stream);
    if (s === undefined) {
      return [];
    }
    const args: number[] = [s.id, q.startMs ?? 0, q.endMs ?? Number.MAX_SAFE_INTEGER];
    const where = ['stream_id = $1', 'ts_ms >= $2', 'ts_ms < $3'];
    const arg = (v: number) => `$${args.push(v)}`;
    const backward = q.afterId === undefined;
    if (q.afterId !== undefined) {
      where.push(`id > ${arg(q.afterId)}`);
    } else if (q.beforeId !== undefined) {
      where.push(`id < ${arg(q.beforeId)}`);
    }
    const res = await this.#pool.query<EventRow>(
      `SELECT id, ts_ms, ingest_ms, message FROM hearth_log_events
        WHERE ${where.join(' AND ')} ORDER BY id ${backward ? 'DESC' : 'ASC'} LIMIT ${arg(q.limit)}`,
      args,
    );
    const events = res.rows.map((r): LogEvent => ({
      id: r.id,
      streamName: s.name,
      timestampMs: r.ts_ms,
      ingestionMs: r.ingest_ms,
      message: r.message,
    }));
    return backward ? events.reverse() : events;
  }

  async filter(
    scope: LogScope,
    group: string,
    q: FilterQuery,
  ): Promise<{ readonly events: readonly LogEvent[]; readonly next: EventPosition | undefined } | undefined> {
    await this.flush();
    const g = await this.#groupRow(scope, group);
    if (g === undefined) {
      return undefined;
    }
    const args: (string | number | readonly string[])[] = [
      g.id,
      q.startMs ?? 0,
      q.endMs ?? Number.MAX_SAFE_INTEGER,
    ];
    const where = ['e.group_id = $1', 'e.ts_ms >= $2', 'e.ts_ms < $3'];
    const arg = (v: string | number | readonly string[]) => `$${args.push(v)}`;
    if (q.streamNames !== undefined) {
      where.push(`s.name = ANY(${arg(q.streamNames)}::text[])`);
    }
    if (q.streamPrefix !== undefined) {
      where.push(`starts_with(s.name, ${arg(q.streamPrefix)})`);
    }
    const n = args.length;
    const sql = `SELECT e.id, s.name AS stream, e.ts_ms, e.ingest_ms, e.message
       FROM hearth_log_events e JOIN hearth_log_streams s ON s.id = e.stream_id
      WHERE ${where.join(' AND ')} AND (e.ts_ms, e.id) > ($${n + 1}::bigint, $${n + 2}::bigint)
      ORDER BY e.ts_ms, e.id LIMIT $${n + 3}`;
    return scanFilter(
      q,
      pagedCursor(filterStart(q), async (pos, limit) => {
        const res = await this.#pool.query<EventRow>(sql, [...args, pos.timestampMs, pos.id, limit]);
        return res.rows;
      }),
    );
  }

  async invocations(
    scope: LogScope,
    group: string,
    q: InvocationQuery,
  ): Promise<{ readonly total: number; readonly items: readonly InvocationRecord[] }> {
    await this.flush();
    const g = await this.#groupRow(scope, group);
    if (g === undefined) {
      return { total: 0, items: [] };
    }
    const args: (string | number)[] = [g.id, q.functionName];
    const where = ['i.group_id = $1', 'i.function_name = $2'];
    const arg = (v: string | number) => `$${args.push(v)}`;
    const add = (column: string, v: string | number | undefined) => {
      if (v !== undefined) {
        where.push(`${column} ${arg(v)}`);
      }
    };
    add('i.version =', q.version);
    add('i.request_id =', q.requestId);
    add('i.start_ms >=', q.startMs);
    add('i.start_ms <=', q.endMs);
    if (q.status === 'success') {
      where.push("i.status = 'success'");
    } else if (q.status === 'failure') {
      where.push("i.status <> 'success'");
    } else if (q.status !== undefined) {
      add('i.status =', q.status);
    }
    const from = `FROM hearth_log_invocations i JOIN hearth_log_streams s ON s.id = i.stream_id
      WHERE ${where.join(' AND ')}`;
    const total =
      (await this.#pool.query<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, args)).rows[0]?.n ?? 0;
    const n = args.length;
    const rows = await this.#pool.query<InvocationRow>(
      `SELECT i.*, s.name AS stream ${from}
        ORDER BY i.start_ms ${q.descending ? 'DESC' : 'ASC'}, i.id LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...args, q.limit, q.offset],
    );
    const items: InvocationRecord[] = [];
    for (const r of rows.rows) {
      const lines = await this.#pool.query<{ message: string }>(
        'SELECT message FROM hearth_log_events WHERE stream_id = $1 AND id BETWEEN $2 AND $3 ORDER BY id',
        [r.stream_id, r.first_event_id, r.last_event_id],
      );
      items.push(invocationOf(r, lines.rows.map((l) => l.message).join('\n')));
    }
    return { total, items };
  }

  /** Writes what is queued (partial lines too), stops the writer and ends the pool. */
  async close(): Promise<void> {
    await this.closeWriter(() => this.#pool.end());
  }
}

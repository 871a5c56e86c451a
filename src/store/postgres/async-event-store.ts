/**
 * The AsyncEventStore on PostgreSQL, shared by several hearth nodes (issue 14 item 5).
 * Tables of its own (`hearth_async_events`, `hearth_event_invoke_configs`) and its own
 * migration count (`hearth_async_schema`), beside the main store's in the same database.
 *
 * Claims: every pending event is held by one owner (the node id given at open) with a
 * claim token (new at every open) and a lease on the database's clock, so nodes whose
 * clocks differ agree on it:
 *   1. `add` inserts the event held by this open;
 *   2. `renewClaims` pushes this open's leases forward (the queue does it every third of
 *      a lease);
 *   3. `claimDue` takes pending events whose lease expired (their node died or stalled),
 *      or that this node held in an earlier run, with `FOR UPDATE SKIP LOCKED`: two nodes
 *      claiming at once take different events;
 *   4. `reschedule` and `finish` change an event only while this open holds it, so a node
 *      that lost a claim cannot settle an event twice.
 *
 * Writes of one tick share a statement (and a commit): adds as one multi-row INSERT
 * (a duplicate request id fails only its own caller: ON CONFLICT DO NOTHING RETURNING),
 * finishes as one UPDATE over unnest(); a burst larger than MAX_ROWS_PER_STATEMENT rows
 * (or MAX_PAYLOAD_BYTES_PER_STATEMENT of payloads) is split into several such statements.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
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
import { migratePg, type PgMigration } from './migrations.js';
import { redact } from './postgres-store.js';

export const DEFAULT_LEASE_MS = 30_000;
/**
 * A tick's writes share a statement up to this many rows, or this many payload bytes:
 * a burst of events becomes several statements of bounded size (one per batch, in order),
 * never one that grows with the burst.
 */
export const MAX_ROWS_PER_STATEMENT = 500;
export const MAX_PAYLOAD_BYTES_PER_STATEMENT = 16 * 1024 * 1024;

/** `items` cut in order into batches within both caps (an item over the byte cap goes alone). */
export function statementBatches<I>(items: readonly I[], bytesOf: (item: I) => number): I[][] {
  const out: I[][] = [];
  let batch: I[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = bytesOf(item);
    if (
      batch.length > 0 &&
      (batch.length >= MAX_ROWS_PER_STATEMENT || bytes + n > MAX_PAYLOAD_BYTES_PER_STATEMENT)
    ) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += n;
  }
  if (batch.length > 0) {
    out.push(batch);
  }
  return out;
}
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const T = 'hearth_async_events';
const C = 'hearth_event_invoke_configs';

const asyncEventMigrations: readonly PgMigration[] = [
  async function asyncEvents(db) {
    await db.query(`
      CREATE TABLE ${T} (
        request_id text PRIMARY KEY,
        account_id text NOT NULL, region text NOT NULL, namespace text NOT NULL, function text NOT NULL,
        version text NOT NULL, qualifier text, invoked_arn text NOT NULL, payload bytea NOT NULL,
        client_context text, trace_id text,
        enqueued_ms bigint NOT NULL, attempts integer NOT NULL, throttles integer NOT NULL,
        not_before_ms bigint NOT NULL, status text NOT NULL, end_ms bigint,
        owner text, claim text, lease_until_ms bigint
      );
      CREATE INDEX ${T}_by_function ON ${T} (account_id, region, namespace, function, enqueued_ms);
      CREATE INDEX ${T}_pending ON ${T} (enqueued_ms, request_id) WHERE status = 'pending';
      CREATE INDEX ${T}_claims ON ${T} (claim) WHERE status = 'pending';
      CREATE INDEX ${T}_settled ON ${T} (end_ms) WHERE status <> 'pending';
      CREATE TABLE ${C} (
        account_id text NOT NULL, region text NOT NULL, namespace text NOT NULL, function text NOT NULL,
        qualifier text NOT NULL, record jsonb NOT NULL,
        PRIMARY KEY (account_id, region, namespace, function, qualifier)
      );`);
  },
];

const KEY_WHERE = 'account_id = $1 AND region = $2 AND namespace = $3 AND function = $4';

const byEnqueued = (a: AsyncEventRecord, b: AsyncEventRecord): number =>
  a.enqueuedMs - b.enqueuedMs || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0);

export interface PostgresAsyncEventStore extends AsyncEventStore {
  /** This node's id (claims' owner). */
  readonly owner: string;
  /** How long a claim lasts without renewal; the queue renews every third of it. */
  readonly leaseMs: number;
}

export interface PostgresAsyncEventStoreOptions {
  /** This node's id: events it adds or claims are held in its name. */
  readonly owner: string;
  readonly leaseMs?: number;
}

/** Opens the store (creating or migrating its tables); a clear error when PostgreSQL is unreachable. */
export async function openPostgresAsyncEventStore(
  url: string,
  o: PostgresAsyncEventStoreOptions,
): Promise<PostgresAsyncEventStore> {
  if (o.owner === '') {
    throw new Error('an async event store shared by nodes needs an owner id');
  }
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  // A client's connection lost while it is checked out is reported on the client: the
  // query in flight fails with it; unheard, it would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot reach PostgreSQL at ${redact(url)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    // migratePg serialises the migrations of nodes that start at once (an advisory lock).
    await migratePg(client, asyncEventMigrations, 'hearth_async_schema');
  } catch (e) {
    client.release();
    await pool.end().catch(() => undefined);
    throw e;
  }
  client.release();
  return new PgEvents(pool, o.owner, o.leaseMs ?? DEFAULT_LEASE_MS);
}

interface PendingAdd {
  readonly event: AsyncEventRecord;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface PendingFinish {
  readonly requestId: string;
  readonly status: Exclude<AsyncEventStatus, 'pending'>;
  readonly endMs: number;
  readonly attempts: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

class PgEvents implements PostgresAsyncEventStore {
  readonly #pool: pg.Pool;
  readonly owner: string;
  readonly leaseMs: number;
  /** This open's claim token: an owner's earlier run held its events under another. */
  readonly #claim = randomUUID();
  #adds: PendingAdd[] = [];
  #finishes: PendingFinish[] = [];
  #flushing: NodeJS.Immediate | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(pool: pg.Pool, owner: string, leaseMs: number) {
    this.#pool = pool;
    this.owner = owner;
    this.leaseMs = leaseMs;
  }

  /** Rejects after close and wraps driver errors as INTERNAL (as the other stores do). */
  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new PlatformError('INTERNAL', { reason: 'store is closed' });
    }
    try {
      return await work();
    } catch (e) {
      throw wrapEventStoreError(e);
    }
  }

  #query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.#pool.query<R>(sql, params);
  }

  #schedule(): void {
    this.#flushing ??= setImmediate(() => {
      this.#flushing = undefined;
      const done = Promise.all([this.#flushAdds(), this.#flushFinishes()]).then(() => undefined);
      this.#inFlight.add(done);
      void done.finally(() => this.#inFlight.delete(done));
    });
  }

  add(event: AsyncEventRecord): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new PlatformError('INTERNAL', { reason: 'store is closed' }));
    }
    return new Promise((resolve, reject) => {
      this.#adds.push({ event, resolve, reject });
      this.#schedule();
    });
  }

  async #flushAdds(): Promise<void> {
    const queued = this.#adds;
    this.#adds = [];
    for (const batch of statementBatches(queued, (p) => p.event.payload.length)) {
      await this.#insert(batch);
    }
  }

  /** One multi-row INSERT (at most MAX_ROWS_PER_STATEMENT rows). */
  async #insert(batch: readonly PendingAdd[]): Promise<void> {
    const col = <V>(f: (e: AsyncEventRecord) => V): V[] => batch.map((p) => f(p.event));
    try {
      const res = await this.#query<{ request_id: string }>(
        `INSERT INTO ${T} (request_id, account_id, region, namespace, function, version, qualifier,
           invoked_arn, payload, client_context, trace_id, enqueued_ms, attempts, throttles, not_before_ms,
           status, owner, claim, lease_until_ms)
         SELECT t.*, 'pending', $16, $17, ${NOW_MS} + $18
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::bytea[], $10::text[], $11::text[], $12::bigint[], $13::int[],
                       $14::int[], $15::bigint[]) AS t
         ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
        [
          col((e) => e.requestId),
          col((e) => e.key.accountId),
          col((e) => e.key.region),
          col((e) => e.key.namespace),
          col((e) => e.key.name),
          col((e) => e.version),
          col((e) => e.qualifier ?? null),
          col((e) => e.invokedFunctionArn),
          col((e) => e.payload),
          col((e) => e.clientContext ?? null),
          col((e) => e.traceId ?? null),
          col((e) => e.enqueuedMs),
          col((e) => e.attempts),
          col((e) => e.throttles),
          col((e) => e.notBeforeMs),
          this.owner,
          this.#claim,
          this.leaseMs,
        ],
      );
      const inserted = new Set(res.rows.map((r) => r.request_id));
      for (const p of batch) {
        if (inserted.delete(p.event.requestId)) {
          p.resolve();
        } else {
          p.reject(new PlatformError('INTERNAL', { reason: `duplicate async event ${p.event.requestId}` }));
        }
      }
    } catch (e) {
      for (const p of batch) {
        p.reject(wrapEventStoreError(e));
      }
    }
  }

  claimDue(limit: number): Promise<AsyncEventRecord[]> {
    return this.#run(async () => {
      const res = await this.#query<AsyncEventRow>(
        `UPDATE ${T} AS e SET owner = $1, claim = $2, lease_until_ms = ${NOW_MS} + $3
           FROM (SELECT request_id FROM ${T}
                  WHERE status = 'pending'
                    AND (lease_until_ms < ${NOW_MS} OR (owner = $1 AND claim <> $2))
                  ORDER BY enqueued_ms, request_id LIMIT $4
                  FOR UPDATE SKIP LOCKED) AS due
          WHERE e.request_id = due.request_id
         RETURNING e.*`,
        [this.owner, this.#claim, this.leaseMs, limit],
      );
      return res.rows.map(recordOf).sort(byEnqueued);
    });
  }

  renewClaims(): Promise<number> {
    return this.#run(async () => {
      const res = await this.#query(
        `UPDATE ${T} SET lease_until_ms = ${NOW_MS} + $2 WHERE claim = $1 AND status = 'pending'`,
        [this.#claim, this.leaseMs],
      );
      return res.rowCount ?? 0;
    });
  }

  reschedule(requestId: string, attempts: number, throttles: number, notBeforeMs: number): Promise<void> {
    return this.#run(async () => {
      await this.#query(
        `UPDATE ${T} SET attempts = $1, throttles = $2, not_before_ms = $3
          WHERE request_id = $4 AND status = 'pending' AND claim = $5`,
        [attempts, throttles, notBeforeMs, requestId, this.#claim],
      );
    });
  }

  finish(
    requestId: string,
    status: Exclude<AsyncEventStatus, 'pending'>,
    endMs: number,
    attempts: number,
  ): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new PlatformError('INTERNAL', { reason: 'store is closed' }));
    }
    return new Promise((resolve, reject) => {
      this.#finishes.push({ requestId, status, endMs, attempts, resolve, reject });
      this.#schedule();
    });
  }

  async #flushFinishes(): Promise<void> {
    const queued = this.#finishes;
    this.#finishes = [];
    for (const batch of statementBatches(queued, () => 0)) {
      await this.#settle(batch);
    }
  }

  /** One UPDATE over unnest() (at most MAX_ROWS_PER_STATEMENT rows). */
  async #settle(batch: readonly PendingFinish[]): Promise<void> {
    try {
      // Only the holder settles, and only once: the payload goes, the summary stays.
      await this.#query(
        `UPDATE ${T} AS e SET status = t.status, end_ms = t.end_ms, attempts = t.attempts,
                payload = '\\x'::bytea, owner = NULL, claim = NULL, lease_until_ms = NULL
           FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS t(request_id, status, end_ms, attempts)
          WHERE e.request_id = t.request_id AND e.status = 'pending' AND e.claim = $5`,
        [
          batch.map((f) => f.requestId),
          batch.map((f) => f.status),
          batch.map((f) => f.endMs),
          batch.map((f) => f.attempts),
          this.#claim,
        ],
      );
      for (const f of batch) {
        f.resolve();
      }
    } catch (e) {
      for (const f of batch) {
        f.reject(wrapEventStoreError(e));
      }
    }
  }

  listPending(): Promise<AsyncEventRecord[]> {
    return this.#run(async () =>
      (
        await this.#query<AsyncEventRow>(
          `SELECT * FROM ${T} WHERE status = 'pending' ORDER BY enqueued_ms, request_id`,
        )
      ).rows.map(recordOf),
    );
  }

  get(key: FunctionKey, requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(async () => {
      const res = await this.#query<AsyncEventRow>(
        `SELECT * FROM ${T} WHERE ${KEY_WHERE} AND request_id = $5`,
        [...keyParams(key), requestId],
      );
      const row = res.rows[0];
      return row === undefined ? undefined : summaryOf(row);
    });
  }

  find(requestId: string): Promise<AsyncEventSummary | undefined> {
    return this.#run(async () => {
      const row = (await this.#query<AsyncEventRow>(`SELECT * FROM ${T} WHERE request_id = $1`, [requestId]))
        .rows[0];
      return row === undefined ? undefined : summaryOf(row);
    });
  }

  list(key: FunctionKey, f: AsyncEventFilter): Promise<{ events: AsyncEventSummary[]; total: number }> {
    return this.#run(async () => {
      const params: unknown[] = keyParams(key);
      const where = [KEY_WHERE];
      const add = (sql: (n: number) => string, value: unknown): void => {
        params.push(value);
        where.push(sql(params.length));
      };
      if (f.qualifier !== undefined) {
        add((n) => `qualifier = $${n}`, f.qualifier);
      }
      if (f.statuses !== undefined) {
        add((n) => `status = ANY($${n}::text[])`, f.statuses);
      }
      if (f.requestId !== undefined) {
        add((n) => `request_id = $${n}`, f.requestId);
      }
      if (f.fromMs !== undefined) {
        add((n) => `enqueued_ms >= $${n}`, f.fromMs);
      }
      if (f.toMs !== undefined) {
        add((n) => `enqueued_ms < $${n}`, f.toMs);
      }
      const cond = where.join(' AND ');
      const dir = f.order === 'asc' ? 'ASC' : 'DESC';
      const total = Number(
        (await this.#query<{ n: string }>(`SELECT count(*) AS n FROM ${T} WHERE ${cond}`, params)).rows[0]
          ?.n ?? 0,
      );
      const rows = (
        await this.#query<AsyncEventRow>(
          `SELECT request_id, account_id, region, namespace, function, version, qualifier, enqueued_ms,
                  attempts, status, end_ms FROM ${T} WHERE ${cond}
            ORDER BY enqueued_ms ${dir}, request_id ${dir}
            LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
          [...params, f.limit ?? null, f.offset ?? 0],
        )
      ).rows;
      return { events: rows.map(summaryOf), total };
    });
  }

  pruneSettled(beforeMs: number): Promise<number> {
    return this.#run(async () => {
      const res = await this.#query(`DELETE FROM ${T} WHERE status <> 'pending' AND end_ms < $1`, [beforeMs]);
      return res.rowCount ?? 0;
    });
  }

  getConfig(key: FunctionKey, qualifier: string): Promise<EventInvokeConfigRecord | undefined> {
    return this.#run(async () => {
      const row = (
        await this.#query<{ record: string }>(
          `SELECT record::text AS record FROM ${C} WHERE ${KEY_WHERE} AND qualifier = $5`,
          [...keyParams(key), qualifier],
        )
      ).rows[0];
      return row === undefined ? undefined : decode<EventInvokeConfigRecord>(row.record);
    });
  }

  listConfigs(key: FunctionKey): Promise<EventInvokeConfigRecord[]> {
    return this.#run(async () =>
      (
        await this.#query<{ record: string }>(
          `SELECT record::text AS record FROM ${C} WHERE ${KEY_WHERE} ORDER BY qualifier COLLATE "C"`,
          keyParams(key),
        )
      ).rows.map((r) => decode<EventInvokeConfigRecord>(r.record)),
    );
  }

  putConfig(key: FunctionKey, config: EventInvokeConfigRecord): Promise<void> {
    return this.#run(async () => {
      await this.#query(
        `INSERT INTO ${C} (account_id, region, namespace, function, qualifier, record)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb)
         ON CONFLICT (account_id, region, namespace, function, qualifier) DO UPDATE SET record = excluded.record`,
        [...keyParams(key), config.qualifier, JSON.stringify(config)],
      );
    });
  }

  deleteConfigs(key: FunctionKey, qualifier?: string): Promise<void> {
    return this.#run(async () => {
      if (qualifier === undefined) {
        await this.#query(`DELETE FROM ${C} WHERE ${KEY_WHERE}`, keyParams(key));
      } else {
        await this.#query(`DELETE FROM ${C} WHERE ${KEY_WHERE} AND qualifier = $5`, [
          ...keyParams(key),
          qualifier,
        ]);
      }
    });
  }

  holderOf(requestId: string): Promise<string | undefined> {
    return this.#run(async () => {
      const res = await this.#query<{ owner: string | null }>(
        `SELECT owner FROM ${T} WHERE request_id = $1 AND status = 'pending' AND lease_until_ms >= ${NOW_MS}`,
        [requestId],
      );
      return res.rows[0]?.owner ?? undefined;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    // What was acknowledged is committed; what is queued is written now.
    if (this.#flushing !== undefined) {
      clearImmediate(this.#flushing);
      this.#flushing = undefined;
      await Promise.all([this.#flushAdds(), this.#flushFinishes()]);
    }
    await Promise.all(this.#inFlight);
    this.#closed = true;
    await this.#pool.end();
  }
}

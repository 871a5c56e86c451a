/**
 * The PostgreSQL log store's writes (postgres-log-store.ts), on a worker thread when
 * hearth runs from its build (pg-log-worker.ts; the driver's work then stays off the event
 * loop, as SQLite's writer does), inline otherwise:
 *   1. batches handed on by the store's LogIngest go into a buffer bounded in lines and
 *      bytes: when PostgreSQL is slow or down the oldest lines are dropped, with one
 *      warning per outage through `onError`;
 *   2. one writer at a time takes a chunk of at most `rowsPerStatement` lines, draws their
 *      ids from the events' sequence (ids are global across nodes, and increase along
 *      each stream since a stream is written by the one node that runs its environment),
 *      and indexes START/REPORT pairs once (invocation-index.ts);
 *   3. writes the chunk in one transaction: group rows locked in id order, byte counts,
 *      streams' times, one multi-row INSERT of events and one of invocations. A group or
 *      stream another node deleted meanwhile is seen (its row is gone), the ids are looked
 *      up again and the chunk retried; a failed chunk is retried after `retryMs`;
 *   4. if the stored bytes passed the cap, the cap runs (below) before `sync` callers
 *      waiting on the chunk are answered.
 *
 * Housekeeping (retention, the size cap) and group deletion: pg-log-housekeeping.ts.
 */
import pg from 'pg';
import type { LogScope } from '../../core/logs/log-port.js';
import { InvocationIndex, type ClosedInvocation } from './invocation-index.js';
import { PgLogHousekeeping, transaction } from './pg-log-housekeeping.js';
import { forEachLine, type StreamTarget, type WriteBatch } from './log-ingest.js';

export interface PgWriterOptions {
  /** Stored message bytes above which the oldest events are removed (to 90 % of it). */
  readonly maxBytes: number;
  /** Lines and bytes buffered for PostgreSQL at most; beyond, the oldest are dropped. */
  readonly maxBufferedEvents?: number;
  readonly maxBufferedBytes?: number;
  /** Events per INSERT (and per transaction) at most. */
  readonly rowsPerStatement?: number;
  /** A failed write is tried again after this long. */
  readonly retryMs?: number;
  /** Retention and cap run this often (and at open). */
  readonly housekeepingIntervalMs?: number;
}

/** A chunk's messages in bytes at most (a line is at most 256 KB, line-splitter.ts). */
const CHUNK_BYTES = 4 * 1024 * 1024;
const EVENT_IDS = 'hearth_log_events_id_seq';
const INT8_OID = 20;

/** bigint columns as numbers: ids, times and byte counts stay below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : (pg.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

interface QueuedLine {
  readonly seq: number;
  readonly target: StreamTarget;
  readonly streamKey: string;
  readonly timestampMs: number;
  readonly message: string;
  readonly bytes: number;
}

interface Chunk {
  readonly lines: readonly QueuedLine[];
  readonly firstSeq: number;
  /** Drawn from the sequence once; a retried chunk keeps them. */
  ids?: readonly number[];
  /** Invocations that lines of this chunk close, indexed once. */
  closed?: readonly { readonly index: number; readonly inv: ClosedInvocation }[];
}

/**
 * What PostgreSQL's text (and json) cannot hold: NUL, and a UTF-16 surrogate without its
 * pair (output decoded from bytes has none; a guard, since one would fail its whole chunk).
 */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/**
 * PostgreSQL refused the chunk's data itself (SQLSTATE classes 22 data exception, 54
 * program limit): trying it again cannot succeed.
 */
const refusedData = (e: unknown): boolean => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
};

/** A group or stream id this node cached was deleted by another: look them up again. */
class StaleIds extends Error {}

const groupKeyOf = (t: StreamTarget): string =>
  `${t.scope.accountId}\0${t.scope.region}\0${t.scope.namespace}\0${t.group}`;

/** A pool whose bigint columns read as numbers (`types`). */
export function logPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000, types });
  // An idle client's error (the server restarted) must not crash the process; the next query fails.
  pool.on('error', () => undefined);
  // A client's connection lost while it is checked out is reported on the client: the
  // query in flight fails with it; unheard, it would end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export class PgLogWriter {
  readonly #pool: pg.Pool;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #maxBytes: number;
  readonly #maxBufferedEvents: number;
  readonly #maxBufferedBytes: number;
  readonly #rowsPerStatement: number;
  readonly #retryMs: number;
  readonly #invocations = new InvocationIndex<string>();
  readonly #groupIds = new Map<string, number>();
  readonly #streamIds = new Map<string, number>();
  /** Lines not yet in a chunk, oldest first, from `#head`. */
  #queue: QueuedLine[] = [];
  #head = 0;
  #queuedBytes = 0;
  /** The seq the next queued line gets. */
  #nextSeq = 0;
  #chunk: Chunk | undefined;
  #pumping: Promise<void> | undefined;
  #retry: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #waiters: { readonly upTo: number; readonly resolve: () => void }[] = [];
  /** One warning per outage (reset by a write that succeeds). */
  #failing = false;
  #dropping = false;
  readonly #keeper: PgLogHousekeeping;
  /** The cluster's stored bytes when last read, plus what this node wrote since. */
  #estimatedBytes = 0;
  #totalReadAtMs = -Infinity;
  #sweeper: NodeJS.Timeout | undefined;
  #closing = false;
  #closed = false;

  constructor(pool: pg.Pool, o: PgWriterOptions, now: () => number, onError: (err: unknown) => void) {
    this.#pool = pool;
    this.#now = now;
    this.#onError = onError;
    this.#maxBytes = o.maxBytes;
    this.#maxBufferedEvents = o.maxBufferedEvents ?? 100_000;
    this.#maxBufferedBytes = o.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.#rowsPerStatement = Math.max(1, o.rowsPerStatement ?? 1000);
    this.#retryMs = o.retryMs ?? 1000;
    this.#keeper = new PgLogHousekeeping(pool, o.maxBytes, now);
    const housekeep = () => void this.#keeper.run().catch(this.#onError);
    housekeep();
    this.#sweeper = setInterval(housekeep, o.housekeepingIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  /** Takes a batch into the buffer. */
  write(batch: WriteBatch): void {
    if (!this.#closing) {
      this.#enqueue(batch);
    }
  }

  /**
   * Waits until every line handed on before it is written, or until a write of them failed
   * (then the read that follows tells PostgreSQL's state).
   */
  sync(): Promise<void> {
    const upTo = this.#nextSeq;
    if (this.#pendingFrom() >= upTo) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiters.push({ upTo, resolve });
      this.#kick();
    });
  }

  async totalBytes(): Promise<number> {
    await this.sync();
    return this.#keeper.totalBytes(this.#pool);
  }

  async housekeep(): Promise<void> {
    await this.sync();
    await this.#keeper.run();
  }

  #enqueue(batch: WriteBatch): void {
    forEachLine(batch, (stream, timestampMs, line) => {
      const entry = batch.targets[stream];
      if (entry === undefined) {
        return;
      }
      const message = UNSTORABLE.test(line) ? line.replace(UNSTORABLE_ALL, '\uFFFD') : line;
      const bytes = Buffer.byteLength(message);
      this.#queue.push({
        seq: this.#nextSeq++,
        target: entry[1],
        streamKey: entry[0],
        timestampMs,
        message,
        bytes,
      });
      this.#queuedBytes += bytes;
    });
    this.#bound();
    this.#kick();
  }

  /** Drops the oldest queued lines beyond the buffer's bounds. */
  #bound(): void {
    let dropped = 0;
    while (
      this.#queue.length - this.#head > this.#maxBufferedEvents ||
      (this.#queuedBytes > this.#maxBufferedBytes && this.#head < this.#queue.length)
    ) {
      const l = this.#queue[this.#head++];
      this.#queuedBytes -= l?.bytes ?? 0;
      dropped++;
    }
    this.#compact();
    if (dropped > 0) {
      if (!this.#dropping) {
        this.#dropping = true;
        this.#onError(
          new Error(
            `function logs: PostgreSQL is not keeping up; dropping the oldest buffered lines ` +
              `(at most ${this.#maxBufferedEvents} lines and ${this.#maxBufferedBytes} bytes are kept)`,
          ),
        );
      }
      this.#notify(false);
    }
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The seq of the oldest line not yet written (or dropped). */
  #pendingFrom(): number {
    return this.#chunk?.firstSeq ?? this.#queue[this.#head]?.seq ?? this.#nextSeq;
  }

  /** Answers the readers whose lines are settled; all of them after a failed write. */
  #notify(failed: boolean): void {
    const from = this.#pendingFrom();
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (failed || w.upTo <= from) {
        w.resolve();
      } else {
        this.#waiters.push(w);
      }
    }
  }

  #kick(): void {
    if (this.#pumping === undefined && (this.#chunk !== undefined || this.#head < this.#queue.length)) {
      this.#pumping = this.#pump().finally(() => {
        this.#pumping = undefined;
        // Lines queued while the last write finished.
        if (!this.#closed) {
          this.#kick();
        }
      });
    }
  }

  #takeChunk(): Chunk {
    const lines: QueuedLine[] = [];
    let bytes = 0;
    while (this.#head < this.#queue.length && lines.length < this.#rowsPerStatement) {
      const l = this.#queue[this.#head];
      if (l === undefined || (lines.length > 0 && bytes + l.bytes > CHUNK_BYTES)) {
        break;
      }
      lines.push(l);
      bytes += l.bytes;
      this.#head++;
    }
    this.#queuedBytes -= bytes;
    this.#compact();
    return { lines, firstSeq: lines[0]?.seq ?? this.#nextSeq };
  }

  async #pump(): Promise<void> {
    while (this.#chunk !== undefined || this.#head < this.#queue.length) {
      const chunk = (this.#chunk ??= this.#takeChunk());
      try {
        await this.#writeChunk(chunk);
        this.#chunk = undefined;
        this.#failing = false;
        this.#dropping = false;
      } catch (e) {
        if (refusedData(e)) {
          // Dropped, not retried: it would hold up every line after it.
          this.#onError(new Error(`function logs: ${chunk.lines.length} lines dropped`, { cause: e }));
          this.#chunk = undefined;
          this.#notify(false);
          continue;
        }
        if (!this.#failing) {
          this.#failing = true;
          this.#onError(e);
        }
        if (this.#closing) {
          // Closing with PostgreSQL down: what is left cannot be written.
          this.#chunk = undefined;
          this.#head = this.#queue.length;
          this.#queuedBytes = 0;
          this.#compact();
        }
        this.#notify(true);
        if (!this.#closing) {
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              this.#retry = undefined;
              resolve();
            };
            const timer = setTimeout(wake, this.#retryMs);
            this.#retry = { timer, wake };
          });
        }
        continue;
      }
      try {
        await this.#capIfPassed();
      } catch (e) {
        this.#onError(e);
      }
      this.#notify(false);
    }
  }

  async #writeChunk(chunk: Chunk): Promise<void> {
    if (chunk.lines.length === 0) {
      return;
    }
    if (chunk.ids === undefined) {
      const res = await this.#pool.query<{ id: number }>(
        'SELECT nextval($1::regclass) AS id FROM generate_series(1, $2)',
        [EVENT_IDS, chunk.lines.length],
      );
      const ids = res.rows.map((r) => r.id).sort((a, b) => a - b);
      const closed: { index: number; inv: ClosedInvocation }[] = [];
      chunk.lines.forEach((line, index) => {
        const inv = this.#invocations.see(line.streamKey, line, ids[index] ?? 0);
        if (inv !== undefined) {
          closed.push({ index, inv });
        }
      });
      chunk.ids = ids;
      chunk.closed = closed;
    }
    const ingestMs = this.#now();
    for (let attempt = 0; ; attempt++) {
      await this.#resolveIds(chunk, ingestMs);
      try {
        await transaction(this.#pool, (c) => this.#insert(c, chunk, ingestMs));
        this.#estimatedBytes += chunk.lines.reduce((n, l) => n + l.bytes, 0);
        return;
      } catch (e) {
        if (!(e instanceof StaleIds) || attempt >= 3) {
          throw e;
        }
        this.#groupIds.clear();
        this.#streamIds.clear();
      }
    }
  }

  /** Finds (or makes) the group and stream rows of the chunk's lines that this node has not cached. */
  async #resolveIds(chunk: Chunk, nowMs: number): Promise<void> {
    if (this.#streamIds.size > 10_000) {
      // Streams of environments long gone: re-learned on their next line.
      this.#streamIds.clear();
      this.#groupIds.clear();
    }
    for (const l of chunk.lines) {
      if (this.#streamIds.has(l.streamKey) && this.#groupIds.has(groupKeyOf(l.target))) {
        continue;
      }
      const t = l.target;
      const s = t.scope;
      const groupKey = groupKeyOf(t);
      let groupId = this.#groupIds.get(groupKey);
      if (groupId === undefined) {
        groupId = await this.#findOrInsert(
          `INSERT INTO hearth_log_groups (account_id, region, namespace, name, created_ms)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`,
          `SELECT id FROM hearth_log_groups WHERE account_id = $1 AND region = $2 AND namespace = $3 AND name = $4`,
          [s.accountId, s.region, s.namespace, t.group, nowMs],
        );
        this.#groupIds.set(groupKey, groupId);
      }
      const streamId = await this.#findOrInsert(
        `INSERT INTO hearth_log_streams (group_id, name, created_ms) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING id`,
        'SELECT id FROM hearth_log_streams WHERE group_id = $1 AND name = $2',
        [groupId, t.stream, nowMs],
      );
      this.#streamIds.set(l.streamKey, streamId);
    }
  }

  /** Inserts a row (its last parameter the creation time) or finds the one there. */
  async #findOrInsert(insert: string, select: string, params: (string | number)[]): Promise<number> {
    for (;;) {
      const made = await this.#pool.query<{ id: number }>(insert, params);
      const found =
        made.rows[0] ?? (await this.#pool.query<{ id: number }>(select, params.slice(0, -1))).rows[0];
      if (found !== undefined) {
        return found.id;
      }
      // Deleted between the two statements by another node: make it again.
    }
  }

  async #insert(c: pg.ClientBase, chunk: Chunk, ingestMs: number): Promise<void> {
    const ids = chunk.ids ?? [];
    const groupOf = (l: QueuedLine) => this.#groupIds.get(groupKeyOf(l.target));
    const streamOf = (l: QueuedLine) => this.#streamIds.get(l.streamKey);
    const groups = new Map<number, number>();
    const streams = new Map<number, { first: number; last: number; bytes: number }>();
    const rows = { id: [] as number[], group: [] as number[], stream: [] as number[] };
    chunk.lines.forEach((l, i) => {
      const g = groupOf(l);
      const s = streamOf(l);
      if (g === undefined || s === undefined) {
        throw new StaleIds();
      }
      rows.id.push(ids[i] ?? 0);
      rows.group.push(g);
      rows.stream.push(s);
      groups.set(g, (groups.get(g) ?? 0) + l.bytes);
      const t = streams.get(s);
      if (t === undefined) {
        streams.set(s, { first: l.timestampMs, last: l.timestampMs, bytes: l.bytes });
      } else {
        t.last = Math.max(t.last, l.timestampMs);
        t.bytes += l.bytes;
      }
    });
    // Groups first, in id order, as every writer and deleter here locks them: no deadlock
    // between nodes writing to the same groups; a group deleted meanwhile is missing.
    const groupIds = [...groups.keys()].sort((a, b) => a - b);
    const locked = await c.query(
      'SELECT id FROM hearth_log_groups WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE',
      [groupIds],
    );
    if (locked.rowCount !== groupIds.length) {
      throw new StaleIds();
    }
    await c.query(
      `UPDATE hearth_log_groups g SET stored_bytes = g.stored_bytes + t.bytes
         FROM unnest($1::bigint[], $2::bigint[]) AS t(id, bytes) WHERE g.id = t.id`,
      [groupIds, groupIds.map((g) => groups.get(g) ?? 0)],
    );
    const streamIds = [...streams.keys()].sort((a, b) => a - b);
    const touched = await c.query(
      `UPDATE hearth_log_streams s
          SET first_event_ms = COALESCE(s.first_event_ms, t.first),
              last_event_ms = GREATEST(COALESCE(s.last_event_ms, 0), t.last),
              last_ingestion_ms = $5, stored_bytes = s.stored_bytes + t.bytes
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS t(id, first, last, bytes)
        WHERE s.id = t.id`,
      [
        streamIds,
        streamIds.map((s) => streams.get(s)?.first ?? 0),
        streamIds.map((s) => streams.get(s)?.last ?? 0),
        streamIds.map((s) => streams.get(s)?.bytes ?? 0),
        ingestMs,
      ],
    );
    if (touched.rowCount !== streamIds.length) {
      throw new StaleIds();
    }
    // The rows as one JSON text: JSON.stringify is native, where the driver would escape
    // every element of six arrays in JavaScript on the event loop (bench/log-stores.mjs).
    await c.query(
      `INSERT INTO hearth_log_events (id, group_id, stream_id, ts_ms, ingest_ms, bytes, message)
       SELECT t.i, t.g, t.s, t.t, $2, t.b, t.m
         FROM json_to_recordset($1::json) AS t(i bigint, g bigint, s bigint, t bigint, b integer, m text)`,
      [
        JSON.stringify(
          chunk.lines.map((l, i) => ({
            i: rows.id[i],
            g: rows.group[i],
            s: rows.stream[i],
            t: l.timestampMs,
            b: l.bytes,
            m: l.message,
          })),
        ),
        ingestMs,
      ],
    );
    const closed = chunk.closed ?? [];
    if (closed.length > 0) {
      const col = <V>(f: (x: { index: number; inv: ClosedInvocation }) => V): V[] => closed.map(f);
      await c.query(
        `INSERT INTO hearth_log_invocations (group_id, stream_id, request_id, function_name, version,
           start_ms, first_event_id, last_event_id, duration_ms, billed_ms, memory_mb, max_memory_mb,
           status, error_type)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[],
           $7::bigint[], $8::bigint[], $9::float8[], $10::bigint[], $11::int[], $12::int[], $13::text[],
           $14::text[])`,
        [
          col((x) => rows.group[x.index]),
          col((x) => rows.stream[x.index]),
          col((x) => x.inv.requestId),
          col((x) => chunk.lines[x.index]?.target.functionName),
          col((x) => x.inv.version),
          col((x) => x.inv.startMs),
          col((x) => x.inv.firstEventId),
          col((x) => x.inv.lastEventId),
          col((x) => x.inv.report.durationMs),
          col((x) => Math.round(x.inv.report.billedMs)),
          col((x) => Math.round(x.inv.report.memoryMb)),
          col((x) => Math.round(x.inv.report.maxMemoryUsedMb)),
          col((x) => x.inv.report.status),
          col((x) => x.inv.report.errorType ?? null),
        ],
      );
    }
  }

  /**
   * Runs the cap once the stored bytes pass it. They are read again when this node's own
   * writes would pass it, and at least every second for the other nodes' writes, rather
   * than after every chunk.
   */
  async #capIfPassed(): Promise<void> {
    const nowMs = Date.now();
    if (this.#estimatedBytes <= this.#maxBytes && nowMs - this.#totalReadAtMs < 1000) {
      return;
    }
    this.#estimatedBytes = await this.#keeper.totalBytes(this.#pool);
    this.#totalReadAtMs = nowMs;
    if (this.#estimatedBytes > this.#maxBytes) {
      await this.#keeper.run({ retention: false });
      this.#totalReadAtMs = -Infinity;
    }
  }

  async deleteGroup(scope: LogScope, name: string): Promise<boolean> {
    await this.sync();
    const deleted = await this.#keeper.deleteGroup(scope, name);
    if (deleted) {
      // Its ids must not be reused by later lines: the next line makes the group again.
      this.#groupIds.clear();
      this.#streamIds.clear();
    }
    return deleted;
  }

  async setRetention(scope: LogScope, name: string, days: number | undefined): Promise<boolean> {
    await this.sync();
    return this.#keeper.setRetention(scope, name, days);
  }

  /** Writes what is buffered, waits for housekeeping, and ends the pool. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closing = true;
    if (this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
    }
    this.#retry?.wake();
    this.#kick();
    while (this.#pumping !== undefined) {
      await this.#pumping;
    }
    await this.#keeper.idle();
    this.#closed = true;
    this.#notify(true);
    await this.#pool.end();
  }
}

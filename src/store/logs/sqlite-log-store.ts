/**
 * The function log store on its own SQLite file (`<data dir>/logs.db`, WAL): the LogStore
 * port of core/logs for the dialects, `append` for the pool's output (log-ingest.ts), and
 * housekeeping that keeps the data dir bounded: each group's retention, then a size cap
 * across all groups that removes the oldest events first.
 *
 * Writes go to a writer on its own thread when there is one (log-writer-link.ts); reads
 * run here on their own connection, after handing on what is queued and waiting for the
 * writer to have written it, so an invoke's lines are visible once its answer is.
 */
import type Database from 'better-sqlite3';
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
import { chunkCursor, chunkEvents, CHUNKS_PER_READ, type ChunkRow } from './log-chunks.js';
import {
  eventOf,
  filterStart,
  groupInfo,
  groupPage,
  invocationOf,
  scanFilter,
  streamInfo,
  streamPage,
  type EventRow,
  type GroupRow,
  type InvocationRow,
  type StreamRow,
} from './log-rows.js';
import type { FunctionLogStore } from './function-log-store.js';
import { openLogDb } from './log-db.js';
import { inlineLink, workerEntry, workerLink, type WriterLink } from './log-writer-link.js';
import { QueuedLogStore } from './queued-log-store.js';

export type { FunctionLogInput } from './log-ingest.js';

export interface LogStoreOptions {
  readonly file: string;
  /** Stored message bytes above which the oldest events are removed (to 90 % of it). */
  readonly maxBytes: number;
  readonly flushIntervalMs?: number;
  readonly partialFlushMs?: number;
  readonly maxPendingEvents?: number;
  /** Retention and cap run this often (and at open). */
  readonly housekeepingIntervalMs?: number;
  /** Write on a worker thread when the build has one (default true). */
  readonly threaded?: boolean;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

export class SqliteLogStore extends QueuedLogStore implements FunctionLogStore {
  readonly #db: Database.Database;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(o: LogStoreOptions) {
    const now = o.now ?? Date.now;
    const onError = o.onError ?? (() => undefined);
    // Readers' connection; opening it first creates and migrates the file.
    const db = openLogDb(o.file);
    const entry = o.threaded === false ? undefined : workerEntry();
    const config = { file: o.file, maxBytes: o.maxBytes };
    let link: WriterLink;
    try {
      link = entry === undefined ? inlineLink(config, now, onError) : workerLink(entry, config, onError);
    } catch (e) {
      db.close();
      throw e;
    }
    super(link, {
      flushIntervalMs: o.flushIntervalMs ?? 100,
      partialFlushMs: o.partialFlushMs ?? 1000,
      maxPendingEvents: o.maxPendingEvents ?? 5000,
      now,
    });
    this.#db = db;
    const housekeep = () => this.housekeep().catch(onError);
    void housekeep();
    this.#sweeper = setInterval(() => void housekeep(), o.housekeepingIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  #groupRow(scope: LogScope, name: string): GroupRow | undefined {
    return this.#db
      .prepare<[string, string, string, string], GroupRow>(
        `SELECT id, name, created_ms, retention_days, stored_bytes FROM log_groups
          WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?`,
      )
      .get(scope.accountId, scope.region, scope.namespace, name);
  }

  async listGroups(scope: LogScope, q: GroupQuery): Promise<Page<LogGroupInfo, string>> {
    await this.flush();
    const where = ['account_id = ?', 'region = ?', 'namespace = ?'];
    const args: (string | number)[] = [scope.accountId, scope.region, scope.namespace];
    if (q.prefix !== undefined) {
      where.push('substr(name, 1, ?) = ?');
      args.push(q.prefix.length, q.prefix);
    }
    if (q.contains !== undefined && q.contains !== '') {
      where.push('instr(lower(name), lower(?)) > 0');
      args.push(q.contains);
    }
    if (q.afterName !== undefined) {
      where.push('name > ?');
      args.push(q.afterName);
    }
    const rows = this.#db
      .prepare<(string | number)[], GroupRow>(
        `SELECT id, name, created_ms, retention_days, stored_bytes FROM log_groups
          WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`,
      )
      .all(...args, q.limit + 1);
    return groupPage(rows, q.limit);
  }

  async getGroup(scope: LogScope, name: string): Promise<LogGroupInfo | undefined> {
    await this.flush();
    const r = this.#groupRow(scope, name);
    return r === undefined ? undefined : groupInfo(r);
  }

  async listStreams(
    scope: LogScope,
    group: string,
    q: StreamQuery,
  ): Promise<Page<LogStreamInfo, StreamPosition> | undefined> {
    await this.flush();
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return undefined;
    }
    const where = ['group_id = ?'];
    const args: (string | number)[] = [g.id];
    if (q.prefix !== undefined) {
      where.push('substr(name, 1, ?) = ?');
      args.push(q.prefix.length, q.prefix);
    }
    const dir = q.descending ? 'DESC' : 'ASC';
    if (q.after !== undefined) {
      const cmp = q.descending ? '<' : '>';
      if (q.orderBy === 'name') {
        where.push(`name ${cmp} ?`);
        args.push(q.after.name);
      } else {
        where.push(`(COALESCE(last_event_ms, 0), name) ${cmp} (?, ?)`);
        args.push(q.after.lastEventMs, q.after.name);
      }
    }
    const order = q.orderBy === 'name' ? `name ${dir}` : `COALESCE(last_event_ms, 0) ${dir}, name ${dir}`;
    const rows = this.#db
      .prepare<(string | number)[], StreamRow>(
        `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
           FROM log_streams WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
      )
      .all(...args, q.limit + 1);
    return streamPage(rows, q.limit);
  }

  #streamRow(groupId: number, name: string): StreamRow | undefined {
    return this.#db
      .prepare<[number, string], StreamRow>(
        `SELECT id, name, created_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes
           FROM log_streams WHERE group_id = ? AND name = ?`,
      )
      .get(groupId, name);
  }

  async getStream(scope: LogScope, group: string, stream: string): Promise<LogStreamInfo | undefined> {
    await this.flush();
    const g = this.#groupRow(scope, group);
    const s = g === undefined ? undefined : this.#streamRow(g.id, stream);
    return s === undefined ? undefined : streamInfo(s);
  }

  async readStream(
    scope: LogScope,
    group: string,
    stream: string,
    q: StreamReadQuery,
  ): Promise<readonly LogEvent[]> {
    await this.flush();
    const g = this.#groupRow(scope, group);
    const s = g === undefined ? undefined : this.#streamRow(g.id, stream);
    if (s === undefined || q.limit <= 0) {
      return [];
    }
    const startMs = q.startMs ?? 0;
    const endMs = q.endMs ?? Number.MAX_SAFE_INTEGER;
    const inRange = (e: EventRow) => e.ts_ms >= startMs && e.ts_ms < endMs;
    const out: LogEvent[] = [];
    const columns = `id, '' AS stream, min_ms, ingest_ms, lines, times, messages FROM log_chunks`;
    const overlaps = 'max_ms >= ? AND min_ms < ?';
    if (q.afterId !== undefined) {
      const afterId = q.afterId;
      // From the chunk holding the first event after `afterId`.
      let from =
        this.#db
          .prepare<[number, number], { id: number }>(
            'SELECT id FROM log_chunks WHERE stream_id = ? AND id <= ? ORDER BY id DESC LIMIT 1',
          )
          .get(s.id, afterId + 1)?.id ?? 0;
      const page = this.#db.prepare<number[], ChunkRow>(
        `SELECT ${columns} WHERE stream_id = ? AND id >= ? AND ${overlaps} ORDER BY id LIMIT ?`,
      );
      for (;;) {
        const rows = page.all(s.id, from, startMs, endMs, CHUNKS_PER_READ);
        for (const r of rows) {
          for (const e of chunkEvents(r)) {
            if (e.id > afterId && inRange(e)) {
              out.push({ ...eventOf(e), streamName: s.name });
              if (out.length === q.limit) {
                return out;
              }
            }
          }
        }
        const last = rows.at(-1);
        if (rows.length < CHUNKS_PER_READ || last === undefined) {
          return out;
        }
        from = last.id + 1;
      }
    }
    // Newest first, below `beforeId` (when given), returned oldest first.
    const beforeId = q.beforeId ?? Number.MAX_SAFE_INTEGER;
    let below = beforeId;
    const page = this.#db.prepare<number[], ChunkRow>(
      `SELECT ${columns} WHERE stream_id = ? AND id < ? AND ${overlaps} ORDER BY id DESC LIMIT ?`,
    );
    for (;;) {
      const rows = page.all(s.id, below, startMs, endMs, CHUNKS_PER_READ);
      for (const r of rows) {
        const events = chunkEvents(r);
        for (let i = events.length - 1; i >= 0; i--) {
          const e = events[i];
          if (e !== undefined && e.id < beforeId && inRange(e)) {
            out.push({ ...eventOf(e), streamName: s.name });
            if (out.length === q.limit) {
              return out.reverse();
            }
          }
        }
      }
      const last = rows.at(-1);
      if (rows.length < CHUNKS_PER_READ || last === undefined) {
        return out.reverse();
      }
      below = last.id;
    }
  }

  async filter(
    scope: LogScope,
    group: string,
    q: FilterQuery,
  ): Promise<{ readonly events: readonly LogEvent[]; readonly next: EventPosition | undefined } | undefined> {
    await this.flush();
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return undefined;
    }
    const startMs = q.startMs ?? 0;
    const endMs = q.endMs ?? Number.MAX_SAFE_INTEGER;
    const after = filterStart(q);
    const where = ['c.group_id = ?', 'c.min_ms < ?', 'c.max_ms >= ?'];
    const args: (string | number)[] = [g.id, endMs, Math.max(startMs, after.timestampMs)];
    if (q.streamNames !== undefined) {
      where.push(`s.name IN (${q.streamNames.map(() => '?').join(', ')})`);
      args.push(...q.streamNames);
    }
    if (q.streamPrefix !== undefined) {
      where.push('substr(s.name, 1, ?) = ?');
      args.push(q.streamPrefix.length, q.streamPrefix);
    }
    const page = this.#db.prepare<(string | number)[], ChunkRow>(
      `SELECT c.id, s.name AS stream, c.min_ms, c.ingest_ms, c.lines, c.times, c.messages
         FROM log_chunks c JOIN log_streams s ON s.id = c.stream_id
        WHERE ${where.join(' AND ')} AND (c.min_ms, c.id) > (?, ?)
        ORDER BY c.min_ms, c.id LIMIT ?`,
    );
    const next = chunkCursor((pos, n) => page.all(...args, pos.minMs, pos.id, n), after, startMs, endMs);
    return scanFilter(q, () => Promise.resolve(next()));
  }

  async invocations(
    scope: LogScope,
    group: string,
    q: InvocationQuery,
  ): Promise<{ readonly total: number; readonly items: readonly InvocationRecord[] }> {
    await this.flush();
    const g = this.#groupRow(scope, group);
    if (g === undefined) {
      return { total: 0, items: [] };
    }
    const where = ['i.group_id = ?', 'i.function_name = ?'];
    const args: (string | number)[] = [g.id, q.functionName];
    const add = (sql: string, v: string | number | undefined) => {
      if (v !== undefined) {
        where.push(sql);
        args.push(v);
      }
    };
    add('i.version = ?', q.version);
    add('i.request_id = ?', q.requestId);
    add('i.start_ms >= ?', q.startMs);
    add('i.start_ms <= ?', q.endMs);
    if (q.status === 'success') {
      where.push("i.status = 'success'");
    } else if (q.status === 'failure') {
      where.push("i.status <> 'success'");
    } else if (q.status !== undefined) {
      add('i.status = ?', q.status);
    }
    const from = `FROM log_invocations i JOIN log_streams s ON s.id = i.stream_id WHERE ${where.join(' AND ')}`;
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = this.#db
      .prepare<(string | number)[], InvocationRow>(
        `SELECT i.*, s.name AS stream ${from} ORDER BY i.start_ms ${q.descending ? 'DESC' : 'ASC'}, i.id LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset);
    // The chunks from the one holding the first event to the one holding the last.
    const chunks = this.#db.prepare<[number, number, number, number, number], ChunkRow>(
      `SELECT id, '' AS stream, min_ms, ingest_ms, lines, times, messages FROM log_chunks
        WHERE stream_id = ?
          AND id >= COALESCE((SELECT MAX(id) FROM log_chunks WHERE stream_id = ? AND id <= ?), ?)
          AND id <= ?
        ORDER BY id`,
    );
    const items = rows.map((r) =>
      invocationOf(
        r,
        chunks
          .all(r.stream_id, r.stream_id, r.first_event_id, r.first_event_id, r.last_event_id)
          .flatMap(chunkEvents)
          .filter((e) => e.id >= r.first_event_id && e.id <= r.last_event_id)
          .map((e) => e.message)
          .join('\n'),
      ),
    );
    return { total, items };
  }

  /** Writes what is queued (partial lines too) and stops the writer. */
  async close(): Promise<void> {
    if (this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
    }
    await this.closeWriter(() => this.#db.close());
  }
}

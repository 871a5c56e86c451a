/**
 * The log store's writes, on one connection: batches of lines (in chunks per stream, with
 * ids, byte counts and the invocation rows that START and REPORT lines open and close, for
 * SCF's FunctionLog), deleting groups, retention and the size cap. It runs on a worker
 * thread when hearth runs from its build (log-worker.ts), so SQLite's work never holds up
 * the invoke path; inline otherwise (tests from sources).
 */
import type Database from 'better-sqlite3';
import type { LogScope } from '../../core/logs/log-port.js';
import { forEachLine, type StreamTarget, type WriteBatch } from './log-ingest.js';
import { InvocationIndex } from './invocation-index.js';
import { PendingChunk } from './log-chunks.js';

const DAY_MS = 86_400_000;

export interface PersisterOptions {
  /** Stored message bytes above which the oldest events are removed (to 90 % of it). */
  readonly maxBytes: number;
  readonly now: () => number;
}

/** A stream's rows and what a batch adds to it. */
interface StreamRows {
  readonly target: StreamTarget;
  readonly groupId: number;
  readonly streamId: number;
  chunk: PendingChunk | undefined;
  first: number;
  last: number;
  bytes: number;
}

export class LogPersister {
  readonly #db: Database.Database;
  readonly #o: PersisterOptions;
  readonly #groupIds = new Map<string, number>();
  readonly #streamIds = new Map<string, number>();
  readonly #invocations = new InvocationIndex<number>();
  readonly #stmt;
  #totalBytes: number;
  /** The id the next event stored takes (events are numbered in chunks, log-chunks.ts). */
  #nextEventId: number;

  constructor(db: Database.Database, o: PersisterOptions) {
    this.#db = db;
    this.#o = o;
    this.#totalBytes = (
      db.prepare('SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM log_groups').get() as { n: number }
    ).n;
    this.#nextEventId =
      db
        .prepare<[], { next: number }>('SELECT id + lines AS next FROM log_chunks ORDER BY id DESC LIMIT 1')
        .get()?.next ?? 1;
    this.#stmt = {
      findGroup: db.prepare<[string, string, string, string], { id: number }>(
        'SELECT id FROM log_groups WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      ),
      insertGroup: db.prepare(
        'INSERT INTO log_groups (account_id, region, namespace, name, created_ms) VALUES (?, ?, ?, ?, ?)',
      ),
      findStream: db.prepare<[number, string], { id: number }>(
        'SELECT id FROM log_streams WHERE group_id = ? AND name = ?',
      ),
      insertStream: db.prepare('INSERT INTO log_streams (group_id, name, created_ms) VALUES (?, ?, ?)'),
      insertChunk: db.prepare(
        `INSERT INTO log_chunks (id, group_id, stream_id, min_ms, max_ms, ingest_ms, lines, bytes, times, messages)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      touchStream: db.prepare(
        `UPDATE log_streams SET first_event_ms = COALESCE(first_event_ms, ?), last_event_ms = MAX(COALESCE(last_event_ms, 0), ?),
           last_ingestion_ms = ?, stored_bytes = stored_bytes + ? WHERE id = ?`,
      ),
      addGroupBytes: db.prepare('UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?'),
      insertInvocation: db.prepare(
        `INSERT INTO log_invocations (group_id, stream_id, request_id, function_name, version, start_ms,
           first_event_id, last_event_id, duration_ms, billed_ms, memory_mb, max_memory_mb, status, error_type)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** One batch in one transaction, then the cap if it was passed. */
  write(batch: WriteBatch): void {
    this.#totalBytes += this.#db.transaction(() => this.#write(batch))();
    if (this.#totalBytes > this.#o.maxBytes) {
      this.#enforceCap();
    }
  }

  #write(batch: WriteBatch): number {
    const ingestMs = this.#o.now();
    // Each stream's rows once per batch, not once per line (a line's key built and hashed again).
    const rows: StreamRows[] = [];
    for (const [, target] of batch.targets) {
      const groupId = this.#groupId(target, ingestMs);
      rows.push({
        target,
        groupId,
        streamId: this.#streamId(groupId, target.stream, ingestMs),
        chunk: undefined,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
        bytes: 0,
      });
    }
    forEachLine(batch, (stream, timestampMs, message) => {
      const row = rows[stream];
      if (row === undefined) {
        return;
      }
      const bytes = Buffer.byteLength(message);
      if (row.chunk !== undefined && !row.chunk.fits(timestampMs, bytes)) {
        this.#insertChunk(row, row.chunk, ingestMs);
        row.chunk = undefined;
      }
      row.chunk ??= new PendingChunk(timestampMs);
      row.chunk.add(timestampMs, message, bytes);
      row.first = Math.min(row.first, timestampMs);
      row.last = Math.max(row.last, timestampMs);
      row.bytes += bytes;
    });
    let total = 0;
    const groupBytes = new Map<number, number>();
    for (const row of rows) {
      if (row.chunk !== undefined) {
        this.#insertChunk(row, row.chunk, ingestMs);
      }
      if (row.first === Number.POSITIVE_INFINITY) {
        continue;
      }
      this.#stmt.touchStream.run(row.first, row.last, ingestMs, row.bytes, row.streamId);
      groupBytes.set(row.groupId, (groupBytes.get(row.groupId) ?? 0) + row.bytes);
      total += row.bytes;
    }
    for (const [groupId, b] of groupBytes) {
      this.#stmt.addGroupBytes.run(b, groupId);
    }
    return total;
  }

  /** One chunk of a stream's lines, with the ids its events take, and the invocations it closes. */
  #insertChunk(row: StreamRows, chunk: PendingChunk, ingestMs: number): void {
    const id = this.#nextEventId;
    const n = chunk.messages.length;
    this.#nextEventId += n;
    this.#stmt.insertChunk.run(
      id,
      row.groupId,
      row.streamId,
      chunk.minMs,
      chunk.maxMs,
      ingestMs,
      n,
      chunk.bytes,
      chunk.encodedTimes(),
      chunk.messages.join('\n'),
    );
    for (let i = 0; i < n; i++) {
      this.#index(chunk.times[i] ?? chunk.minMs, chunk.messages[i] ?? '', row, id + i);
    }
  }

  #index(timestampMs: number, message: string, row: StreamRows, id: number): void {
    const closed = this.#invocations.see(row.streamId, { timestampMs, message }, id);
    if (closed === undefined) {
      return;
    }
    const report = closed.report;
    this.#stmt.insertInvocation.run(
      row.groupId,
      row.streamId,
      closed.requestId,
      row.target.functionName,
      closed.version,
      closed.startMs,
      closed.firstEventId,
      id,
      report.durationMs,
      report.billedMs,
      report.memoryMb,
      report.maxMemoryUsedMb,
      report.status,
      report.errorType ?? null,
    );
  }

  #groupId(t: StreamTarget, nowMs: number): number {
    const key = `${t.scope.accountId}\0${t.scope.region}\0${t.scope.namespace}\0${t.group}`;
    let id = this.#groupIds.get(key);
    if (id === undefined) {
      const s = t.scope;
      id =
        this.#stmt.findGroup.get(s.accountId, s.region, s.namespace, t.group)?.id ??
        Number(
          this.#stmt.insertGroup.run(s.accountId, s.region, s.namespace, t.group, nowMs).lastInsertRowid,
        );
      this.#groupIds.set(key, id);
    }
    return id;
  }

  #streamId(groupId: number, name: string, nowMs: number): number {
    const key = `${groupId}\0${name}`;
    let id = this.#streamIds.get(key);
    if (id === undefined) {
      id =
        this.#stmt.findStream.get(groupId, name)?.id ??
        Number(this.#stmt.insertStream.run(groupId, name, nowMs).lastInsertRowid);
      this.#streamIds.set(key, id);
    }
    return id;
  }

  #groupRow(scope: LogScope, name: string): { id: number; stored_bytes: number } | undefined {
    return this.#db
      .prepare<[string, string, string, string], { id: number; stored_bytes: number }>(
        'SELECT id, stored_bytes FROM log_groups WHERE account_id = ? AND region = ? AND namespace = ? AND name = ?',
      )
      .get(scope.accountId, scope.region, scope.namespace, name);
  }

  deleteGroup(scope: LogScope, name: string): boolean {
    const g = this.#groupRow(scope, name);
    if (g === undefined) {
      return false;
    }
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM log_chunks WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_invocations WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_streams WHERE group_id = ?').run(g.id);
      this.#db.prepare('DELETE FROM log_groups WHERE id = ?').run(g.id);
    })();
    this.#totalBytes -= g.stored_bytes;
    // Its ids must not be reused by later lines: the next line makes the group again.
    this.#groupIds.clear();
    this.#streamIds.clear();
    return true;
  }

  setRetention(scope: LogScope, name: string, days: number | undefined): boolean {
    const g = this.#groupRow(scope, name);
    if (g === undefined) {
      return false;
    }
    this.#db.prepare('UPDATE log_groups SET retention_days = ? WHERE id = ?').run(days ?? null, g.id);
    if (days !== undefined) {
      this.#expire(g.id, this.#o.now() - days * DAY_MS);
    }
    return true;
  }

  /** Retention of every group, then the size cap. */
  housekeep(): void {
    const groups = this.#db
      .prepare<[], { id: number; retention_days: number }>(
        'SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL',
      )
      .all();
    const now = this.#o.now();
    for (const g of groups) {
      this.#expire(g.id, now - g.retention_days * DAY_MS);
    }
    if (this.#totalBytes > this.#o.maxBytes) {
      this.#enforceCap();
    }
  }

  /**
   * Removes a group's events older than `cutoffMs`, chunk by chunk: a chunk goes once its
   * newest event is older (at most MAX_CHUNK_SPAN_MS after its oldest) [DESIGN].
   */
  #expire(groupId: number, cutoffMs: number): void {
    this.#remove('group_id = ? AND max_ms < ?', [groupId, cutoffMs]);
    this.#db
      .prepare('DELETE FROM log_invocations WHERE group_id = ? AND start_ms < ?')
      .run(groupId, cutoffMs);
  }

  /** Oldest events first, across groups, until 90 % of the cap. */
  #enforceCap(): void {
    const target = Math.floor(this.#o.maxBytes * 0.9);
    const oldest = this.#db.prepare<[], { id: number; lines: number; bytes: number }>(
      'SELECT id, lines, bytes FROM log_chunks ORDER BY id LIMIT 2000',
    );
    while (this.#totalBytes > target) {
      const rows = oldest.all();
      if (rows.length === 0) {
        this.#totalBytes = 0;
        return;
      }
      let excess = this.#totalBytes - target;
      let upTo = 0;
      let lastEvent = 0;
      for (const r of rows) {
        upTo = r.id;
        lastEvent = r.id + r.lines - 1;
        excess -= r.bytes;
        if (excess <= 0) {
          break;
        }
      }
      this.#remove('id <= ?', [upTo]);
      this.#db.prepare('DELETE FROM log_invocations WHERE first_event_id <= ?').run(lastEvent);
    }
  }

  /** Deletes the chunks matching `where`, keeping stream, group and total byte counts true. */
  #remove(where: string, args: number[]): void {
    this.#db.transaction(() => {
      const sums = this.#db
        .prepare<number[], { group_id: number; stream_id: number; n: number }>(
          `SELECT group_id, stream_id, SUM(bytes) AS n FROM log_chunks WHERE ${where} GROUP BY group_id, stream_id`,
        )
        .all(...args);
      if (sums.length === 0) {
        return;
      }
      this.#db.prepare(`DELETE FROM log_chunks WHERE ${where}`).run(...args);
      const stream = this.#db.prepare('UPDATE log_streams SET stored_bytes = stored_bytes - ? WHERE id = ?');
      const group = this.#db.prepare('UPDATE log_groups SET stored_bytes = stored_bytes - ? WHERE id = ?');
      for (const s of sums) {
        stream.run(s.n, s.stream_id);
        group.run(s.n, s.group_id);
        this.#totalBytes -= s.n;
      }
    })();
  }
}

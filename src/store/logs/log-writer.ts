/**
 * Ingestion, kept off the invoke path: `append` only splits text into lines and queues
 * them (no I/O); a timer writes the queue in one transaction every `flushIntervalMs`, or
 * sooner once `maxPendingEvents` are waiting. Readers call `flush` first, so what an
 * invoke logged is visible as soon as its answer is (the REPORT line is queued before the
 * answer is sent). A hard kill loses at most the last interval's lines [DESIGN].
 *
 * While writing, START and REPORT lines open and close invocation rows (SCF's FunctionLog).
 */
import type Database from 'better-sqlite3';
import type { LogScope } from '../../core/logs/log-port.js';
import { LineSplitter, type SplitLine } from './line-splitter.js';
import { parseReport, parseStart } from './platform-lines.js';

export interface FunctionLogInput {
  readonly scope: LogScope;
  readonly group: string;
  readonly stream: string;
  readonly functionName: string;
  readonly text: string;
}

interface StreamTarget {
  readonly scope: LogScope;
  readonly group: string;
  readonly stream: string;
  readonly functionName: string;
}

interface OpenInvocation {
  readonly requestId: string;
  readonly version: string;
  readonly startMs: number;
  readonly firstEventId: number;
}

export interface WriterOptions {
  readonly flushIntervalMs: number;
  readonly partialFlushMs: number;
  readonly maxPendingEvents: number;
  readonly now: () => number;
  /** Bytes written (per flush), so the store can enforce its cap. */
  readonly onWritten: (bytes: number) => void;
  readonly onError: (err: unknown) => void;
}

export class LogWriter {
  readonly #db: Database.Database;
  readonly #o: WriterOptions;
  readonly #splitter = new LineSplitter();
  #pending: SplitLine[] = [];
  readonly #targets = new Map<string, StreamTarget>();
  #timer: NodeJS.Timeout | undefined;
  readonly #groupIds = new Map<string, number>();
  readonly #streamIds = new Map<string, number>();
  readonly #open = new Map<number, OpenInvocation>();
  readonly #stmt;

  constructor(db: Database.Database, o: WriterOptions) {
    this.#db = db;
    this.#o = o;
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
      insertEvent: db.prepare(
        'INSERT INTO log_events (group_id, stream_id, ts_ms, ingest_ms, bytes, message) VALUES (?, ?, ?, ?, ?, ?)',
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

  /** The hot path: no I/O, no SQL. */
  append(input: FunctionLogInput): void {
    const key = `${input.scope.accountId}\0${input.scope.region}\0${input.scope.namespace}\0${input.group}\0${input.stream}`;
    if (!this.#targets.has(key)) {
      this.#targets.set(key, input);
    }
    this.#splitter.push(key, input.text, this.#o.now(), this.#pending);
    if (this.#pending.length >= this.#o.maxPendingEvents) {
      this.flush();
    } else {
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.flush(this.#o.partialFlushMs);
        } catch (e) {
          this.#o.onError(e);
        }
      }, this.#o.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /**
   * Writes everything queued in one transaction. Partial lines older than
   * `partialOlderThanMs` are ended first (Infinity keeps them all pending; 0 ends all).
   */
  flush(partialOlderThanMs = Infinity): void {
    if (partialOlderThanMs !== Infinity) {
      this.#splitter.flushPartials(this.#o.now(), partialOlderThanMs, this.#pending);
    }
    if (this.#pending.length === 0) {
      return;
    }
    const batch = this.#pending;
    this.#pending = [];
    const bytes = this.#db.transaction(() => this.#write(batch))();
    this.#o.onWritten(bytes);
    if (this.#targets.size > 10_000) {
      // Streams of environments long gone; re-learned on their next line.
      this.#targets.clear();
    }
  }

  #write(batch: readonly SplitLine[]): number {
    const ingestMs = this.#o.now();
    let total = 0;
    const touched = new Map<number, { groupId: number; first: number; last: number; bytes: number }>();
    for (const line of batch) {
      const target = this.#targets.get(line.streamKey);
      if (target === undefined) {
        continue;
      }
      const groupId = this.#groupId(target, ingestMs);
      const streamId = this.#streamId(groupId, target.stream, ingestMs);
      const bytes = Buffer.byteLength(line.message);
      const id = Number(
        this.#stmt.insertEvent.run(groupId, streamId, line.timestampMs, ingestMs, bytes, line.message)
          .lastInsertRowid,
      );
      total += bytes;
      const t = touched.get(streamId);
      if (t === undefined) {
        touched.set(streamId, { groupId, first: line.timestampMs, last: line.timestampMs, bytes });
      } else {
        t.last = Math.max(t.last, line.timestampMs);
        t.bytes += bytes;
      }
      this.#index(line, target, groupId, streamId, id);
    }
    const groupBytes = new Map<number, number>();
    for (const [streamId, t] of touched) {
      this.#stmt.touchStream.run(t.first, t.last, ingestMs, t.bytes, streamId);
      groupBytes.set(t.groupId, (groupBytes.get(t.groupId) ?? 0) + t.bytes);
    }
    for (const [groupId, b] of groupBytes) {
      this.#stmt.addGroupBytes.run(b, groupId);
    }
    return total;
  }

  #index(line: SplitLine, target: StreamTarget, groupId: number, streamId: number, id: number): void {
    const start = parseStart(line.message);
    if (start !== undefined) {
      this.#open.set(streamId, { ...start, startMs: line.timestampMs, firstEventId: id });
      return;
    }
    const report = parseReport(line.message);
    const open = this.#open.get(streamId);
    if (report === undefined || open === undefined || open.requestId !== report.requestId) {
      return;
    }
    this.#open.delete(streamId);
    this.#stmt.insertInvocation.run(
      groupId,
      streamId,
      report.requestId,
      target.functionName,
      open.version,
      open.startMs,
      open.firstEventId,
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

  /** A group was deleted: its ids must not be reused by later lines. */
  forgetIds(): void {
    this.#groupIds.clear();
    this.#streamIds.clear();
  }

  close(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.flush(0);
  }
}
